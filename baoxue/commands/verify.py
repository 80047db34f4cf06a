"""`baoxue verify FILE…`: re-check submission stamps. Exit 0 when every file's stamp is valid, 1 otherwise."""
from __future__ import annotations
from ..paths import shown
from ..submit import verify_file


def register(subparsers) -> None:
    p = subparsers.add_parser("verify", help="复核报送戳记：盖戳后数据是否被改动",
                              description="复核报送副本上的戳记：戳记是否存在、格式是否完整、盖戳后数据是否被改动。"
                                          "全部有效返回 0，否则返回 1。")
    p.add_argument("files", nargs="+", metavar="FILE", help="报送副本 (.xlsx)")
    p.set_defaults(func=run)


def run(args) -> int:
    bad = 0
    for path in args.files:
        r = verify_file(path)
        print(f"{'✔' if r.ok else '✘'} {shown(path)}：{r.check.reason_zh}")
        bad += not r.ok
    if len(args.files) > 1:
        print(f"共 {len(args.files)} 个文件，戳记有效 {len(args.files) - bad} 个，无效 {bad} 个。")
    return 1 if bad else 0
