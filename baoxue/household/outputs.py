"""Writing the 适龄儿童台账 workbook and the 核查清单 per township (SPEC §8.4, §8.5)."""
from __future__ import annotations

from pathlib import Path

from .result import MatchResult


def write_outputs(result: MatchResult, out_dir: Path) -> dict:
    raise NotImplementedError  # being built (issue 10)
