"""How a sub-command hands its result to the person or program that ran it (SPEC §7)."""
from __future__ import annotations

import json
import sys


def emit(doc: dict, lines: list[str], as_json: bool) -> None:
    """With ``--json`` the JSON document alone on standard output (UTF-8, Chinese unescaped) and the Chinese summary on
    standard error; otherwise the summary on standard output."""
    if as_json:
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=1, default=str)
        sys.stdout.write("\n")
    for line in lines:
        print(line, file=sys.stderr if as_json else sys.stdout)
