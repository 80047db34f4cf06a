"""The household line (户籍线, SPEC §8): 户籍名单 against 学籍名单 and the month's school books → the 适龄儿童台账,
one 台账状态 per school-age child, indicators by village / township / county, rules H001–H010, and a 核查清单 per
township for the door-to-door check, whose returns feed the next run.

    from baoxue.household import run_match, write_outputs
    result = run_match(household=[Path("户籍名单.xlsx")], xueji=Path("学籍名单.xlsx"), inbox=Path("收件箱"),
                       register=Path("学校名录.xlsx"), month="2026-09",
                       elsewhere=None, key_groups=(), returns=None, store=None, policy=None, progress=None)
    files = write_outputs(result, Path("输出"))   # {"ledger": Path, "checklists": {乡镇: Path}}; atomic, with backup

``run_match`` raises ``InputError`` (Chinese message; the CLI exits 2) when a required input (a 户籍名单, the 学籍名单,
an 异地就读名单 or 重点人群名单 that was named, the register, the inbox) is unreadable or lacks a required column, and
``StoreLocked`` while another roll-up or match writes the store. ``progress(done, total, label)`` is called as the lists
and then the school books are read (one phase after the other; ``total`` changes between phases). ``store``: the
history store (default ``baoxue-store/`` beside the inbox, as for ``rollup``). Under its writer lock the month's school
books are taken through ``run_rollup`` (inbox walk, stamps, the per-file result cache; the roll-up's month is saved
again as ``rollup`` would), and the month's ledger is saved beside it (``Store.save_ledger``; read back with
``Store.ledger_months()`` / ``Store.ledger_table("county" | "townships" | "villages" | "ledger" | "findings")``).
``write_outputs`` raises ``paths.OutputPathError`` (before writing anything) for an output inside the inbox, the returns
folder or the store, or equal to an input file.

``MatchResult``:
- ``.month``; ``.county`` (dict of the §8.2 keys); ``.townships`` (list of ``{"name", …keys}``);
  ``.villages`` (list of ``{"township", "name", …keys}``);
- ``.ledger``: DataFrame, one row per school-age child, the §8.5 台账 columns (``model.LEDGER_COLUMNS``);
- ``.to_verify``: DataFrame, the 核查清单 rows (``model.CHECKLIST`` columns that ``match`` fills, in list order with
  序号 per township), all townships, plus ``_file`` / ``_row`` (the 户籍名单 row) and ``_key`` (the match key);
  ``.key_group_first()`` its key-group rows; ``.to_verify_by_township()`` {乡镇: count};
- ``.mismatch``: DataFrame of the H002 / H008 findings (人籍不一致);
- ``.findings``: list of ``Finding`` (H001–H010, S002/S005 and F004–F007/F012 of the inputs, F002/F003/D001/H004 of
  the returns), each with ``file`` and ``row`` (H007 / H008 with ``school``);
- ``.files``: filled by ``write_outputs``;
- ``.to_json(masked=True)``: the §8.6 document ``{"month", "county", "townships", "villages", "findings", "files"}``.
"""
from __future__ import annotations

from .result import INDICATOR_KEYS, MatchResult
from .inputs import InputError
from .match import run_match
from .outputs import write_outputs

__all__ = ["run_match", "write_outputs", "MatchResult", "InputError", "INDICATOR_KEYS"]
