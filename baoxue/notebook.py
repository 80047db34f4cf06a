"""The data officer's notebooks: ipywidgets apps over the roll-up engine (presentation only).

- ``RollupApp`` (月度汇总): month, inbox, register and store in; ``baoxue.rollup.run_rollup`` with a progress bar; tabs
  报送情况 / 问题清单 / 乡镇汇总 / 学校明细 / 逾期预警 / 趋势 (the figures as the 月报表 shows them: both dropout rates and
  the school-year counts, the trend of the 学年辍学率); 导出月报表 calls ``baoxue.rollup.write_report`` (always masked: the
  report leaves the county).
- ``FollowupApp`` (个案跟踪): the open dropout cases of a month by township / school, the cases whose next legal step is
  overdue, filters, and an export of the filtered list.

Every figure, rule and list comes from the core; this module only turns results into tables, a chart and buttons.
Personal data of minors (ID numbers, 学籍号, names) is masked on screen unless the officer ticks 显示完整信息 (internal
view). Nothing personal is logged. Errors end as a Chinese message in the status line, never a traceback.

Both apps can be driven from Python (tests, papermill): set the widgets' ``value``, call ``run_button.click()``, read
``status.value`` and the tab HTML; or call ``run()`` / ``export()`` directly.
"""
from __future__ import annotations

import datetime as dt
import html
import io
from pathlib import Path
from typing import Any

import pandas as pd
import ipywidgets as W

from . import model
from .atomic import atomic_save
from .cells import write as write_cell
from .household.result import INDICATOR_LABELS as LEDGER_LABELS
from .indicators import ALL_RATES, FIGURES
from .months import prev_month, valid_month
from .policy import load_policy
from .rollup import data_months, report_name, run_rollup, write_report
from .rollup.masking import mask_frame
from .rollup.register import read_register
from .rollup.school_year import rates_note
from .rollup.trend import LEDGER_TREND, trend_with_ledger
from .beijing import beijing

ALL = "全部"
MAX_ROWS = 500  # rows shown per table; the exported workbook holds everything


SCHOOL_LABELS = {"code": "学校标识码", "name": "学校名称", "township": "所属乡镇", "submitted": "已报送",
                 "stamp_ok": "戳记有效", "counted": "计入汇总", "errors": "错误", "warnings": "警告"}
TOWNSHIP_LABELS = {"name": "乡镇", "schools_expected": "应报学校数", "schools_submitted": "有效报送数",
                   "zero_report_schools": "零报告学校数"}
FINDING_LABELS = {"school": "学校标识码", "file": "文件"}
FILE_LABELS = {"file": "文件", "status": "处理结果", "school": "学校标识码", "name": "学校名称", "month": "报送月份",
               "stamped_at": "报送时间（北京时间）", "stamp_reason": "戳记说明", "errors": "错误", "warnings": "警告"}
# The follow-up list: what a township officer needs to chase a case (all of them are 辍学 columns of the model).
FOLLOWUP_COLUMNS = ("所属乡镇", "学校标识码", "学校名称", "姓名", "身份证号", "年级", "类型", "发现日期", "状态",
                    "劝返动员日期", "限期复学通知日期", "行政处罚日期", "司法程序日期", "包保责任人", "去向说明",
                    "户籍乡镇", "户籍村(社区)", "监护人姓名", "监护人电话", "文件", "行号")
# The engine's internal column names in its case lists, shown in Chinese.
ENGINE_COLUMNS = {"sheet": "工作表", "row": "行号", "rule": "规则编号", "file": "文件", "school": "学校标识码"}
TREND_COUNTS = ("open_cases", "new_suspected", "new_dropout", "returned", "closed")
TREND_RATES = ("year_dropout_rate_primary", "year_dropout_rate_junior")   # the rate chart: 学年辍学率 (SPEC §5.1)
SCHOOL_FIGURE_LABELS = {"township": "所属乡镇", "code": "学校标识码", "name": "学校名称", "城乡类别": "城乡类别",
                        "counted": "计入汇总"}

# Tables scroll inside their box (both ways) with the header row kept in view; long text (说明, 去向说明 …) wraps in
# its cell instead of running past the box's right edge.
TABLE_CSS = """<style>
.bx-table {max-height: 420px; max-width: 100%; overflow: auto; font-size: 13px;}
.bx-table table {border-collapse: collapse;}
.bx-table th {position: sticky; top: 0; z-index: 1; background: #eef3f8; padding: 3px 8px; border: 1px solid #ccd;
              white-space: nowrap;}
.bx-table td {padding: 2px 8px; border: 1px solid #dde; white-space: normal; overflow-wrap: break-word;
              max-width: 32em; vertical-align: top;}
.bx-note {color: #666; font-size: 12px;}
.bx-error {color: #b00020;} .bx-ok {color: #1b6e20;} .bx-warn {color: #a15c00;}
</style>"""


