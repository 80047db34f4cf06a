"""How a sub-command hands its result to the person or program that ran it (SPEC §7)."""
from __future__ import annotations

import json
import sys


def json_text(doc: dict) -> str:
    """The JSON document as ``--json`` prints it (UTF-8, Chinese unescaped)."""
    return json.dumps(doc, ensure_ascii=False, indent=1, default=str)


def emit(doc: dict, lines: list[str], as_json: bool) -> None:
    """With ``--json`` the JSON document alone on standard output and the Chinese summary on standard error; otherwise
    the summary on standard output."""
    emit_text(json_text(doc) if as_json else None, lines, as_json)


def emit_text(doc_text: str | None, lines: list[str], as_json: bool) -> None:
    """``emit`` of a document already made text (``json_text``)."""
    if as_json:
        sys.stdout.write(doc_text + "\n")
    for line in lines:
        print(line, file=sys.stderr if as_json else sys.stdout)
