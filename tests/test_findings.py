"""``Finding.to_dict``: every field of the dataclass, in its order (as ``dataclasses.asdict`` gives them), values that
are not JSON scalars as text; without the roll-up's school and file unless asked."""
from __future__ import annotations

import dataclasses
import datetime as dt

from baoxue.findings import Finding


def test_to_dict_is_asdict_with_values_as_text():
    for value in ("1101", 3, 2.5, True, None, dt.date(2026, 9, 1)):
        f = Finding("D001", "error", "辍学", 5, "发现日期", value, "日期晚于报送月份月末", school="4310000001",
                    file="城关镇/a.xlsx", cell="H5")
        expected = dataclasses.asdict(f)
        if value is not None and not isinstance(value, (str, int, float, bool)):
            expected["value"] = str(value)
        assert f.to_dict(rollup=True) == expected
        assert list(f.to_dict(rollup=True)) == [x.name for x in dataclasses.fields(Finding)]
        assert list(f.to_dict()) == [x.name for x in dataclasses.fields(Finding) if x.name not in ("school", "file")]
