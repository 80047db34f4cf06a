"""`baoxue addin lite OUT_DIR` / `baoxue addin desktop DIR`: the files of the Excel add-in's delivery routes
(see docs/addin-guide.md). Thin: ``baoxue.addin.routes`` writes them."""
from __future__ import annotations

import sys
from baoxue.addin import routes


def register(subparsers) -> None:
    p = subparsers.add_parser("addin", help="生成 Excel 加载项文件（xlwings Lite 或 Windows 桌面版）",
                              description="生成 Excel 加载项所需文件。lite：xlwings Lite 的 main.py、requirements.txt 和 baoxue "
                                          "纯 Python 安装包（whl）；desktop：桌面版 xlwings 加载项的 xlwings.conf 和四个按钮的 VBA 模块。")
    sub = p.add_subparsers(dest="route", metavar="ROUTE")
    lite = sub.add_parser("lite", help="xlwings Lite（Excel 365 Windows/Mac/网页版，无需安装 Python）")
    lite.add_argument("out_dir", metavar="OUT_DIR", help="输出文件夹")
    lite.add_argument("--wheel-url", metavar="URL",
                      help="县教育局托管 whl 文件的 https 地址（文件夹或完整文件地址），写入 requirements.txt")
    lite.add_argument("--no-wheel", action="store_true", help="不生成 whl 文件")
    lite.set_defaults(func=run)
    desk = sub.add_parser("desktop", help="Windows 桌面版 Excel + xlwings 经典加载项（需本机安装 Python 和 baoxue）")
    desk.add_argument("out_dir", metavar="DIR", help="学校工作簿所在文件夹（xlwings.conf 须与工作簿放在一起）")
    desk.add_argument("--interpreter", metavar="PYTHONW", help="Python 解释器路径（默认：当前 Python 旁的 pythonw.exe）")
    desk.set_defaults(func=run)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def run(args) -> int:
    if args.route == "lite":
        written = routes.write_lite(args.out_dir, args.wheel_url, wheel=not args.no_wheel)
        for path in written:
            print(f"已生成 {path}")
        print("下一步：把 main.py 和 requirements.txt 的内容分别粘贴到 xlwings Lite 的同名标签页，然后重启 xlwings Lite。")
        if not args.wheel_url:
            print(f"注意：requirements.txt 中 baoxue 的地址是占位符（{routes.WHEEL_URL_PLACEHOLDER}）。请把 whl 文件放到县教育局"
                  "可通过 https 访问的服务器上，再用 --wheel-url 重新生成或手工修改该行。", file=sys.stderr)
        return 0
    try:
        written = routes.write_desktop(args.out_dir, args.interpreter)
    except routes.DesktopConfigError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    for path in written:
        print(f"已生成 {path}")
    print("下一步：在 Excel 的 xlwings 选项卡点“Import Functions”导入函数；按 docs/addin-guide.md 导入 baoxue_buttons.bas 并放置按钮。")
    return 0
