"""Policy: SPEC §3 defaults from ``policy_default.toml``, overridable key by key from a county's TOML file."""
from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any


class PolicyError(Exception):
    """A policy file that cannot be used; the message is Chinese."""


def _merge(base: dict, override: dict, where: str = "") -> dict:
    out = copy.deepcopy(base)
    for k, v in override.items():
        if k not in base:
            raise PolicyError(f"策略文件中的设置项 “{where}{k}” 无法识别，请对照默认策略文件检查拼写。")
        if isinstance(base[k], dict):
            if not isinstance(v, dict):
                raise PolicyError(f"策略文件中的 “{where}{k}” 应为一个分节（[{where}{k}]）。")
            out[k] = _merge(base[k], v, f"{where}{k}.")
        else:
            numbers = (int, float)
            same_kind = type(v) is type(base[k]) or (
                isinstance(v, numbers) and isinstance(base[k], numbers) and not isinstance(v, bool)
                and not isinstance(base[k], bool))
            if not same_kind:
                raise PolicyError(f"策略文件中的 “{where}{k}” 类型不对：应为 {type(base[k]).__name__}，实际为 {v!r}。")
            out[k] = v
    return out


@dataclass(frozen=True)
class SchoolAge:
    min: int                       # age on 31 August before the school year (A001, A003)
    max: int


@dataclass(frozen=True)
class Deadlines:
    notice_to_next_step_days: int  # 限期复学通知 → 行政处罚 (C003)
    first_persuasion_days: int     # 发现 → 第一次劝返 (C004)
    report_tolerance_days: int     # 发现 → 上报 (D003)
    leave_max_months: int          # D004
    deferral_max_months: int       # D005


@dataclass(frozen=True)
class HomeTeaching:
    visits_per_month: int          # T001
    hours_per_visit: float         # T002, qualifying visits
    teachers_per_visit: int        # T003
    male_teacher_required: bool    # T004


@dataclass(frozen=True)
class Targets:                     # dropout-rate targets in percent (R006)
    primary: float
    junior_urban: float
    junior_rural: float


@dataclass(frozen=True)
class Reporting:
    due_day: str                   # R007
    key_grades: tuple[int, ...]


@dataclass(frozen=True)
class Policy:
    """The effective policy: typed sections (``policy.deadlines.first_persuasion_days``) read from ``data`` (the merged
    TOML, which the fingerprint is taken over). Loaded once at the edge (``load_policy``; ``DEFAULT`` when a county has
    none) and passed down; nothing below re-defaults it. ``policy.deadlines.first_persuasion_days`` reads a setting
    by its TOML key (as messages and the docs name it)."""
    data: dict[str, Any]
    source: str = "default"
    school_age: SchoolAge = field(init=False, repr=False, compare=False)
    deadlines: Deadlines = field(init=False, repr=False, compare=False)
    home_teaching: HomeTeaching = field(init=False, repr=False, compare=False)
    targets: Targets = field(init=False, repr=False, compare=False)
    reporting: Reporting = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        for name, section in _SECTIONS.items():
            values = dict(self.data[name])
            if section is Reporting:
                values["key_grades"] = tuple(values["key_grades"])
            object.__setattr__(self, name, section(**values))

    @property
    def fingerprint(self) -> str:
        """Short SHA-256 of the effective settings: recorded in stamps and reports."""
        blob = json.dumps(self.data, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


_SECTIONS = {"school_age": SchoolAge, "deadlines": Deadlines, "home_teaching": HomeTeaching, "targets": Targets,
             "reporting": Reporting}


def default_data() -> dict[str, Any]:
    text = resources.files("baoxue").joinpath("policy_default.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_policy(path: str | Path | None = None) -> Policy:
    base = default_data()
    if path is None:
        return Policy(base)
    p = Path(path)
    try:
        override = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"找不到策略文件：{p}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise PolicyError(f"策略文件 {p} 格式有误（应为 TOML）：{e}") from None
    return Policy(_merge(base, override), source=str(p))


DEFAULT = load_policy()