class InputError(Exception):
    """An input the officer must fix before running (Chinese message)."""


# ------------------------------------------------------------------------------------------------ presentation helpers
def indicator_labels() -> dict[str, str]:
    """JSON key -> label of the roll-up's figures (SPEC §5 with the school-year figures of §5.1 after the month-end
    rates, as the 月报表 orders them; rates marked "(%)"), from the one place that defines them."""
    return {key: label + ("(%)" if key in ALL_RATES else "") for key, label in FIGURES}


def month_options(today: dt.date | None = None, extra: tuple[str, ...] = (), count: int = 24) -> list[str]:
    """YYYY-MM choices for the month picker: the last ``count`` months up to this one, plus ``extra``, newest first."""
    today = today or dt.date.today()
    months = {f"{today.year:04d}-{today.month:02d}"}
    m = next(iter(months))
    for _ in range(count - 1):
        m = prev_month(m)
        months.add(m)
    months.update(x for x in extra if valid_month(x))
    return sorted(months, reverse=True)


def finding_cells(d: dict) -> list:
    """A finding dict's values in 校验结果's column order (``model.FINDINGS_COLUMNS``)."""
    return [model.SEVERITY_LABELS.get(d.get("severity"), d.get("severity")) if c == "级别"
            else d.get(model.FINDING_FIELDS[c]) for c in model.FINDINGS_COLUMNS]


def findings_frame(finding_dicts: list[dict]) -> pd.DataFrame:
    """Findings (``RollupResult.finding_dicts(masked)``) as a 校验结果-style table with the school and file."""
    cols = [FINDING_LABELS["school"], FINDING_LABELS["file"], *model.FINDINGS_COLUMNS]
    rows = [[d.get("school"), Path(d["file"]).name if d.get("file") else None, *finding_cells(d)] for d in finding_dicts]
    return _whole_numbers(pd.DataFrame(rows, columns=cols), ["行号"])


