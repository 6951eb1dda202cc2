"""The workspace's ``settings.toml``: read once, checked against what each key may hold.

>>> read_settings("data/workspace/town")  # doctest: +SKIP
{'store_url': 'postgresql://risk@db.utility.local/risk', 'savings': {'repair_days': 7}}

The file is checked by one pydantic model, :data:`SETTINGS_FILE`: a top-level ``store_url``
and one table per section, with no unknown key anywhere and strict types (a number is never
``true`` or text in quotes). The sections ``[savings]``, ``[units]``, ``[criticality]`` and
``[costs]`` mirror the dataclasses that use them (:class:`~risk.savings.SavingsSettings`,
:class:`~risk.units.UnitRules`, :class:`~risk.consequence.settings.CriticalitySettings`,
:class:`~risk.costs.CostSettings`): their keys, types and defaults are read from those
classes, which stay the one place of every default, and a section whose values have the
right types is then made into its object, so that the ranges and the checks of values
together (four increasing thresholds, a price table with an ``above`` band, ...) are the
class's own. Every problem is gathered and raised once as a :class:`SettingsError` naming
the file, the key, what was expected and the fix; the command line turns it into exit code
2. See ``docs/dashboard.md`` for the keys.

>>> check_settings({"savings": {"repair_day": 7}, "units": {"era_years": "ten"}})[0]
"unknown key 'repair_day' in [savings] (did you mean 'repair_days'?); the keys of [savings] are survey_interval_years, repair_days, household_m3_per_year, default_flow_m3_per_h"
>>> check_settings({"units": {"era_years": "ten"}})
["'units.era_years' must be a whole number, got 'ten'; for example era_years = 10"]

Imports run one way: this module imports the section classes, and their modules reach
:func:`read_settings` only inside the functions that read a workspace (``savings_settings``,
``UnitRules.of_workspace``, ``cost_settings``, ...), never at import time.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import tomllib
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from risk.consequence.settings import CriticalitySettings
from risk.contract import counted
from risk.costs import CostSettings
from risk.dispatch.workdays import DispatchSettings
from risk.errors import InputError
from risk.savings import SavingsSettings
from risk.units import UnitRules
from risk.workspace import Workspace


class SettingsError(InputError):
    """``settings.toml`` cannot be used as written; the message lists every problem."""


# -- what a value may be ---------------------------------------------------------------------

#: An integer or a decimal (``true`` and text in quotes are refused; ``nan`` and ``inf`` are
#: numbers, left to the section's own range checks).
Number = float
#: A whole number > 0: every whole-number setting counts something (pixels, pipes).
Count = Annotated[int, Field(gt=0)]
#: Text in quotes, not blank.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: A TOML table whose entries the section's class checks (price bands, material factors).
Table = dict
#: A TOML list whose items the section's class checks (the four grade thresholds).
NumberList = list
#: A TOML list of dates, written without quotes (2026-12-25).
DateList = list[dt.date]

#: What each kind of value must be, by pydantic's error type, for the messages.
_EXPECTED = {
    "float_type": "a number",
    "int_type": "a whole number",
    "string_type": "text in quotes",
    "dict_type": "a table",
    "list_type": "a list of numbers",
    "date_type": "a date without quotes (2026-12-25)",
}
#: Examples for the keys whose default cannot be shown as one TOML value.
_EXAMPLES = {
    "store_url": '"postgresql://risk@db.utility.local/risk"',
    "style_url": '"https://maps.utility.local/style.json"',
    "tile_url": '"https://tiles.utility.local/{z}/{x}/{y}.png"',
    "tile_size": "256",
    "attribution": '"© Utility GIS"',
    "renewal_eur_per_m": '{ "150" = 550, "300" = 850, above = 2200 }',
    "renewal_material_factor": "{ asbestos_cement = 1.15 }",
    "closed_days": "[2026-12-25, 2027-01-01]",
}
#: What a key must be when its kind says less than its name (a list of dates, not numbers).
_EXPECTED_FOR_KEY = {"closed_days": "a list of dates without quotes"}
_STRICT = ConfigDict(extra="forbid", strict=True)


# -- the model of the file -------------------------------------------------------------------


class Section(BaseModel):
    """One table of ``settings.toml``: no unknown key, strict types; then, when every value
    has its type, the whole table is given to ``build`` (the section's class), whose
    :class:`~risk.errors.InputError` is a problem of the section."""

    model_config = _STRICT
    #: Makes the section's object from the table as written; None: nothing to check together.
    build: ClassVar[Callable[[dict], object] | None] = None

    @model_validator(mode="wrap")
    @classmethod
    def check_together(cls, data: Any, handler):
        section = handler(data)  # types and unknown keys first: a ValidationError stops here
        if cls.build is not None:
            try:
                cls.build(dict(data))  # the values as written, so messages echo the file
            except InputError as exc:
                raise PydanticCustomError("section", "{problem}", {"problem": str(exc)}) from None
        return section


class MapSection(Section):
    """``[map]``: the utility's own basemap (defaults in :mod:`risk.maplayers`)."""

    style_url: Text | None = None
    tile_url: Text | None = None
    tile_size: Count | None = None
    attribution: Text | None = None


def section_from(cls: type, build: Callable[[dict], object] | None = None) -> type[Section]:
    """The model of a section mirrored from the dataclass ``cls``: one field per dataclass
    field, with its kind of value (from the annotation) and its default (the dataclass's);
    the table is checked together by ``build`` (default: ``cls(**table)``)."""
    hints = typing.get_type_hints(cls)
    definitions: dict[str, Any] = {}
    for f in fields(cls):
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = Field(default_factory=f.default_factory)
        else:
            raise TypeError(f"{cls.__name__}.{f.name} has no default: a setting needs one")
        definitions[f.name] = (_kind(hints[f.name], f"{cls.__name__}.{f.name}"), default)
    model = create_model(f"{cls.__name__}Section", __base__=Section, **definitions)
    model.__doc__ = f"A table of settings.toml mirrored from :class:`{cls.__qualname__}`."
    model.build = staticmethod(build or (lambda values: cls(**values)))
    return model


def _kind(annotation, where: str):
    """The pydantic type of a dataclass field's annotation."""
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        if len(args) == 2 and type(None) in args:
            inner = next(a for a in args if a is not type(None))
            return _kind(inner, where) | None
    if annotation is float:
        return Number
    if annotation is int:
        return Count
    if annotation is str:
        return Text
    if typing.get_origin(annotation) in (tuple, list) and typing.get_args(annotation)[:1] == (
        dt.date,
    ):
        return DateList
    if typing.get_origin(annotation) in (tuple, list) or annotation in (tuple, list):
        return NumberList
    if typing.get_origin(annotation) is dict or annotation is dict:
        return Table
    raise TypeError(f"{where}: settings.toml cannot hold a {annotation!r}; add it to _kind")


#: The sections of ``settings.toml`` (after the top-level ``store_url``), in the order the
#: messages list them.
SECTIONS: dict[str, type[Section]] = {
    "map": MapSection,
    "savings": section_from(SavingsSettings),
    "units": section_from(UnitRules),
    "criticality": section_from(CriticalitySettings, CriticalitySettings.from_mapping),
    "costs": section_from(CostSettings, CostSettings.from_mapping),
    "dispatch": section_from(DispatchSettings),
}
#: Keys of the file outside any section.
TOP_KEYS: dict[str, Any] = {"store_url": (Text | None, None)}

#: The whole file.
SETTINGS_FILE: type[BaseModel] = create_model(
    "SettingsFile",
    __config__=_STRICT,
    __doc__="The whole settings.toml: store_url and one table per section.",
    **TOP_KEYS,
    **{name: (model, Field(default_factory=model)) for name, model in SECTIONS.items()},
)


# -- reading and checking --------------------------------------------------------------------


def read_settings(workspace: str | Path) -> dict:
    """The workspace's ``settings.toml`` as a dict (empty when there is none), checked."""
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
        lines = [f"{file}: {counted(len(problems), 'problem', 'problems')}; nothing was changed:"]
        raise SettingsError("\n".join([*lines, *(f"  - {p}" for p in problems)]))
    return raw


def check_settings(raw: dict) -> list[str]:
    """Every problem of a parsed settings table, as sentences with their fix, in the order of
    the file; an empty list when the table can be used."""
    try:
        SETTINGS_FILE.model_validate(raw)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda e: _position(raw, e["loc"]))
        return [_sentence(error) for error in errors]
    return []


