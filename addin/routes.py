"""The files each delivery route needs, written by ``baoxue addin lite OUT_DIR`` and ``baoxue addin desktop DIR``.

- xlwings Lite: ``main.py`` (paste into the Lite editor), ``requirements.txt`` (xlwings pinned to 0.37.8 and the
  baoxue wheel's address) and the wheel itself: a pure-Python ``baoxue-<version>-py3-none-any.whl`` built here from
  the installed package, whose declared dependencies are only what Pyodide can install (``LITE_REQUIRES``) — the file
  reader's python-calamine and the roll-up's DuckDB/pyarrow are not needed in the browser (the add-in reads the live
  workbook through xlwings).
- Classic desktop add-in (Windows, xlwings BSD add-in): ``xlwings.conf`` beside the clerk's workbook (UDF module
  ``baoxue.addin.functions``, the Python interpreter) and ``baoxue_buttons.bas`` (the four VBA buttons). Both are GBK
  (cp936) with CRLF line endings: xlwings' VBA reads xlwings.conf with ``Open … For Input`` / ``Input #`` (the ANSI
  code page: GBK on a Chinese Windows), and the VBA editor imports .bas files the same way — a UTF-8 path such as
  C:\\Users\\张三\\… would arrive garbled.
"""
from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

from baoxue import __version__

from .runtime import XLWINGS_VERSION

HERE = Path(__file__).parent
LITE_DIR = HERE / "lite"
DESKTOP_DIR = HERE / "desktop"
UDF_MODULE = "baoxue.addin.functions"
LITE_REQUIRES = ("openpyxl>=3.1,<4", "pandas>=2.2", "pandera>=0.20", f"xlwings=={XLWINGS_VERSION}")
WHEEL_URL_PLACEHOLDER = "https://请替换为县教育局托管地址"
PACKAGES = ("baoxue", "baoxue.validators", "baoxue.addin", "baoxue.rollup", "baoxue.commands")
DATA_SUFFIXES = (".py", ".toml", ".txt", ".conf", ".bas", ".json", ".csv")
FIXED_TIME = (2026, 1, 1, 0, 0, 0)   # zip entry time: the same package gives the same wheel


def wheel_name(version: str = __version__) -> str:
    return f"baoxue-{version}-py3-none-any.whl"


def _package_files() -> list[tuple[str, Path]]:
    """(path inside the wheel, file on disk) for every module and data file of the installed package."""
    import importlib
    out = []
    for name in PACKAGES:
        module = importlib.import_module(name)
        root = Path(next(iter(module.__path__)))
        prefix = name.replace(".", "/")
        subpackages = {p.split(".")[-1] for p in PACKAGES if p.startswith(name + ".") and p.count(".") == name.count(".") + 1}
        for f in sorted(root.rglob("*")):
            rel = f.relative_to(root)
            if not f.is_file() or "__pycache__" in rel.parts or f.suffix not in DATA_SUFFIXES:
                continue
            if rel.parts[0] in subpackages:
                continue  # written under its own package name
            out.append((f"{prefix}/{rel.as_posix()}", f))
    return out


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def metadata(version: str = __version__) -> str:
    lines = ["Metadata-Version: 2.1", "Name: baoxue", f"Version: {version}",
             "Summary: 控辍保学月报工作簿：校验、更新、报送（xlwings Lite 用纯 Python 包）", "Requires-Python: >=3.11"]
    lines += [f"Requires-Dist: {r}" for r in LITE_REQUIRES]
    return "\n".join(lines) + "\n"


def build_wheel(out_dir: str | Path) -> Path:
    """Write the pure-Python baoxue wheel for xlwings Lite into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / wheel_name()
    dist = f"baoxue-{__version__}.dist-info"
    records = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        def add(name: str, data: bytes) -> None:
            zf.writestr(zipfile.ZipInfo(name, FIXED_TIME), data, zipfile.ZIP_DEFLATED)
            records.append(_record_line(name, data))
        for name, f in _package_files():
            add(name, f.read_bytes())
        add(f"{dist}/METADATA", metadata().encode())
        add(f"{dist}/WHEEL", b"Wheel-Version: 1.0\nGenerator: baoxue addin lite\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        add(f"{dist}/top_level.txt", b"baoxue\n")
        record = "\n".join(records + [f"{dist}/RECORD,,"]) + "\n"
        zf.writestr(zipfile.ZipInfo(f"{dist}/RECORD", FIXED_TIME), record.encode(), zipfile.ZIP_DEFLATED)
    return path


def lite_requirements(wheel_url: str | None = None) -> str:
    base = (wheel_url or WHEEL_URL_PLACEHOLDER).rstrip("/")
    url = base if base.endswith(".whl") else f"{base}/{wheel_name()}"
    return (LITE_DIR / "requirements.txt").read_text(encoding="utf-8").replace("{wheel_url}", url)


def write_lite(out_dir: str | Path, wheel_url: str | None = None, wheel: bool = True) -> list[Path]:
    """main.py, requirements.txt (and the wheel) for xlwings Lite."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    main = out_dir / "main.py"
    main.write_text((LITE_DIR / "main.py").read_text(encoding="utf-8"), encoding="utf-8")
    req = out_dir / "requirements.txt"
    req.write_text(lite_requirements(wheel_url), encoding="utf-8")
    written += [main, req]
    if wheel:
        written.append(build_wheel(out_dir))
    return written


def desktop_interpreter() -> str:
    """The Python the classic add-in should start: pythonw.exe beside this interpreter on Windows (no console)."""
    exe = Path(sys.executable)
    windowed = exe.with_name("pythonw.exe")
    return str(windowed if windowed.exists() else exe)


DESKTOP_ENCODING = "gbk"     # the ANSI code page of a Chinese Windows (cp936): what VBA's file I/O reads and writes


class DesktopConfigError(ValueError):
    """The interpreter path cannot be written for the VBA side (the message is Chinese)."""


def desktop_config(interpreter: str | None = None) -> str:
    text = (DESKTOP_DIR / "xlwings.conf").read_text(encoding="utf-8")
    return text.replace("{interpreter}", interpreter or desktop_interpreter())


def desktop_config_bytes(interpreter: str | None = None) -> bytes:
    """xlwings.conf as xlwings' VBA reads it: GBK, CRLF line endings."""
    text = desktop_config(interpreter)
    lines = text.replace("\r\n", "\n").split("\n")
    try:
        return "\r\n".join(lines).encode(DESKTOP_ENCODING)
    except UnicodeEncodeError as e:
        bad = e.object[e.start:e.end]
        raise DesktopConfigError(
            f"Python 路径中的字符“{bad}”无法用 GBK 编码保存，Excel 的 xlwings 加载项读不到这个路径。"
            "请把 Python 安装到只含常用汉字、字母和数字的文件夹（如 C:\\baoxue\\python），再用 --interpreter 指定。") from None


def write_desktop(out_dir: str | Path, interpreter: str | None = None) -> list[Path]:
    """xlwings.conf (put it beside the clerk's workbook; GBK, CRLF) and baoxue_buttons.bas (import into the workbook)."""
    data = desktop_config_bytes(interpreter)   # before anything is written: a path GBK cannot hold fails cleanly
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    conf = out_dir / "xlwings.conf"
    conf.write_bytes(data)
    bas = out_dir / "baoxue_buttons.bas"
    bas.write_bytes((DESKTOP_DIR / "baoxue_buttons.bas").read_bytes())
    return [conf, bas]