def case_frame(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """A case list of the engine for display: internal columns in Chinese, file names without folders."""
    if df is None:
        return None
    out = df.rename(columns={k: v for k, v in ENGINE_COLUMNS.items() if k in df.columns and v not in df.columns})
    if "文件" in out.columns:
        out = out.assign(文件=[Path(f).name if isinstance(f, str) and f else f for f in out["文件"]])
    return _whole_numbers(out, ["行号", "逾期天数"])


def schools_frame(schools: list[dict]) -> pd.DataFrame:
    """报送情况: one row per registered school (and per unregistered submission the engine lists)."""
    rows = []
    for s in schools:
        row = {label: s.get(key) for key, label in SCHOOL_LABELS.items()}
        for key in ("submitted", "stamp_ok", "counted"):
            v = s.get(key)
            row[SCHOOL_LABELS[key]] = "是" if v is True else "否" if v is False else v
        rows.append(row)
    return _whole_numbers(pd.DataFrame(rows, columns=list(SCHOOL_LABELS.values())),
                          [SCHOOL_LABELS["errors"], SCHOOL_LABELS["warnings"]])


def _whole_numbers(df: pd.DataFrame, columns) -> pd.DataFrame:
    """Show counts and row numbers as integers even where some are empty (pandas would make them 5.0)."""
    for c in columns:
        if c in df.columns:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
    return df


def files_frame(files: list[dict]) -> pd.DataFrame:
    """收到的文件: every file found in the inbox and what the roll-up did with it (counted, duplicate, unreadable …)."""
    shown = {"stamped_at": lambda t: beijing(t, label=False) or None}   # the header says 北京时间
    df = pd.DataFrame([{label: shown.get(key, lambda v: v)(f.get(key)) for key, label in FILE_LABELS.items()}
                       for f in files], columns=list(FILE_LABELS.values()))
    return _whole_numbers(df, [FILE_LABELS["errors"], FILE_LABELS["warnings"]])


def two_decimals(df: pd.DataFrame) -> pd.DataFrame:
    """Every rate column ("…(%)") shown with two decimals, as the 月报表 shows them (0.1 → 0.10); empty stays empty."""
    labels = indicator_labels()
    for key in ALL_RATES:
        label = labels.get(key)
        if label in df.columns:
            df[label] = [None if v is None or pd.isna(v) else f"{float(v):.2f}"
                         for v in pd.to_numeric(df[label], errors="coerce")]
    return df


def townships_frame(townships: list[dict], county: dict | None = None) -> pd.DataFrame:
    """乡镇汇总: township rows with the SPEC §5 figures under their 月报汇总 labels, plus a 全县合计 row."""
    labels = {**TOWNSHIP_LABELS, **indicator_labels()}
    rows = list(townships) + ([{**county, "name": "全县合计"}] if county else [])
    keys = [k for k in labels if any(k in r for r in rows)] or list(TOWNSHIP_LABELS)
    return two_decimals(pd.DataFrame([[r.get(k) for k in keys] for r in rows], columns=[labels[k] for k in keys]))


def school_figures_frame(schools: list[dict]) -> pd.DataFrame:
    """学校明细: each school's figures (empty where it did not count), as the 月报表's sheet of that name."""
    labels = {**SCHOOL_FIGURE_LABELS, **indicator_labels()}
    rows = []
    for s in schools:
        row = {label: s.get(key) for key, label in labels.items()}
        row[SCHOOL_FIGURE_LABELS["counted"]] = "是" if s.get("counted") else "否"
        rows.append(row)
    df = pd.DataFrame(rows, columns=list(labels.values()))
    counts = [label for key, label in labels.items() if key not in SCHOOL_FIGURE_LABELS and key not in ALL_RATES
              and key != "zero_report"
              and pd.to_numeric(df[label], errors="coerce").dropna().map(lambda v: float(v).is_integer()).all()]
    return two_decimals(_whole_numbers(df, counts))


def rates_note_html(result) -> str:
    """The two rates explained and the months the school-year figures count (from the core's note)."""
    return f'{TABLE_CSS}<div class="bx-note">{html.escape(rates_note(result.month, result.county))}</div>'


def html_table(df: pd.DataFrame | None, empty: str = "（无）", limit: int = MAX_ROWS) -> str:
    """A scrollable HTML table (escaped); at most ``limit`` rows, with a note when more exist."""
    if df is None or df.empty:
        return f'<div class="bx-note">{html.escape(empty)}</div>'
    shown = df.head(limit).astype(object).map(lambda v: "" if _blank(v) else v)
    body = shown.to_html(index=False, escape=True, border=0)
    if len(df) > limit:
        note = f'<div class="bx-note">共 {len(df)} 行，仅显示前 {limit} 行；完整内容请导出。</div>'
    else:
        note = f'<div class="bx-note">共 {len(df)} 行</div>'
    return f'{TABLE_CSS}<div class="bx-table">{body}</div>{note}'


def _blank(v: Any) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _township_column(df: pd.DataFrame) -> str | None:
    for c in ("所属乡镇", "township", "乡镇"):
        if c in df.columns:
            return c
    return None


def _school_column(df: pd.DataFrame) -> str | None:
    for c in ("学校标识码", "school", "code"):
        if c in df.columns:
            return c
    return None


def filter_frame(df: pd.DataFrame | None, township: str = ALL, school: str = ALL,
                 school_townships: dict[str, str] | None = None) -> pd.DataFrame | None:
    """Rows of one township / school. A frame without a township column is matched through its school code."""
    if df is None or df.empty:
        return df
    out = df
    if township and township != ALL:
        tcol = _township_column(out)
        scol = _school_column(out)
        if tcol is not None:
            out = out[out[tcol] == township]
        elif scol is not None and school_townships is not None:
            out = out[out[scol].map(lambda c: school_townships.get(c)) == township]
    if school and school != ALL:
        scol = _school_column(out)
        if scol is not None:
            out = out[out[scol] == school]
    return out


def _cjk_font() -> str | None:
    from matplotlib import font_manager
    available = {f.name for f in font_manager.fontManager.ttflist}
    for name in ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei",
                 "Microsoft YaHei", "PingFang SC"):
        if name in available:
            return name
    return None