def _sentence(error) -> str:
    """One pydantic error as a sentence of today's settings messages."""
    loc = tuple(str(part) for part in error["loc"])
    key, name, kind, value = ".".join(loc), loc[-1], error["type"], error["input"]
    if kind == "extra_forbidden" and len(loc) == 1:
        options = [*TOP_KEYS, *SECTIONS]
        valid = [*TOP_KEYS, *(f"[{s}]" for s in SECTIONS)]
        return f"unknown setting '{name}'{_close(name, options)}; valid: {', '.join(valid)}"
    if kind == "extra_forbidden":
        section = loc[0]
        allowed = list(SECTIONS[section].model_fields)
        return (
            f"unknown key '{name}' in [{section}]{_close(name, allowed)}; "
            f"the keys of [{section}] are {', '.join(allowed)}"
        )
    if kind == "model_type":
        return f"'{key}' must be a section: write [{key}] on a line of its own"
    if kind == "section":
        return f"[{key}]: {error['ctx']['problem']}"
    if kind == "greater_than":
        return f"'{key}' must be > 0 (got {value})"
    if kind == "string_too_short":
        return f"'{key}' is empty"
    if kind in _EXPECTED:
        example = _example(loc)
        expected = _EXPECTED_FOR_KEY.get(name, _EXPECTED[kind])
        return f"'{key}' must be {expected}, got {value!r}" + (
            f"; for example {name} = {example}" if example else ""
        )
    if kind == "value_error":  # a ValueError that is no InputError: a bug, not the file
        raise error["ctx"]["error"]
    return f"'{key}': {error['msg']}"


def _example(loc: tuple[str, ...]) -> str:
    """A value to show for the key at ``loc``: its default, else a written example."""
    name = loc[-1]
    if name in _EXAMPLES:
        return _EXAMPLES[name]
    model = SECTIONS[loc[0]] if len(loc) == 2 else None
    if model is None or name not in model.model_fields:
        return ""
    default = model.model_fields[name].get_default(call_default_factory=True)
    if isinstance(default, int | float) and not isinstance(default, bool):
        return repr(default)
    if isinstance(default, tuple | list) and all(isinstance(v, int | float) for v in default):
        return "[" + ", ".join(repr(v) for v in default) + "]"
    if isinstance(default, str):
        return json.dumps(default, ensure_ascii=False)
    return ""


def _position(raw, loc) -> list[int]:
    """Where ``loc`` is in the file: the index of each key in its table."""
    out, node = [], raw
    for part in loc:
        keys = list(node) if isinstance(node, dict) else []
        out.append(keys.index(part) if part in keys else len(keys))
        node = node.get(part) if isinstance(node, dict) else None
    return out


def _close(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
