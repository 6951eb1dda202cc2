"""The workspace's ``settings.toml``: read once, checked against what each key may hold.

>>> read_settings("data/workspace/town")  # doctest: +SKIP
{'store_url': 'postgresql://risk@db.utility.local/risk', 'savings': {'repair_days': 7}}

Every problem (not TOML, unknown section or key, wrong type or range) is gathered and raised
once as a :class:`SettingsError` naming the file, the key and the fix; the command line turns
it into exit code 2. See ``docs/dashboard.md`` for the keys.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import fields
from pathlib import Path

from risk.errors import InputError

#: Keys of settings.toml: top-level keys, and one table per section, each key -> (type, check).
_TOP = {"store_url": str}
_SECTIONS: dict[str, dict[str, type]] = {
    "map": {"style_url": str, "tile_url": str, "tile_size": int, "attribution": str},
}
_EXAMPLES = {
    "store_url": '"postgresql://risk@db.utility.local/risk"',
    "style_url": '"https://maps.utility.local/style.json"',
    "tile_url": '"https://tiles.utility.local/{z}/{x}/{y}.png"',
    "tile_size": "256",
    "attribution": '"© Utility GIS"',
    "grade_thresholds": "[0.05, 0.25, 0.5, 0.75]",
    "likelihood_thresholds": "[0.01, 0.03, 0.1, 0.3]",
    "renewal_eur_per_m": '{ "150" = 550, "300" = 850, above = 2200 }',
    "renewal_material_factor": "{ asbestos_cement = 1.15 }",
}


class SettingsError(InputError):
    """``settings.toml`` cannot be used as written; the message lists every problem."""


def _units_keys() -> dict[str, type]:
    from risk.units import UnitRules

    return {f.name: float if f.type in (float, "float") else int for f in fields(UnitRules)}


def _savings_keys() -> dict[str, type]:
    from risk.savings import SavingsSettings

    return {f.name: float for f in fields(SavingsSettings)}


def _criticality_keys() -> dict[str, type]:
    from risk.consequence.settings import THRESHOLD_KEYS, CriticalitySettings

    # The threshold lists are checked in full by CriticalitySettings (_section_builders).
    return {
        f.name: list
        if f.name in THRESHOLD_KEYS
        else int
        if f.name in ("chunk_size", "max_segment_pipes")
        else float
        for f in fields(CriticalitySettings)
    }


def _costs_keys() -> dict[str, type]:
    from risk.costs import CostSettings

    return {f.name: dict if f.name.startswith("renewal_") else float for f in fields(CostSettings)}


def read_settings(workspace: str | Path) -> dict:
    """The workspace's ``settings.toml`` as a dict (empty when there is none), checked."""
    from risk.workspace import Workspace  # late: the workspace module reads settings

    file = Workspace(workspace).settings
    if not file.is_file():
        return {}
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"{file}: not UTF-8 text. Save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(
            f"{file}: not valid TOML ({exc}). Fix that line (see docs/dashboard.md, "
            "'settings.toml'), or remove the file to use the defaults."
        ) from None
    problems = check_settings(raw)
    if problems:
        lines = [f"{file}: {len(problems)} problem(s); nothing was changed:"]
        raise SettingsError("\n".join([*lines, *(f"  - {p}" for p in problems)]))
    return raw


def check_settings(raw: dict) -> list[str]:
    """Every problem of a parsed settings table, as sentences with their fix."""
    sections = {
        **_SECTIONS,
        "savings": _savings_keys(),
        "units": _units_keys(),
        "criticality": _criticality_keys(),
        "costs": _costs_keys(),
    }
    problems: list[str] = []
    for key, value in raw.items():
        if key in _TOP:
            problems += _check_value(key, value, _TOP[key])
        elif key in sections:
            if not isinstance(value, dict):
                problems.append(f"'{key}' must be a section: write [{key}] on a line of its own")
                continue
            allowed = sections[key]
            for name, item in value.items():
                if name not in allowed:
                    problems.append(
                        f"unknown key '{name}' in [{key}]{_close(name, allowed)}; "
                        f"the keys of [{key}] are {', '.join(allowed)}"
                    )
                else:
                    problems += _check_value(f"{key}.{name}", item, allowed[name])
        else:
            valid = [*_TOP, *(f"[{s}]" for s in sections)]
            problems.append(
                f"unknown setting '{key}'{_close(key, [*_TOP, *sections])}; valid: "
                f"{', '.join(valid)}"
            )
    for name, build in _section_builders().items():
        section = raw.get(name)
        if isinstance(section, dict) and not problems:
            try:
                build(section)
            except InputError as exc:
                problems.append(f"[{name}]: {exc}")
    return problems


def _section_builders() -> dict:
    """Sections whose values are checked together by the object they make."""
    from risk.consequence.settings import CriticalitySettings
    from risk.costs import CostSettings
    from risk.savings import SavingsSettings
    from risk.units import UnitRules

    return {
        "savings": lambda values: SavingsSettings(**values),
        "criticality": CriticalitySettings.from_mapping,
        "units": lambda values: UnitRules(**values),
        "costs": CostSettings.from_mapping,
    }


def _check_value(key: str, value, kind: type) -> list[str]:
    name = key.rsplit(".", 1)[-1]
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return []
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return [] if value > 0 else [f"'{key}' must be > 0 (got {value})"]
    if kind in (dict, list) and isinstance(value, kind):
        return []
    if kind is str and isinstance(value, str):
        return [] if value.strip() else [f"'{key}' is empty"]
    expected = {float: "a number", int: "a whole number", str: "text in quotes", dict: "a table",
                list: "a list of numbers"}[kind]  # fmt: skip
    example = _EXAMPLES.get(name, "3.0" if kind is float else "")
    return [
        f"'{key}' must be {expected}, got {value!r}"
        + (f"; for example {name} = {example}" if example else "")
    ]


def _close(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