def trend_png(trend: pd.DataFrame, title: str = "全县月度趋势") -> bytes | None:
    """A PNG line chart of the county's counts (left) and 学年辍学率 (right, SPEC §5.1) per month; None without data."""
    if trend is None or trend.empty or "month" not in trend.columns:
        return None
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
    labels = indicator_labels()
    labels.update({k: LEDGER_LABELS[k] + ("(%)" if k == "enrolment_rate" else "") for k in LEDGER_TREND})
    font = _cjk_font()
    rc = {"font.family": "sans-serif", "font.sans-serif": [font] if font else ["DejaVu Sans"],
          "axes.unicode_minus": False}
    import matplotlib
    with matplotlib.rc_context(rc):
        data = trend.sort_values("month")
        enrolment = "enrolment_rate" in data.columns and data["enrolment_rate"].notna().any()
        fig = Figure(figsize=(14 if enrolment else 10, 3.6), dpi=100)
        ax1, ax2, *ax3 = fig.subplots(1, 3 if enrolment else 2)
        for key in TREND_COUNTS + LEDGER_TREND[:1]:
            if key in data.columns:
                ax1.plot(data["month"], pd.to_numeric(data[key], errors="coerce"), marker="o", label=labels.get(key, key))
        ax1.set_title(f"{title}（人数）")
        ax1.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax1.legend(fontsize=8)
        for key in TREND_RATES:
            if key in data.columns:
                ax2.plot(data["month"], pd.to_numeric(data[key], errors="coerce"), marker="o", label=labels.get(key, key))
        ax2.set_title(f"{title}（学年辍学率，%）")
        ax2.legend(fontsize=8)
        if ax3:
            ax3[0].plot(data["month"], pd.to_numeric(data["enrolment_rate"], errors="coerce"), marker="o",
                        color="#2e7d32", label=labels["enrolment_rate"])
            ax3[0].set_title(f"{title}（适龄儿童入学率）")
            ax3[0].legend(fontsize=8)
        for ax in (ax1, ax2, *ax3):
            ax.tick_params(axis="x", labelrotation=30, labelsize=8)
            ax.grid(alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()


def _path_text(value: str) -> str:
    """A path as typed or pasted (Windows' "复制为路径" adds quotes)."""
    return value.strip().strip('"').strip("'").strip()


def _status(kind: str, text: str) -> str:
    return f'{TABLE_CSS}<span class="bx-{kind}">{html.escape(text)}</span>'


# ------------------------------------------------------------------------------------------------ shared inputs
class _Inputs:
    """Month, inbox, register, store, township filter and the mask checkbox shared by both apps."""

    def __init__(self, inbox: str | None, register: str | None, month: str | None, store: str | None,
                 policy: str | None, out: str | None):
        style = {"description_width": "88px"}
        wide = W.Layout(width="640px")
        self.policy = policy
        # a month given but malformed (papermill ``-p month 2026-9``) is an error to report, never a silent fallback
        self.month_error = None if not month or valid_month(month) else (
            f"报送月份“{month}”格式不对：应为 YYYY-MM（如 2026-09）。请改正后重新运行。")
        self._month_given = bool(month) and self.month_error is None
        self.month = W.Dropdown(description="报送月份", options=month_options(extra=(month,) if self._month_given else ()),
                                value=month if self._month_given else None, style=style)
        self.inbox = W.Text(description="收件夹", value=str(inbox or ""), placeholder="各校报送文件所在文件夹",
                            style=style, layout=wide)
        self.register = W.Text(description="学校名录", value=str(register or ""), placeholder="学校名录.xlsx 的路径",
                               style=style, layout=wide)
        self.store = W.Text(description="历史库", value=str(store or ""),
                            placeholder="留空：收件夹旁的 baoxue-store 文件夹", style=style, layout=wide)
        self.out = W.Text(description="导出到", value=str(out or ""), placeholder="导出文件路径（.xlsx）",
                          style=style, layout=wide)
        self.township = W.Dropdown(description="乡镇筛选", options=[ALL], value=ALL, style=style)
        self.unmasked = W.Checkbox(description="显示完整信息（仅限内部使用）", value=False, indent=False)
        self.progress = W.IntProgress(value=0, min=0, max=1, description="进度", style=style,
                                      layout=W.Layout(width="400px"))
        self.progress_label = W.Label(value="")
        self.status = W.HTML(value="")
        self.result = None
        self.register.observe(lambda _change: self._load_townships(), names="value")
        self._load_townships()
        self._default_month()
        self.inbox.observe(lambda _change: self._default_month(), names="value")
        self.store.observe(lambda _change: self._default_month(), names="value")
        self.month.observe(self._on_month, names="value")
        if self.month_error:
            self.status.value = _status("error", self.month_error)

    def _default_month(self) -> None:
        """Unless a month was given or picked: the latest month found in the inbox or the history store (else this
        month), so the picker never proposes a month with no data when there is one that has."""
        if self._month_given:
            return
        found = data_months(_path_text(self.inbox.value) or None, _path_text(self.store.value) or None)
        options = month_options(extra=tuple(found))
        latest = found[-1] if found else options[0]
        self._setting_default = True
        try:
            if list(self.month.options) != options:
                self.month.options = options
            self.month.value = latest
        finally:
            self._setting_default = False

    def _on_month(self, change) -> None:
        if getattr(self, "_setting_default", False):
            return
        self._month_given = True        # the officer picked one: keep it
        self.month_error = None

    # ---------------------------------------------------------------- inputs
    def _load_townships(self) -> None:
        """Offer the register's townships in the filter as soon as a readable register is named."""
        path = _path_text(self.register.value)
        towns: list[str] = []
        if path and Path(path).is_file():
            try:
                towns = sorted({s.township for s in read_register(path)})
            except Exception:  # an unusable register is reported when the officer runs
                towns = []
        self._set_townships(towns)

    def _set_townships(self, towns) -> None:
        current = self.township.value
        options = [ALL, *sorted(t for t in set(towns) if t)]
        self.township.options = options
        self.township.value = current if current in options else ALL

    def checked_inputs(self) -> tuple[Path, str, Path, Path | None]:
        inbox = _path_text(self.inbox.value)
        register = _path_text(self.register.value)
        month = self.month.value
        if self.month_error:
            raise InputError(self.month_error)
        if not inbox:
            raise InputError("请填写收件夹（各校报送文件所在的文件夹）。")
        if not Path(inbox).is_dir():
            raise InputError(f"收件夹不存在或不是文件夹：{inbox}")
        if not register:
            raise InputError("请填写学校名录文件的路径。")
        if not Path(register).is_file():
            raise InputError(f"找不到学校名录文件：{register}")
        if not valid_month(month):
            raise InputError("请选择报送月份（YYYY-MM）。")
        store = _path_text(self.store.value)
        return Path(inbox), month, Path(register), (Path(store) if store else None)

    def _on_progress(self, done: int, total: int, label: str = "") -> None:
        self.progress.max = max(int(total), 1)
        self.progress.value = min(int(done), self.progress.max)
        self.progress_label.value = f"{done}/{total} {label}".strip()

    def run_rollup(self, raise_errors: bool = False):
        """Call the engine with the widgets' values; the result, or None with a Chinese message in ``status``."""
        try:
            inbox, month, register, store = self.checked_inputs()
            self.status.value = _status("note", f"正在汇总 {month} …")
            self.progress.value = 0
            policy = None
            if self.policy:
                policy = load_policy(self.policy)
            result = run_rollup(inbox, month, register, store_dir=store, policy=policy, progress=self._on_progress)
        except InputError as e:
            self.status.value = _status("error", str(e))
            if raise_errors:
                raise
            return None
        except Exception as e:  # the engine's own errors carry Chinese messages (register, store lock, policy …)
            self.status.value = _status("error", f"汇总失败：{e}")
            if raise_errors:
                raise
            return None
        self.progress.value = self.progress.max
        self.result = result
        self._set_townships([s.get("township") for s in result.schools])
        return result

    def _suggest_out(self, result, stem: str) -> None:
        """Propose an export path beside the inbox, unless the officer typed one (or papermill gave ``out``)."""
        current = self.out.value.strip()
        if current and current != getattr(self, "_suggested_out", None):
            return
        base = Path(result.inbox or self.inbox.value.strip() or ".").resolve().parent
        self._suggested_out = str(base / f"{stem}_{result.month}.xlsx")
        self.out.value = self._suggested_out

    def school_townships(self) -> dict[str, str]:
        return {s.get("code"): s.get("township") for s in (self.result.schools if self.result else [])}

    @property
    def masked(self) -> bool:
        return not self.unmasked.value

    def store_dir(self) -> Path | None:
        """The history store the engine used (the officer's choice or the engine's default beside the inbox)."""
        if self.result is not None and self.result.store_dir:
            return Path(self.result.store_dir)
        return Path(_path_text(self.store.value)) if _path_text(self.store.value) else None


# ------------------------------------------------------------------------------------------------ 月度汇总
class RollupApp(_Inputs):
    """月度汇总: roll up a month's submissions, show completeness, findings, townships, overdue cases and the trend."""

    TABS = ("报送情况", "问题清单", "乡镇汇总", "学校明细", "逾期预警", "趋势")

    def __init__(self, inbox: str | None = None, register: str | None = None, month: str | None = None,
                 out: str | None = None, store: str | None = None, policy: str | None = None):
        super().__init__(inbox, register, month, store, policy, out)
        self.run_button = W.Button(description="运行汇总", button_style="primary", icon="play",
                                   tooltip="读取收件夹中本月各校报送文件并汇总 (run roll-up)")
        self.export_button = W.Button(description="导出月报表", icon="download", disabled=True,
                                      tooltip="导出脱敏的月报表 .xlsx (export monthly report, masked)")
        self.summary = W.HTML(value="")
        self.completeness = W.HTML()
        self.files = W.HTML()
        self.findings = W.HTML()
        self.township_table = W.HTML()
        self.school_table = W.HTML()
        self.overdue = W.HTML()
        self.trend_note = W.HTML()
        # at its own size (a VBox would stretch it to the panel's width, blurred), narrower only on a narrow screen
        self.trend_image = W.Image(format="png", layout=W.Layout(max_width="100%", align_self="flex-start"))
        self.tabs = W.Tab(children=[W.VBox([self.completeness, W.HTML("<b>收到的文件</b>"), self.files]),
                                    self.findings, self.township_table, self.school_table, self.overdue,
                                    W.VBox([self.trend_note, self.trend_image])])
        self.tabs.titles = self.TABS
        self.run_button.on_click(lambda _b: self.run())
        self.export_button.on_click(lambda _b: self.export())
        self.township.observe(lambda _c: self.refresh(), names="value")
        self.unmasked.observe(lambda _c: self.refresh(), names="value")
        self.widget = W.VBox([
            W.HTML("<h3>控辍保学 · 月度汇总</h3>"),
            W.HBox([self.month, self.township]),
            self.inbox, self.register, self.store,
            W.HBox([self.run_button, self.progress, self.progress_label]),
            self.status, self.summary,
            W.HBox([self.unmasked]),
            self.tabs,
            self.out, W.HBox([self.export_button]),
        ])

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # ---------------------------------------------------------------- actions
    def run(self, raise_errors: bool = False):
        """Roll up the chosen month (the 运行汇总 button); the RollupResult, or None with a message in ``status``."""
        result = self.run_rollup(raise_errors=raise_errors)
        self.export_button.disabled = result is None
        if result is not None:
            self.show(result)
        return result

    def show(self, result) -> None:
        """Show a RollupResult (from this app's run, or one computed elsewhere, e.g. by ``baoxue rollup``'s caller)."""
        self.result = result
        self._set_townships([s.get("township") for s in result.schools])
        if result.month in self.month.options:
            self.month.value = result.month
        self._suggest_out(result, "月报表")
        self.export_button.disabled = False
        self.status.value = _status("ok", self.summary_text())
        self.refresh()

    def summary_text(self) -> str:
        """One line for the officer: completeness, findings, open and overdue cases (from ``RollupResult.summary``)."""
        r = self.result
        s = r.summary()
        extra = "".join(f"，{label} {s[key]} {unit}" for key, label, unit in
                        (("stamp_invalid", "戳记无效", "所"), ("late", "逾期报送", "所"),
                         ("unreadable", "无法读取的文件", "个"))
                        if s.get(key))
        return (f"汇总完成：{r.month}，应报 {s['schools_expected']} 所，有效报送 {s['schools_submitted']} 所，"
                f"未报送 {s['missing']} 所{extra}；问题 {s['errors'] + s['warnings']} 条（错误 {s['errors']}，"
                f"警告 {s['warnings']}）；月末在册未销号 {s['open_cases']} 人，逾期预警 {s['overdue']} 条。")

    def refresh(self) -> None:
        """Redraw every tab from the last result, the township filter and the mask checkbox."""
        r = self.result
        if r is None:
            return
        town = self.township.value
        towns = self.school_townships()
        schools = schools_frame(r.schools)
        self.completeness.value = html_table(filter_frame(schools, town, school_townships=towns), "（无学校）")
        self.files.value = html_table(filter_frame(files_frame(r.files), town, school_townships=towns), "（收件夹中没有文件）")
        self.findings.value = html_table(
            filter_frame(findings_frame(r.finding_dicts(self.masked)), town, school_townships=towns), "（无问题）")
        ttable = townships_frame(r.townships, r.county)
        if town != ALL:
            ttable = ttable[ttable["乡镇"].isin([town, "全县合计"])]
        note = rates_note_html(r)
        self.township_table.value = note + html_table(ttable, "（无乡镇）")
        self.school_table.value = note + html_table(
            filter_frame(school_figures_frame(r.schools), town, school_townships=towns), "（无学校）")
        overdue = filter_frame(case_frame(r.overdue), town, school_townships=towns)
        self.overdue.value = html_table(mask_frame(overdue, self.masked, r.scrubber()), "（无逾期个案）")
        self.summary.value = self._summary_html(schools, town, towns)
        self.show_trend()

    def _summary_html(self, schools: pd.DataFrame, town: str, towns: dict[str, str]) -> str:
        missing = schools[schools[SCHOOL_LABELS["submitted"]] != "是"]
        missing = filter_frame(missing, town, school_townships=towns)
        names = "、".join(str(n) for n in missing[SCHOOL_LABELS["name"]].head(20))
        if missing.empty:
            return _status("ok", "本月各校均已报送。" if town == ALL else f"{town}各校均已报送。")
        more = "等" if len(missing) > 20 else ""
        return _status("warn", f"未报送 {len(missing)} 所：{names}{more}")

    def show_trend(self) -> None:
        """The trend chart over the months in the history store up to the shown month (the county, or the filtered
        township)."""
        town = self.township.value
        store_dir = self.store_dir()
        stored = self.result is not None and store_dir is not None and store_dir.exists()
        trend = trend_with_ledger(self.result, None if town == ALL else town) if stored else None
        scope = "全县" if town == ALL else town
        png = trend_png(trend, title=f"{scope}月度趋势")
        if png is None:
            self.trend_note.value = _status("note", f"历史库中还没有{scope}可用于趋势图的月份。")
            self.trend_image.value = b""
            return
        months = sorted(set(trend["month"]))
        self.trend_note.value = _status(
            "note", f"{scope}月度趋势：{months[0]} 至 {months[-1]}，共 {len(months)} 个月（历史库 {store_dir}）")
        self.trend_image.value = png

    def export(self, path: str | None = None, raise_errors: bool = False) -> Path | None:
        """Write the 月报表 workbook (masked) with the engine's writer; the path, or None with a message."""
        if self.result is None:
            self.status.value = _status("error", "请先运行汇总，再导出月报表。")
            return None
        target = Path(path or _path_text(self.out.value) or report_name(self.result.month))
        if target.suffix.lower() != ".xlsx":
            target = target.with_suffix(".xlsx")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_report(self.result, target, masked=True)
        except Exception as e:
            self.status.value = _status("error", f"导出失败：{e}")
            if raise_errors:
                raise
            return None
        self.out.value = str(target)
        self.status.value = _status("ok", f"月报表已导出（已脱敏）：{target}")
        return target


# ------------------------------------------------------------------------------------------------ 个案跟踪
class FollowupApp(_Inputs):
    """个案跟踪: open dropout cases by township / school, overdue next legal steps, filters, export of the list."""

    def __init__(self, inbox: str | None = None, register: str | None = None, month: str | None = None,
                 out: str | None = None, store: str | None = None, policy: str | None = None, result=None):
        super().__init__(inbox, register, month, store, policy, out)
        self.school = W.Dropdown(description="学校", options=[ALL], value=ALL, style={"description_width": "88px"})
        self.status_filter = W.Dropdown(description="状态", options=[ALL, *model.DROPOUT_OPEN_STATUSES], value=ALL,
                                        style={"description_width": "88px"})
        self.overdue_only = W.Checkbox(description="仅显示逾期未升级", value=False, indent=False)
        self.search = W.Text(description="查找", placeholder="姓名或身份证号", style={"description_width": "88px"})
        self.run_button = W.Button(description="加载个案", button_style="primary", icon="play",
                                   tooltip="汇总本月报送并列出未销号个案 (load cases)")
        self.export_button = W.Button(description="导出名单", icon="download", disabled=True,
                                      tooltip="导出当前筛选的个案名单 .xlsx (export list)")
        self.by_school = W.HTML()
        self.cases = W.HTML()
        self.overdue = W.HTML()
        self.tabs = W.Tab(children=[self.by_school, self.cases, self.overdue])
        self.tabs.titles = ("按学校统计", "在册未销号", "逾期待升级")
        self.run_button.on_click(lambda _b: self.run())
        self.export_button.on_click(lambda _b: self.export())
        self.township.observe(lambda _c: self._on_township(), names="value")
        for w in (self.school, self.status_filter, self.overdue_only, self.unmasked):
            w.observe(lambda _c: self.refresh(), names="value")
        self.search.observe(lambda _c: self.refresh(), names="value")
        self.widget = W.VBox([
            W.HTML("<h3>控辍保学 · 个案跟踪</h3>"),
            W.HBox([self.month]), self.inbox, self.register, self.store,
            W.HBox([self.run_button, self.progress, self.progress_label]),
            self.status,
            W.HBox([self.township, self.school, self.status_filter]),
            W.HBox([self.search, self.overdue_only, self.unmasked]),
            self.tabs, self.out, W.HBox([self.export_button]),
        ])
        if result is not None:
            self.use_result(result)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def run(self, raise_errors: bool = False):
        result = self.run_rollup(raise_errors=raise_errors)
        if result is not None:
            self.use_result(result)
        return result

    def use_result(self, result) -> None:
        """Show the cases of a roll-up already run (e.g. by a RollupApp in the same notebook)."""
        self.result = result
        self._set_townships([s.get("township") for s in result.schools])
        if self.month.value != result.month and result.month in self.month.options:
            self.month.value = result.month
        self._suggest_out(result, "个案跟踪")
        self.export_button.disabled = False
        self._on_township()
        self.status.value = _status("ok", self.status_text())

    def status_text(self) -> str:
        r = self.result
        n_open = 0 if r.open_cases is None else len(r.open_cases)
        n_over = 0 if r.overdue is None else len(r.overdue)
        return f"{r.month}：在册未销号 {n_open} 人，逾期待升级 {n_over} 条。"

    def _on_township(self) -> None:
        schools = [s for s in (self.result.schools if self.result else [])
                   if self.township.value == ALL or s.get("township") == self.township.value]
        options = [(ALL, ALL)] + [(f"{s.get('name')}（{s.get('code')}）", s.get("code")) for s in schools]
        current = self.school.value
        self.school.options = options
        self.school.value = current if current in [v for _l, v in options] else ALL
        self.refresh()

    def _filtered(self, df: pd.DataFrame | None) -> pd.DataFrame | None:
        if df is None:
            return None
        out = filter_frame(df, self.township.value, self.school.value, self.school_townships())
        if out is None or out.empty:
            return out
        if self.status_filter.value != ALL and "状态" in out.columns:
            out = out[out["状态"] == self.status_filter.value]
        needle = self.search.value.strip()
        if needle:
            hit = pd.Series(False, index=out.index)
            for col in ("姓名", "身份证号"):
                if col in out.columns:
                    hit |= out[col].astype(str).str.contains(needle, regex=False)
            out = out[hit]
        return out

    def selected(self) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        """(open cases, overdue cases) under the current filters, unmasked (for export and tests)."""
        if self.result is None:
            return None, None
        over = self._filtered(self.result.overdue)
        cases = self._filtered(self.result.open_cases)
        if self.overdue_only.value and cases is not None and over is not None:
            keys = [c for c in ("学校标识码", "身份证号") if c in cases.columns and c in over.columns]
            if keys:
                wanted = set(map(tuple, over[keys].astype(str).itertuples(index=False)))
                cases = cases[[tuple(r) in wanted for r in cases[keys].astype(str).itertuples(index=False)]]
        return cases, over

    def refresh(self) -> None:
        if self.result is None:
            return
        cases, over = self.tables()
        self.by_school.value = html_table(per_school_counts(self.result.schools, cases, over, self.township.value,
                                                            self.school.value), "（无学校）")
        self.cases.value = html_table(cases, "（无在册未销号个案）")
        self.overdue.value = html_table(over, "（无逾期个案）")

    def tables(self) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        """The two lists as shown and exported: follow-up columns, masked unless 显示完整信息 is ticked."""
        cases, over = self.selected()
        scrub = self.result.scrubber()
        cases = case_frame(cases)
        if cases is not None:
            cases = cases[[c for c in FOLLOWUP_COLUMNS if c in cases.columns]]
        return mask_frame(cases, self.masked, scrub), mask_frame(case_frame(over), self.masked, scrub)

    def export(self, path: str | None = None, raise_errors: bool = False) -> Path | None:
        """Write the filtered lists to an .xlsx (masked unless 显示完整信息 is ticked); the path, or None."""
        if self.result is None:
            self.status.value = _status("error", "请先加载个案，再导出名单。")
            return None
        target = Path(path or _path_text(self.out.value) or f"个案跟踪_{self.result.month}.xlsx")
        if target.suffix.lower() != ".xlsx":
            target = target.with_suffix(".xlsx")
        cases, over = self.tables()
        sheets = {"在册未销号": cases, "逾期待升级": over}
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_frames(sheets, target)
        except Exception as e:
            self.status.value = _status("error", f"导出失败：{e}")
            if raise_errors:
                raise
            return None
        self.out.value = str(target)
        note = "已脱敏" if self.masked else "未脱敏，仅限内部使用，请勿外传"
        self.status.value = _status("ok" if self.masked else "warn", f"名单已导出（{note}）：{target}")
        return target


def per_school_counts(schools: list[dict], cases: pd.DataFrame | None, overdue: pd.DataFrame | None,
                      township: str = ALL, school: str = ALL) -> pd.DataFrame:
    """按学校统计: the schools under the filters with how many of the listed cases / overdue rows each has."""
    def count(df: pd.DataFrame | None) -> dict[str, int]:
        if df is None or df.empty or "学校标识码" not in df.columns:
            return {}
        return df["学校标识码"].value_counts().to_dict()

    n_cases, n_over = count(cases), count(overdue)
    rows = [{"所属乡镇": s.get("township"), "学校标识码": s.get("code"), "学校名称": s.get("name"),
             "计入汇总": "是" if s.get("counted") else "否",
             "在册未销号": n_cases.get(s.get("code"), 0), "逾期待升级": n_over.get(s.get("code"), 0)}
            for s in schools
            if (township == ALL or s.get("township") == township) and (school == ALL or s.get("code") == school)]
    df = pd.DataFrame(rows, columns=["所属乡镇", "学校标识码", "学校名称", "计入汇总", "在册未销号", "逾期待升级"])
    return df.sort_values(["所属乡镇", "学校标识码"], kind="stable") if len(df) else df


def _cell_value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
        return None
    if isinstance(v, (str, int, float, bool, dt.date)):
        return v
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return str(v)


def write_frames(sheets: dict[str, pd.DataFrame | None], path: Path) -> None:
    """Tables to an .xlsx, every string as text (never a formula), written atomically."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(name)
        df = df if df is not None else pd.DataFrame()
        ws.append([str(c) for c in df.columns])
        for values in df.itertuples(index=False):
            ws.append([_cell_value(v) for v in values])
        for row in ws.iter_rows(min_row=1):
            for cell in row:
                write_cell(cell, cell.value)   # "=…" stays text
        for i, col in enumerate(df.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(8, min(40, 2 * len(str(col)) + 4))
        ws.freeze_panes = "A2"
        ws.print_options.gridLines = True
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    atomic_save(lambda tmp: wb.save(tmp), path, backup=True)
