"""Policy: SPEC §3 defaults from ``policy_default.toml``, overridable key by key from a county's TOML file."""
from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import dataclass
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
class Policy:
    data: dict[str, Any]
    source: str = "default"

    def __getitem__(self, dotted: str) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            node = node[part]
        return node

    @property
    def fingerprint(self) -> str:
        """Short SHA-256 of the effective settings: recorded in stamps and reports."""
        blob = json.dumps(self.data, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


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
