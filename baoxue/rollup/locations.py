"""Where a roll-up's outputs go when none is named (SPEC §6): the 月报表 and the history store beside the inbox."""
from __future__ import annotations

from pathlib import Path

DEFAULT_STORE_NAME = "baoxue-store"


def report_name(month: str) -> str:
    """The 月报表's file name for a month (the CLI's and the notebook's default, the demo's)."""
    return f"月报表_{month}.xlsx"


def default_store_dir(inbox: str | Path) -> Path:
    """The history store a roll-up of ``inbox`` uses when none is named: ``baoxue-store/`` beside the inbox."""
    return Path(inbox).resolve().parent / DEFAULT_STORE_NAME
