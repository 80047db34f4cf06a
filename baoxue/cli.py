"""`baoxue` command line. Each sub-command lives in ``baoxue/commands/<name>.py`` with ``register(subparsers)``
(adds its parser and sets ``func``) and ``run(args) -> int``. This file only dispatches.

With ``--json`` standard output carries only the JSON document; messages and progress go to standard error.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys

from . import __version__
from .gcpause import paused_gc
from .policy import PolicyError

COMMANDS = ("template", "validate", "update", "submit", "verify", "next-month", "rollup", "match", "demo", "addin")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser. Given the command line, only the named sub-command's module is imported (each imports its part of
    the core at module top; importing all of them costs a second or two of start-up); without one, all of them."""
    parser = argparse.ArgumentParser(prog="baoxue", description="控辍保学月报工作簿：模板、校验、报送、汇总 (baoxue)")
    parser.add_argument("--version", action="version", version=f"baoxue {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    named = next((a for a in argv or () if not a.startswith("-")), None)
    with paused_gc():   # importing pandas & co. makes ~10⁵ objects that live as long as the process
        for name in (named,) if named in COMMANDS else COMMANDS:
            try:
                module = importlib.import_module(f"baoxue.commands.{name.replace('-', '_')}")
            except ModuleNotFoundError as e:
                if e.name == f"baoxue.commands.{name.replace('-', '_')}":
                    continue  # command not built yet
                raise
            module.register(sub)
    gc.freeze()   # … and that no later collection needs to scan again
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")   # never fail on a name's stray bytes
        except (AttributeError, ValueError):
            pass
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except PolicyError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 — the last net: a clerk never sees a traceback (nor values from their file)
        if os.environ.get("BAOXUE_DEBUG"):
            raise
        print(f"错误：baoxue 内部出错（{type(e).__name__}），操作没有完成，原文件未被改动。"
              "请把出问题的工作簿和所用命令发给县教育局数据管理员。", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
