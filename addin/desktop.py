"""Entry points for the classic desktop add-in (Windows Excel, xlwings BSD add-in): the VBA buttons call
``RunPython "import baoxue.addin.desktop as bx; bx.validate()"`` and these find the calling workbook with
``xw.Book.caller()``. Same ``actions`` as the Lite/Server scripts."""
from __future__ import annotations

import xlwings as xw

from . import actions


def _book():
    return xw.Book.caller()


def validate():
    """校验"""
    return actions.safe(actions.validate_book, _book())


def update():
    """更新"""
    return actions.safe(actions.update_book, _book())


def submit():
    """报送（保存工作簿，并在其旁边的“报送”文件夹生成盖戳的报送副本）"""
    return actions.safe(actions.submit_book, _book())


def next_month():
    """生成下月（在本工作簿旁边生成下月工作簿并打开）"""
    return actions.safe(actions.next_month_book, _book())
