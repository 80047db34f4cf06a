"""The 双线比对 notebook (``notebooks/双线比对.ipynb``): an ipywidgets app over ``baoxue.household`` (presentation only).

``MatchApp``: the household lists, the 学籍 export, the inbox and register, the month and the optional lists in;
``run_match`` with a progress bar; tabs 汇总 (township and village table, an 入学率 chart) / 待核查 (filter by township and
village, key-group children first) / 人籍不一致 / 问题清单; 导出 writes the ledger and the 核查清单 with
``write_outputs``. Every status, figure and list comes from the core; this module only turns them into tables, a chart
and buttons. On screen IDs and names are masked unless the officer ticks 显示完整信息 (the exported ledger and lists are
internal and hold full IDs, as SPEC §8.4–8.5 ask). Errors end as a Chinese message in the status line.

Driven from Python (tests, papermill): set the widgets' ``value``, call ``run_button.click()`` / ``export_button.click()``,
read ``status.value`` and the tab HTML; or call ``run()`` / ``export()`` directly.
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import ipywidgets as W
import pandas as pd

from .. import model
from ..notebook import ALL, InputError, _cjk_font, _path_text, _status, finding_cells, html_table, month_options
from ..idcard import mask_name
from ..paths import guard_output_folder
from ..policy import load_policy
from ..rollup.masking import HIDDEN, Scrubber, mask_frame
from . import InputError as MatchInputError, run_match, write_outputs
from .inputs import path_problem
from .result import INDICATOR_LABELS, INDICATORS

TABS = ("汇总", "待核查", "人籍不一致", "问题清单")
MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
FINDING_COLUMNS = ("文件", "学校标识码", *model.FINDINGS_COLUMNS)


# ------------------------------------------------------------------------------------------------ inputs
def path_list(value: Any) -> list[Path]:
    """Paths given as a list, or as text with one path per line (or separated by ; or ；)."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else re.split(r"[\n;；]+", str(value))
    return [Path(_path_text(str(v))) for v in items if _path_text(str(v))]


def _joined(value: Any) -> str:
    return "\n".join(str(p) for p in path_list(value))


def checked_inputs(household: Any, xueji: Any, inbox: Any, register: Any, month: Any, elsewhere: Any = None,
                   key_groups: Any = None, returns: Any = None, store: Any = None) -> dict[str, Any]:
    """The ``run_match`` keyword arguments, or ``InputError`` with a Chinese message naming what to fix."""
    files = path_list(household)
    if not files:
        raise InputError("请填写户籍名单文件的路径（可填多个，每行一个）。")
    xueji_path = path_list(xueji)
    if len(xueji_path) != 1:
        raise InputError("请填写一个学籍名单（学籍系统导出）文件的路径。")
    inbox_path = path_list(inbox)
    if not inbox_path:
        raise InputError("请填写收件夹（各校报送文件所在的文件夹）。")
    register_path = path_list(register)
    if not register_path:
        raise InputError("请填写学校名录文件的路径。")
    if not MONTH_RE.fullmatch(str(month or "")):
        raise InputError(f"报送月份“{month or ''}”格式不对，应为 YYYY-MM，如 2026-09。")
    elsewhere_path = path_list(elsewhere)
    key_paths = path_list(key_groups)
    returns_path = path_list(returns)
    store_path = path_list(store)
    problem = path_problem(files, xueji_path[0], inbox_path[0], register_path[0], elsewhere_path[:1], key_paths,
                           returns_path[:1], store_path[:1])
    if problem:
        raise InputError(problem)
    return {"household": files, "xueji": xueji_path[0], "inbox": inbox_path[0], "register": register_path[0],
            "month": str(month), "elsewhere": elsewhere_path[0] if elsewhere_path else None,
            "key_groups": tuple(key_paths), "returns": returns_path[0] if returns_path else None,
            "store": store_path[0] if store_path else None}


