"""The four buttons as xlwings scripts (xlwings Lite and xlwings Server): ``bx_validate``, ``bx_update``,
``bx_submit``, ``bx_next_month``. Thin glue: the runtime injects the open workbook (``book: xw.Book``), ``actions``
does the work. The scripts are ``async`` so that in xlwings Lite the formula cells (rule F013) can be fetched with
``await get_formula()`` — the same findings as ``baoxue validate`` on the saved file. Where the engine cannot give
them (xlwings Server; a failed Lite read: ``bridge.FORMULA_READ_ERRORS``) the read goes on without them and the alert
and 校验结果 say that F013 was not checked; any other error while reading is a failed button (a Chinese alert), never
a silent read without formulas.

The classic desktop add-in calls ``baoxue.addin.desktop`` instead (VBA ``RunPython`` with ``xw.Book.caller()``).
"""
from __future__ import annotations

import xlwings as xw

from . import actions, bridge
from .runtime import script


async def _run(book, button) -> actions.Outcome:
    """Read the live book (formulas fetched on demand), then run ``button(book, live)`` as ``actions.safe`` does."""
    try:
        live = await bridge.read_live_async(book)
    except Exception as e:  # the workbook itself could not be read: a failed button, in Chinese
        return actions.failed(book, e)
    return actions.safe(button, book, live)


@script
async def bx_validate(book: xw.Book):
    """校验：检查本工作簿，写“校验结果”，给问题单元格着色并加批注。"""
    await _run(book, lambda b, live: actions.validate_book(b, None, live))


@script
async def bx_update(book: xw.Book):
    """更新：补填派生值、本月送教次数/课时、月报汇总，并校验。"""
    await _run(book, lambda b, live: actions.update_book(b, None, live))


@script
async def bx_submit(book: xw.Book):
    """报送：校验无错误后盖报送戳记，并提示如何保存报送副本。"""
    await _run(book, lambda b, live: actions.submit_book(b, None, None, live))


@script
async def bx_next_month(book: xw.Book):
    """生成下月：把未销号个案、休学/缓学/送教名单和本学年记录带入下月工作簿。"""
    await _run(book, lambda b, live: actions.next_month_book(b, None, live))
