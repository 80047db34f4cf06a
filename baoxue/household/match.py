"""``run_match``: the household line's whole job (SPEC §8)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .result import MatchResult


def run_match(*, household: list[Path], xueji: Path, inbox: Path, register: Path, month: str,
              elsewhere: Path | None = None, key_groups: Sequence[Path] = (), returns: Path | None = None,
              store: Path | None = None, policy=None, progress=None) -> MatchResult:
    raise NotImplementedError  # being built (issue 10)