# ------------------------------------------------------------------------------------------------ tables
def indicator_columns() -> dict[str, str]:
    """SPEC §8.2 key -> 汇总 label (the rate marked "(%)")."""
    return {k: label + ("(%)" if k == "enrolment_rate" else "") for k, label in INDICATORS}


def summary_frame(result, township: str = ALL) -> pd.DataFrame:
    """汇总: one row per township (and its villages beneath it), then 全县合计; the §8.2 figures under their labels."""
    labels = indicator_columns()
    rows = []
    for t in result.townships:
        if township not in (ALL, t["name"]):
            continue
        rows.append({"乡镇": t["name"], "村(社区)": "（乡镇合计）", **{labels[k]: t.get(k) for k in labels}})
        for v in result.villages:
            if v["township"] == t["name"]:
                rows.append({"乡镇": t["name"], "村(社区)": v["name"], **{labels[k]: v.get(k) for k in labels}})
    rows.append({"乡镇": "全县合计", "村(社区)": "", **{labels[k]: result.county.get(k) for k in labels}})
    df = pd.DataFrame(rows, columns=["乡镇", "村(社区)", *labels.values()])
    for key, label in labels.items():   # counts as whole numbers even where a level has none (村 for 在籍不在户籍)
        if key != "enrolment_rate":
            df[label] = pd.to_numeric(df[label], errors="coerce").astype("Int64")
    return df


def verify_frame(result, township: str = ALL, village: str = ALL) -> pd.DataFrame:
    """待核查: the 核查清单 rows of the filter, key-group children first (then as ``match`` ordered them)."""
    df = result.to_verify
    if df is None or df.empty:
        return pd.DataFrame(columns=list(df.columns) if df is not None else [])
    if township != ALL:
        df = df[df["户籍乡镇"] == township]
    if village != ALL:
        df = df[df["户籍村(社区)"] == village]
    key = df["重点人群"].fillna("").astype(str) != ""
    df = pd.concat([df[key], df[~key]])
    shown = [c.name for c in model.CHECKLIST.columns if c.computed and c.name in df.columns]
    out = df[shown].copy()
    if "_file" in df.columns:   # where the child's 户籍 row is (the engine's internal columns, shown in Chinese)
        out["文件"] = [Path(f).name if isinstance(f, str) and f else None for f in df["_file"]]
    if "_row" in df.columns:
        out["行号"] = pd.to_numeric(df["_row"], errors="coerce").astype("Int64")
    return out


def mismatch_frame(result) -> pd.DataFrame:
    df = result.mismatch
    return df if df is not None else pd.DataFrame()


def findings_frame(result, masked: bool = True) -> pd.DataFrame:
    """问题清单: every finding with its file and school (values and messages masked unless ``masked`` is False)."""
    rows = [[Path(d["file"]).name if d.get("file") else None, d.get("school"), *finding_cells(d)]
            for d in result.finding_dicts(masked)]
    df = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    df["行号"] = pd.to_numeric(df["行号"], errors="coerce").astype("Int64")
    return df


def enrolment_png(result) -> bytes | None:
    """A bar chart of each township's 入学率 (and the county's); None when no township has a rate."""
    rows = [(t["name"], t.get("enrolment_rate")) for t in result.townships]
    rows.append(("全县", result.county.get("enrolment_rate")))
    rows = [(n, float(r)) for n, r in rows if r is not None and not pd.isna(r)]
    if not rows:
        return None
    import matplotlib
    from matplotlib.figure import Figure
    font = _cjk_font()
    rc = {"font.family": "sans-serif", "font.sans-serif": [font] if font else ["DejaVu Sans"],
          "axes.unicode_minus": False}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(max(5, 1.1 * len(rows) + 2), 3.4), dpi=100)
        ax = fig.subplots()
        names = [n for n, _ in rows]
        values = [v for _, v in rows]
        bars = ax.bar(names, values, color=["#4472c4"] * (len(rows) - 1) + ["#ed7d31"])
        for bar, v in zip(bars, values):
            ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
        low = min(values)
        ax.set_ylim(max(0, low - max(2.0, (100 - low) * 0.5)), 100.5)
        ax.set_title(f"{result.month} 适龄儿童{INDICATOR_LABELS['enrolment_rate']}（%）")
        ax.tick_params(axis="x", labelrotation=20, labelsize=9)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()


