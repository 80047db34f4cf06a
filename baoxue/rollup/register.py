"""The register of schools (学校名录, SPEC §6): the schools expected each month, read from a workbook.

The header row is found by its column names within the first rows (as for school workbooks), so a register made
from ``templates/学校名录模板.xlsx`` or typed by hand both work. Problems are raised as ``RegisterError`` with a
Chinese message; the roll-up cannot run without a usable register.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import model, normalize
from ..book import UnreadableWorkbook
from ..paths import shown
from ..reader import find_header, header_keys, load_grid


class RegisterError(Exception):
    """The register cannot be used; the message is Chinese and says what to fix."""


REGISTER_ADVICE = "请在 Excel 或 WPS 中打开学校名录后重新保存。"   # the county keeps it: no school to ask


@dataclass(frozen=True)
class RegisteredSchool:
    code: str
    name: str
    township: str
    school_type: str | None
    urban_rural: str | None

    @property
    def rural(self) -> bool:
        return self.urban_rural in model.RURAL


def _text(v) -> str | None:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return normalize.text(v)


def read_register(path: str | Path) -> list[RegisteredSchool]:
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise RegisterError(f"找不到学校名录文件：{shown(path)}")
    try:   # the reader's own guards: a regular file, size, zip bombs, sheet extents, DTDs — then python-calamine
        grid = load_grid(path, pipelined=False, every_sheet=True)
    except UnreadableWorkbook as e:
        raise RegisterError(f"学校名录无法读取：{e.readdressed(REGISTER_ADVICE).message} 请使用学校名录模板（templates/学校名录模板.xlsx）填写后另存为 .xlsx。"
                            ) from None
    names = grid.sheet_names
    wanted = next((n for n in names if normalize.clean_header(n) == model.REGISTER.name), names[0] if names else None)
    rows = grid.sheets.get(wanted) or []
    header = find_header(rows, header_keys(model.REGISTER))
    if header is None:
        raise RegisterError(f"学校名录“{path.name}”中找不到表头（应有列：{'、'.join(model.REGISTER.column_names)}）。")
    hi, found, _extras = header
    missing = [c for c in model.REGISTER.required_columns if c not in found]
    if missing:
        raise RegisterError(f"学校名录“{path.name}”缺少列：{'、'.join(missing)}。")
    schools: list[RegisteredSchool] = []
    seen: dict[str, int] = {}
    problems: list[str] = []
    for i in range(hi + 1, len(rows)):
        row = rows[i]
        get = {c: _text(row[j]) if j < len(row) else None for c, j in found.items()}
        if not any(get.values()):
            continue
        code = normalize.compact(get["学校标识码"]) if get["学校标识码"] else None
        if not code:
            problems.append(f"第 {i + 1} 行缺少学校标识码")
            continue
        if code in seen:
            problems.append(f"第 {i + 1} 行学校标识码 {code} 与第 {seen[code]} 行重复")
            continue
        seen[code] = i + 1
        urban = normalize.code("城乡类别", get.get("城乡类别"))
        schools.append(RegisteredSchool(code=code, name=get.get("学校名称") or code, township=get.get("所属乡镇") or "（未填乡镇）",
                                        school_type=normalize.code("学校类型", get.get("学校类型")),
                                        urban_rural=urban if urban in model.CODE_LISTS["城乡类别"] else None))
    if problems:
        raise RegisterError(f"学校名录“{path.name}”有误：" + "；".join(problems[:10]) + ("……" if len(problems) > 10 else "")
                            + "。请修改后重新运行。")
    if not schools:
        raise RegisterError(f"学校名录“{path.name}”中没有学校。")
    return schools
