"""Helpers for the notebook and browser tests: a small generated county, submitted for real, and its ground truth.

The pipeline is the product's own: ``baoxue.demo.generate_county`` → ``baoxue.submit.submit_files`` (validate + stamp)
→ the roll-up (run by the notebook apps). Expected figures come from the generator's ground truth (the rows it wrote),
never from the roll-up's output.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from baoxue import model
from baoxue.demo import DemoCounty, School, generate_county
from baoxue.demo_household import plan_household, write_household_inputs
from baoxue.submit import submit_files
from baoxue.policy import DEFAULT

MONTHS = ("2026-09", "2026-10")
HOUSEHOLD_MONTH = "2026-10"


@dataclass
class County:
    demo: DemoCounty
    inbox: Path
    register: Path
    months: tuple[str, ...]
    missing: School                      # registered, sends nothing for the last month (R001)
    sent: dict[str, list[School]] = field(default_factory=dict)  # month -> schools whose submission is in the inbox

    @property
    def month(self) -> str:
        return self.months[-1]

    def township_of(self, code: str) -> str:
        return next(s.township for s in self.demo.schools if s.code == code)

    def dropout_rows(self, month: str, schools=None) -> list[dict]:
        """辍学 rows of the schools that sent ``month`` (ground truth), each with its school code."""
        out = []
        for s in schools if schools is not None else self.sent[month]:
            for row in self.demo.books[(s.code, month)].rows.get(model.DROPOUT.name, []):
                out.append({**row, "_school": s.code})
        return out

    def open_cases(self, month: str | None = None) -> list[dict]:
        return [r for r in self.dropout_rows(month or self.month) if r.get("状态") in model.DROPOUT_OPEN_STATUSES]

    def all_ids(self) -> set[str]:
        """Every ID number written in any sheet of any book (for masking scans)."""
        ids = set()
        for book in self.demo.books.values():
            for rows in book.rows.values():
                for row in rows:
                    v = row.get("身份证号")
                    if isinstance(v, str) and len(v) == 18:
                        ids.add(v)
        return ids


def build_county(root: Path, months: tuple[str, ...] = MONTHS, seed: int = 7) -> County:
    """2 townships × 2 schools × ``months``, no planted mistakes, every book submitted except one school's last month."""
    demo = generate_county(root / "生成", townships=2, schools_per_township=2, months=months, seed=seed, mistakes=False)
    inbox = root / "收件夹"
    missing = demo.schools[-1]
    county = County(demo=demo, inbox=inbox, register=Path(demo.register_path), months=tuple(months), missing=missing)
    for month in months:
        schools = [s for s in demo.schools if not (month == months[-1] and s is missing)]
        results = submit_files([demo.books[(s.code, month)].path for s in schools], inbox / month, policy=DEFAULT)
        refused = [r.message for r in results if not r.ok]
        assert not refused, f"the generated county must submit cleanly: {refused}"
        county.sent[month] = schools
    return county


_BUILT: dict[str, County] = {}


def shared_county(tmp_path_factory) -> County:
    """One county per test session, shared by the notebook, headless and browser tests (building it takes seconds).
    Tests only read it; the roll-ups they run write the history store beside the inbox, never the inbox."""
    key = str(tmp_path_factory.getbasetemp())
    if key not in _BUILT:
        _BUILT[key] = build_county(tmp_path_factory.mktemp("county"))
    return _BUILT[key]


class Line:
    """For the 双线比对 tests: a county whose every book of the month is submitted, and the household lists of that
    month (``baoxue.demo_household``: planted hidden children, a 人籍 mismatch, a repeated row, a key-group child)."""

    def __init__(self, root: Path):
        month = HOUSEHOLD_MONTH
        self.county = generate_county(root / "生成", townships=2, schools_per_township=2, months=("2026-09", month),
                                      seed=5, mistakes=False)
        self.inbox = root / "收件箱"
        results = submit_files(self.county.files(month), self.inbox / month, policy=DEFAULT)
        assert all(r.ok for r in results), [r.message for r in results if not r.ok]
        self.register = Path(self.county.register_path)
        self.demo = plan_household(self.county, month)
        self.paths = write_household_inputs(self.demo, root / "名单")

    def inputs(self) -> list[Path]:
        return [*self.paths["household"], self.paths["xueji"], self.paths["elsewhere"], self.paths["key_groups"]]

    def fill(self, app, store: Path):
        """Fill a ``MatchApp``'s fields with this county's lists (``store``: the history store to use)."""
        app.household.value = "\n".join(str(p) for p in self.paths["household"])
        app.xueji.value = str(self.paths["xueji"])
        app.inbox.value = str(self.inbox)
        app.register.value = str(self.register)
        app.month.value = HOUSEHOLD_MONTH
        app.elsewhere.value = str(self.paths["elsewhere"])
        app.key_groups.value = str(self.paths["key_groups"])
        app.store.value = str(store)
        return app


_LINES: dict[str, Line] = {}


def shared_line(tmp_path_factory) -> Line:
    """One household-line county per test session (the notebook and browser tests only read it; each run keeps its
    history store in the test's own folder)."""
    key = str(tmp_path_factory.getbasetemp())
    if key not in _LINES:
        _LINES[key] = Line(tmp_path_factory.mktemp("hh-county"))
    return _LINES[key]


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_rows(html_text: str) -> list[dict[str, str]]:
    """The first HTML table of a widget's value as a list of {header: cell} (empty when there is no table)."""
    p = _Tables()
    p.feed(html_text)
    if not p.tables or not p.tables[0]:
        return []
    header, *body = p.tables[0]
    return [dict(zip(header, row)) for row in body]