_STYLE = {"description_width": "110px"}


def _path_input(description: str, value: Any, placeholder: str, height: str | None = None):
    """A path field of the form: one line (Text), or several paths one per line (Textarea, ``height``)."""
    if height is None:
        return W.Text(description=description, value=_joined(value), style=_STYLE, placeholder=placeholder,
                      layout=W.Layout(width="680px"))
    return W.Textarea(description=description, value=_joined(value), style=_STYLE, placeholder=placeholder,
                      layout=W.Layout(width="680px", height=height))


# ------------------------------------------------------------------------------------------------ the app
class MatchApp:
    """双线比对: 户籍名单 against 学籍 and the month's school books; the ledger, the lists to verify, export."""

    def __init__(self, household: Any = None, xueji: Any = None, inbox: Any = None, register: Any = None,
                 month: str | None = None, out: Any = None, elsewhere: Any = None, key_groups: Any = None,
                 returns: Any = None, store: Any = None, policy: str | None = None):
        self.policy = policy
        self.household = _path_input("户籍名单", household, "户籍名单 .xlsx 的路径，可填多个，每行一个（公安导出或乡镇摸排）",
                                     height="64px")
        self.xueji = _path_input("学籍名单", xueji, "学籍系统导出的全县在籍学生名单 .xlsx")
        self.inbox = _path_input("收件夹", inbox, "各校本月报送文件所在文件夹（与月度汇总相同）")
        self.register = _path_input("学校名录", register, "学校名录.xlsx 的路径")
        self.month = W.Dropdown(description="报送月份", style=_STYLE,
                                options=month_options(extra=(month,) if month and MONTH_RE.fullmatch(str(month)) else ()))
        self.month.value = month if month in self.month.options else self.month.options[0]
        self.elsewhere = _path_input("异地就读名单", elsewhere, "可选：已取得异地就读证明的儿童名单 .xlsx")
        self.key_groups = _path_input("重点人群名单", key_groups, "可选：防返贫监测、残联、民政名单，每行一个", height="48px")
        self.returns = _path_input("核查清单返回", returns, "可选：乡镇交回的核查清单所在文件夹（含子文件夹）")
        self.store = _path_input("历史库", store, "留空：收件夹旁的 baoxue-store 文件夹")
        self.out = _path_input("导出到文件夹", out, "台账和核查清单的输出文件夹（留空：收件夹所在的文件夹）")
        self.run_button = W.Button(description="运行比对", button_style="primary", icon="play",
                                   tooltip="户籍名单与学籍名单、各校月报比对，生成适龄儿童台账 (run match)")
        self.export_button = W.Button(description="导出台账和核查清单", icon="download", disabled=True,
                                      layout=W.Layout(width="220px"),
                                      tooltip="写出适龄儿童台账和各乡镇核查清单（含完整身份证号，仅限县内）")
        self.progress = W.IntProgress(value=0, min=0, max=1, description="进度", style=_STYLE,
                                      layout=W.Layout(width="400px"))
        self.progress_label = W.Label(value="")
        self.status = W.HTML(value="")
        self.township = W.Dropdown(description="乡镇", options=[ALL], value=ALL, style={"description_width": "60px"})
        self.village = W.Dropdown(description="村(社区)", options=[ALL], value=ALL, style={"description_width": "60px"})
        self.unmasked = W.Checkbox(description="显示完整信息（仅限内部使用）", value=False, indent=False)
        self.summary_table = W.HTML()
        # at its own size (a VBox would stretch it to the panel's width, blurred), narrower only on a narrow screen
        self.chart = W.Image(format="png", layout=W.Layout(max_width="100%", align_self="flex-start"))
        self.verify_table = W.HTML()
        self.mismatch_table = W.HTML()
        self.findings_table = W.HTML()
        self.tabs = W.Tab(children=[W.VBox([self.summary_table, self.chart]), self.verify_table,
                                    self.mismatch_table, self.findings_table])
        self.tabs.titles = TABS
        self.result = None
        self.written: dict[str, Any] | None = None
        self.run_button.on_click(lambda _b: self.run())
        self.export_button.on_click(lambda _b: self.export())
        self.township.observe(lambda _c: self._on_township(), names="value")
        for w in (self.village, self.unmasked):
            w.observe(lambda _c: self.refresh(), names="value")
        self.widget = W.VBox([
            W.HTML("<h3>控辍保学 · 双线比对（户籍线 × 学校线）</h3>"),
            self.month, self.household, self.xueji, self.inbox, self.register,
            W.HTML('<span class="bx-note">可选名单：</span>'), self.elsewhere, self.key_groups, self.returns, self.store,
            W.HBox([self.run_button, self.progress, self.progress_label]),
            self.status,
            W.HBox([self.township, self.village, self.unmasked]),
            self.tabs,
            self.out, W.HBox([self.export_button]),
        ])

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # ---------------------------------------------------------------- actions
    def inputs(self) -> dict[str, Any]:
        return checked_inputs(self.household.value, self.xueji.value, self.inbox.value, self.register.value,
                              self.month.value, self.elsewhere.value, self.key_groups.value, self.returns.value,
                              self.store.value)

    def _on_progress(self, done: int, total: int, label: str = "") -> None:
        self.progress.max = max(int(total), 1)
        self.progress.value = min(int(done), self.progress.max)
        self.progress_label.value = f"{done}/{total} {label}".strip()

    def run(self, raise_errors: bool = False):
        """The 运行比对 button: ``run_match`` with the widgets' values; the MatchResult, or None with a message."""
        try:
            kwargs = self.inputs()
            self.status.value = _status("note", f"正在比对 {kwargs['month']} …")
            self.progress.value = 0
            policy = None
            if self.policy:
                policy = load_policy(self.policy)
            result = run_match(**kwargs, policy=policy, progress=self._on_progress)
        except (InputError, MatchInputError) as e:
            return self._fail(str(e), raise_errors)
        except Exception as e:  # the core's own errors carry Chinese messages (register, store lock, policy …)
            return self._fail(f"比对失败：{e}", raise_errors)
        self.progress.value = self.progress.max
        self.show(result)
        return result

    def _fail(self, message: str, raise_errors: bool):
        self.status.value = _status("error", message)
        self.export_button.disabled = self.result is None
        if raise_errors:
            raise InputError(message)
        return None

    def show(self, result) -> None:
        """Show a MatchResult (from this app's run, or one computed by ``baoxue match``'s caller)."""
        self.result = result
        self.written = None
        towns = [t["name"] for t in result.townships]
        current = self.township.value
        self.township.options = [ALL, *towns]
        self.township.value = current if current in self.township.options else ALL
        self.export_button.disabled = False
        if not _path_text(self.out.value) and result.inputs.get("inbox"):
            self.out.value = str(Path(result.inputs["inbox"]).resolve().parent)
        self.status.value = _status("ok", self.summary_text())
        self._on_township()

    def summary_text(self) -> str:
        """One line: school-age children, 待核查 (key groups), 失学辍学, 入学率, the townships with children to verify."""
        r = self.result
        c = r.county
        rate = c.get("enrolment_rate")
        towns = "、".join(f"{n} {k} 人" for n, k in r.to_verify_by_township().items())
        return (f"比对完成：{r.month}，适龄儿童少年 {c.get('school_age', 0)} 人，待核查 {c.get('to_verify', 0)} 人"
                f"（其中重点人群待核查或失学辍学 {c.get('key_group_to_verify', 0)} 人），失学辍学 {c.get('out_of_school', 0)} 人，"
                f"入学率 {'—' if rate is None else f'{rate:.2f}%'}；问题 {len(r.findings)} 条。"
                + (f"待核查：{towns}。" if towns else "") + (r.unmatched_returns_note() or ""))

    def _on_township(self) -> None:
        """The village filter offers the chosen township's villages (a village name may recur in another township)."""
        r = self.result
        town = self.township.value
        villages = [] if r is None or town == ALL else [v["name"] for v in r.villages if v["township"] == town]
        current = self.village.value
        self.village.options = [ALL, *dict.fromkeys(villages)]
        self.village.value = current if current in self.village.options else ALL
        self.village.disabled = town == ALL
        self.refresh()

    @property
    def masked(self) -> bool:
        return not self.unmasked.value

    def _scrub(self):
        return Scrubber(self.result.names) if self.masked else None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The four tabs' tables as shown (masked unless 显示完整信息 is ticked)."""
        r = self.result
        town, village = self.township.value, self.village.value
        verify = mask_frame(verify_frame(r, town, village), self.masked, self._scrub())
        if self.masked and verify is not None and len(verify):
            verify = verify.assign(重点人群=[HIDDEN if isinstance(v, str) and v else v for v in verify["重点人群"]],
                                   户主姓名=[mask_name(v) if isinstance(v, str) else v for v in verify["户主姓名"]])
        mismatch = mask_frame(mismatch_frame(r), self.masked, self._scrub())
        findings = findings_frame(r, self.masked)
        return {"汇总": summary_frame(r, town), "待核查": verify, "人籍不一致": mismatch, "问题清单": findings}

    def refresh(self) -> None:
        if self.result is None:
            return
        t = self.tables()
        self.summary_table.value = html_table(t["汇总"], "（无）")
        png = enrolment_png(self.result)
        self.chart.value = png or b""
        note = "" if not self.masked else '<div class="bx-note">身份证号、姓名已脱敏；重点人群类别已隐去。</div>'
        self.verify_table.value = html_table(t["待核查"], "（没有待核查的儿童）") + note
        self.mismatch_table.value = html_table(t["人籍不一致"], "（人籍一致）")
        self.findings_table.value = html_table(t["问题清单"], "（无问题）")

    def export(self, out: Any = None, raise_errors: bool = False) -> dict[str, Any] | None:
        """The 导出 button: the ledger and one 核查清单 per township (``write_outputs``); the written files, or None."""
        if self.result is None:
            return self._fail("请先运行比对，再导出。", raise_errors)
        folder = path_list(out if out is not None else self.out.value)
        target = folder[0] if folder else Path(self.result.inputs.get("inbox") or ".").resolve().parent
        try:
            guard_output_folder(target, "导出到文件夹")
            written = write_outputs(self.result, target)
        except Exception as e:
            return self._fail(f"导出失败：{e}", raise_errors)
        self.written = written
        self.out.value = str(target)
        lists = written.get("checklists") or {}
        self.status.value = _status(
            "warn", f"已导出（含完整身份证号，仅限县内使用）：适龄儿童台账 {written['ledger']}；核查清单 {len(lists)} 份"
                    + (f"（{'、'.join(lists)}）" if lists else "") + f"，在 {target}")
        return written


def run_headless(household: Any, xueji: Any, inbox: Any, register: Any, month: str, out: Any,
                 elsewhere: Any = None, key_groups: Any = None, returns: Any = None,
                 store: Any = None) -> MatchApp:
    """The notebook's unattended run (papermill with ``out``): check every parameter first (a bad one raises
    ``InputError`` with a Chinese message before anything is read or written), match, export, print the summary."""
    checked_inputs(household, xueji, inbox, register, month, elsewhere, key_groups, returns, store)
    if not path_list(out):
        raise InputError("请填写输出文件夹 out。")
    app = MatchApp(household, xueji, inbox, register, month, out, elsewhere, key_groups, returns, store)
    app.run(raise_errors=True)
    written = app.export(raise_errors=True)
    print(app.summary_text())
    print("适龄儿童台账：", written["ledger"])
    for town, path in (written.get("checklists") or {}).items():
        print(f"核查清单（{town}）：", path)
    return app
