"""Mapping files: rename a utility's own columns and codes to the data contract.

A mapping is a TOML file with one optional section per layer, for example::

    [pipes]
    file = "Water_Mains.csv"
    [pipes.columns]
    pipe_id = "WATMAINID"
    [pipes.values.material]
    CI = "cast_iron"

The file is checked against a schema (:data:`SECTION_KEYS` and the key types
below): every problem names its section and key and how to fix it, and all of
them are raised at once. See ``docs/data-contract.md`` for every key.
"""

from __future__ import annotations

import codecs
import difflib
import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from risk.contract import (
    BREAK_COLUMNS,
    LAYERS,
    MATERIAL_ALIASES,
    MATERIALS,
    PIPE_COLUMNS,
    STATION_COLUMNS,
    WELD_COLUMNS,
    DataContractError,
    Problem,
    shorten,
)

#: Keys that every section accepts.
_COMMON_KEYS = (
    "file",
    "layer",
    "encoding",
    "separator",
    "crs",
    "date_format",
    "columns",
    "keep",
    "drop",
)

#: Keys each section accepts (listed in the error for an unknown key).
SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "pipes": _COMMON_KEYS + ("values", "exclude", "min_length_m", "short_segments"),
    "breaks": _COMMON_KEYS + ("values", "duplicates"),
    "soils": ("file", "layer", "encoding", "separator", "crs", "keep", "drop"),
    "weather": _COMMON_KEYS + ("missing_values", "temperature_unit"),
    "stations": _COMMON_KEYS,
    "welds": _COMMON_KEYS + ("values",),
}

#: Contract columns that ``[layer.columns]`` may map to (None: any name, the weather
#: layer keeps every numeric column as a candidate feature).
MAPPABLE_COLUMNS: dict[str, tuple[str, ...] | None] = {
    "pipes": tuple(PIPE_COLUMNS),
    "breaks": (*BREAK_COLUMNS, "x", "y"),
    "soils": (),
    "weather": None,
    "stations": (*STATION_COLUMNS, "x", "y"),
    "welds": (*WELD_COLUMNS, "x", "y"),
}

#: Accepted values of the choice keys.
SHORT_SEGMENTS = ("warn", "drop", "merge")
TEMPERATURE_UNITS = ("celsius", "fahrenheit", "tenths_celsius")
BREAK_DUPLICATES = ("drop", "keep")

#: Separators tried when a CSV file does not say (see :mod:`risk.io`).
SEPARATORS = (",", ";", "\t", "|")


@dataclass
class LayerMapping:
    """How to read one layer: which file, and how its columns and codes translate."""

    file: str | None = None
    layer: str | None = None  # layer of a multi-layer file (GeoPackage)
    encoding: str | None = None
    separator: str | None = None  # CSV field separator; detected when None
    crs: str | None = None
    date_format: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # contract name -> source column
    values: dict[str, dict] = field(default_factory=dict)  # contract column -> {code: value}
    exclude: dict[str, list] = field(default_factory=dict)  # contract column -> values to drop
    keep: dict[str, list] = field(default_factory=dict)  # source column -> values to keep
    drop: list[str] = field(default_factory=list)  # source columns to ignore
    # pipes: shortest plausible segment (None: the contract default, 1.0 m) and what to
    # do with shorter ones
    min_length_m: float | None = None
    short_segments: str = "warn"
    # breaks: what to do with repeated records of the same break
    duplicates: str = "drop"
    # weather: values that mean "no measurement" (on top of the contract's sentinels)
    missing_values: list[float] = field(default_factory=list)
    # weather: the unit of the temperature columns, converted to °C as they are read
    temperature_unit: str = "celsius"


@dataclass
class Mapping:
    """A parsed mapping file; ``layers`` holds one :class:`LayerMapping` per layer."""

    layers: dict[str, LayerMapping] = field(default_factory=dict)
    source: str | None = None

    def layer(self, name: str) -> LayerMapping:
        return self.layers.get(name, LayerMapping())


def alias_key(code: str) -> str:
    """A material code compared with :data:`risk.contract.MATERIAL_ALIASES`: upper case,
    without accents, spaces or punctuation between words.

    >>> alias_key("Béton armé"), alias_key("pe-100")
    ('BETONARME', 'PE100')
    """
    plain = unicodedata.normalize("NFKD", code.upper())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[\s\-_./]+", "", plain)


#: A grade, pressure class or thickness class written after a material code (PE100, PE 80,
#: PVC PN16, PE100 SDR11, fonte ductile K9): the material is the code before it.
_GRADE_SUFFIX = re.compile(r"(?:PN|SDR|K)?\d+$")


def material_alias(code: str) -> str | None:
    """The canonical material of a code :data:`risk.contract.MATERIAL_ALIASES` knows, with
    or without a grade or class after it, or followed by words that describe it, else None.

    >>> material_alias("PE100"), material_alias("pe 100 sdr11"), material_alias("PVC PN16")
    ('pe', 'pe', 'pvc')
    >>> material_alias("FONTE DUCTILE K9"), material_alias("B2") is None
    ('ductile_iron', True)
    >>> material_alias("Polyéthylène haute densité"), material_alias("Béton armé")
    ('pe', 'concrete')
    """
    key = alias_matched(code)
    return None if key is None else MATERIAL_ALIASES[key]


def alias_matched(code: str) -> str | None:
    """The key of :data:`risk.contract.MATERIAL_ALIASES` that reads ``code``: the whole code,
    without a grade or class at its end (``PE100``), or its first words (``Fonte ductile
    verrouillée`` is ``FONTEDUCTILE``, ``Acier galvanisé`` ``ACIERGALVANISE`` before
    ``ACIER``). None when no key reads it.

    >>> alias_matched("Fonte ductile verrouillée"), alias_matched("Acier galvanisé")
    ('FONTEDUCTILE', 'ACIERGALVANISE')
    """
    words = [w for w in re.split(r"[\s\-_./]+", str(code)) if w]
    for n in range(len(words), 0, -1):
        key = alias_key("".join(words[:n]))
        if n < len(words) and len(key) < 3:
            break  # "ST GOBAIN" is no steel: a two-letter code reads only as the whole code
        while key:
            if key in MATERIAL_ALIASES:
                return key
            shorter = _GRADE_SUFFIX.sub("", key)
            if shorter == key:
                break
            key = shorter
    return None


def read_mapping(path: str | Path | None) -> Mapping:
    """Read and check a mapping file; ``None`` gives the empty mapping.

    Raises
    ------
    DataContractError
        When the file is missing or is not valid TOML, or listing every section,
        key or value that breaks the schema (with where it is and how to fix it).
    """
    if path is None:
        return Mapping()
    path = Path(path)
    name = str(path)

    def fail(message: str, fix: str) -> DataContractError:
        return DataContractError([Problem("error", "mapping", name, "mapping", message, fix)])

    if not path.is_file():
        raise fail("mapping file not found", "Check the path given to --mapping")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise fail(
            f"not a valid TOML file ({shorten(exc, 200)})",
            "Save it as UTF-8 text and see docs/data-contract.md for the syntax",
        ) from exc

    checker = _Checker(name)
    mapping = Mapping(source=name)
    for layer, section in raw.items():
        if layer not in LAYERS:
            checker.error(
                f"unknown section [{shorten(layer)}]{_did_you_mean(layer, LAYERS)}",
                f"Sections are {', '.join(f'[{s}]' for s in LAYERS)}",
            )
            continue
        if not isinstance(section, dict):
            checker.error(
                f"{layer} must be a section, not {_show(section)}",
                f"Write [{layer}] on a line of its own, then its keys (file = ..., ...)",
            )
            continue
        lm = checker.section(layer, section)
        if lm is not None:
            mapping.layers[layer] = lm
    if checker.problems:
        raise DataContractError(checker.problems)
    return mapping


def _show(value) -> str:
    """A TOML value as the user wrote it (roughly), kept short."""
    if isinstance(value, str):
        return shorten(repr(value).replace("'", '"'))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return shorten(value)


def _key_hint(layer: str, key: str) -> str:
    """Why ``key`` is not a key of ``[layer]``, when we can tell."""
    if layer == "soils" and key in ("columns", "values"):
        return f"'{key}': soil attributes keep their own names, every one is a candidate feature"
    elsewhere = [s for s, keys in SECTION_KEYS.items() if key in keys]
    if elsewhere:
        return f"'{shorten(key)}' belongs in {', '.join(f'[{s}]' for s in elsewhere)}"
    close = difflib.get_close_matches(str(key), SECTION_KEYS[layer], n=1, cutoff=0.6)
    return f"'{shorten(key)}': did you mean '{close[0]}'?" if close else ""


def _did_you_mean(name: str, choices) -> str:
    close = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _encoding_problem(value: str) -> tuple[str, str] | None:
    """Why ``value`` is not a text encoding, and the fix (None when Python knows it)."""
    try:
        codecs.lookup(value)
    except LookupError:
        return (
            f"encoding {_show(value)} is not a known text encoding",
            "Use a Python codec name such as utf-8, latin-1 or cp1252",
        )
    return None


def _separator_problem(value: str) -> tuple[str, str] | None:
    """Why ``value`` cannot separate CSV fields, and the fix (None when it can)."""
    if len(value) == 1 and not value.isalnum() and value not in "\"'":
        return None
    return (
        f'separator must be one character such as "," ";" "|" or "\\t" (tab), not {_show(value)}',
        'Write it as separator = ";" (or "\\t" for a tab)',
    )


def _is_scalar(value) -> bool:
    return isinstance(value, (str, int, float, bool))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Checker:
    """Checks one mapping file section by section, collecting every problem."""

    def __init__(self, name: str):
        self.name = name
        self.problems: list[Problem] = []

    def error(self, message: str, fix: str = "") -> None:
        self.problems.append(Problem("error", "mapping", self.name, "mapping", message, fix))

    # --- one section ----------------------------------------------------------------------

    def section(self, layer: str, section: dict) -> LayerMapping | None:
        before = len(self.problems)
        allowed = SECTION_KEYS[layer]
        unknown = [key for key in section if key not in allowed]
        if unknown:
            hints = "; ".join(h for h in (_key_hint(layer, key) for key in unknown) if h)
            self.error(
                f"unknown key(s) {sorted(shorten(k) for k in unknown)} in [{layer}]"
                + (f" ({hints})" if hints else ""),
                f"Keys of [{layer}] are {', '.join(allowed)} (see docs/data-contract.md)",
            )
        section = {key: value for key, value in section.items() if key in allowed}
        lm = LayerMapping(
            file=self.text(layer, section, "file", 'file = "pipes_2024.gpkg"'),
            layer=self.text(layer, section, "layer", 'layer = "mains"'),
            encoding=self.text(
                layer, section, "encoding", 'encoding = "latin-1"', _encoding_problem
            ),
            separator=self.text(layer, section, "separator", 'separator = ";"', _separator_problem),
            crs=self.text(layer, section, "crs", 'crs = "EPSG:2154"'),
            date_format=self.text(layer, section, "date_format", 'date_format = "%d/%m/%Y"'),
            columns=self.columns(layer, section),
            values=self.values(layer, section),
            exclude=self.lists(layer, section, "exclude", contract=True),
            keep=self.lists(layer, section, "keep", contract=False),
            drop=self.drop(layer, section),
            min_length_m=self.positive(layer, section, "min_length_m"),
            short_segments=self.choice(layer, section, "short_segments", SHORT_SEGMENTS),
            duplicates=self.choice(layer, section, "duplicates", BREAK_DUPLICATES),
            missing_values=self.numbers(layer, section, "missing_values"),
            temperature_unit=self.choice(layer, section, "temperature_unit", TEMPERATURE_UNITS),
        )
        return lm if len(self.problems) == before else None

    # --- key types ------------------------------------------------------------------------

    def text(self, layer, section, key, example, problem=None) -> str | None:
        """The non-empty text under ``key``, or None (absent, or an error recorded);
        ``problem(value)`` may refuse the value with a (message, fix) pair."""
        if key not in section:
            return None
        value = section[key]
        blank = not value.strip() if key != "separator" and isinstance(value, str) else not value
        if not isinstance(value, str) or blank:
            self.error(
                f"[{layer}] {key} must be a non-empty text in quotes, not {_show(value)}",
                f"Write it as {example}",
            )
            return None
        refused = problem(value) if problem else None
        if refused:
            self.error(f"[{layer}] {refused[0]}", refused[1])
            return None
        return value

    def table(self, layer, section, key, example) -> dict | None:
        value = section.get(key, {})
        if not isinstance(value, dict):
            self.error(
                f"[{layer}] {key} must be a table, not {_show(value)}",
                f"Write it as a section of its own: a line [{layer}.{key}] followed by lines "
                f"such as {example}",
            )
            return None
        return value

    def contract_column(self, where, layer, column, allowed, fix) -> bool:
        """Whether ``column`` is one of ``allowed``, the layer's contract columns (None: any
        name); an error at ``where`` when it is not."""
        if allowed is None or column in allowed:
            return True
        self.error(
            f"{where}: '{shorten(column)}' is not a column of the {layer} contract"
            f"{_did_you_mean(column, allowed)}",
            fix,
        )
        return False

    def columns(self, layer, section) -> dict[str, str]:
        table = self.table(layer, section, "columns", 'pipe_id = "YOUR_COLUMN"')
        if not table:
            return {}
        allowed = MAPPABLE_COLUMNS[layer]
        fix = (
            f"The left-hand side is the contract name ({', '.join(allowed or ())}), the "
            'right-hand side your column: pipe_id = "YOUR_COLUMN"'
        )
        out: dict[str, str] = {}
        for contract, source in table.items():
            where = f"[{layer}.columns] {shorten(contract)}"
            if not self.contract_column(where, layer, contract, allowed, fix):
                continue
            if not isinstance(source, str) or not source.strip():
                self.error(
                    f"{where} must name one of your columns in quotes, not {_show(source)}",
                    f'Write it as {shorten(contract)} = "YOUR_COLUMN"',
                )
                continue
            out[contract] = source
        by_source: dict[str, list[str]] = {}
        for contract, source in out.items():
            by_source.setdefault(source.strip(), []).append(contract)
        for source, targets in by_source.items():
            if len(targets) > 1:
                self.error(
                    f"[{layer}.columns] maps your column '{shorten(source)}' to several "
                    f"contract columns ({', '.join(targets)})",
                    "Map each of your columns to one contract column: remove or correct the others",
                )
        return out

    def values(self, layer, section) -> dict[str, dict]:
        table = self.table(layer, section, "values", 'material = { CI = "cast_iron" }')
        if not table:
            return {}
        spec = {"pipes": PIPE_COLUMNS, "breaks": BREAK_COLUMNS, "welds": WELD_COLUMNS}[layer]
        coded = [c for c, (kind, _) in spec.items() if kind in ("str", "bool")]
        out: dict[str, dict] = {}
        for column, codes in table.items():
            where = f"[{layer}.values.{shorten(column)}]"
            if column not in coded:
                self.error(
                    f"{where}: '{shorten(column)}' is not a text or yes/no column of the "
                    f"{layer} contract{_did_you_mean(column, coded)}",
                    f"Value translations apply to {', '.join(coded)}",
                )
                continue
            if not isinstance(codes, dict):
                self.error(
                    f"[{layer}.values] {shorten(column)} must be a table of "
                    f"your code = value, not {_show(codes)}",
                    f'Write [{layer}.values.{column}] then lines such as "YOUR CODE" = "value"',
                )
                continue
            kind = spec[column][0]
            good = {}
            for code, value in codes.items():
                problem = self._code_problem(column, kind, value)
                if problem:
                    self.error(
                        f"{where} {shorten(code)} = {_show(value)}: {problem[0]}", problem[1]
                    )
                else:
                    good[code] = value
            out[column] = good
        return out

    @staticmethod
    def _code_problem(column: str, kind: str, value) -> tuple[str, str] | None:
        if kind == "bool":
            if not isinstance(value, bool):
                return (
                    "a yes/no column takes true or false (without quotes)",
                    "Write it as YOUR_CODE = true (or false)",
                )
            return None
        if not _is_scalar(value) or isinstance(value, bool):
            return ("the value must be a text in quotes", 'Write it as "YOUR CODE" = "value"')
        if column == "material":
            text = str(value)
            if text.lower() not in MATERIALS and material_alias(text) is None:
                return (
                    f"'{shorten(text)}' is not a canonical material"
                    f"{_did_you_mean(text.lower(), MATERIALS)}",
                    f"Canonical materials are {', '.join(MATERIALS)}",
                )
        return None

    def lists(self, layer, section, key, *, contract: bool) -> dict[str, list]:
        table = self.table(layer, section, key, 'pressure_zone = ["A", "B"]')
        if not table:
            return {}
        allowed = MAPPABLE_COLUMNS[layer] if contract else None
        fix = f"{key} rules use contract names ({', '.join(allowed or ())})"
        out: dict[str, list] = {}
        for column, values in table.items():
            where = f"[{layer}.{key}] {shorten(column)}"
            if not self.contract_column(where, layer, column, allowed, fix):
                continue
            if not isinstance(values, list) or not all(_is_scalar(v) for v in values):
                # (a list of tables or lists cannot be compared with cell values)
                shown = f'["{shorten(values)}"]' if _is_scalar(values) else '["A", "B"]'
                self.error(
                    f"{where} must be a list of values in square brackets, not {_show(values)}",
                    f"Write it as {shorten(column)} = {shown}",
                )
                continue
            out[column] = values
        return out

    def drop(self, layer, section) -> list[str]:
        value = section.get("drop", [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            shown = f'["{shorten(value)}"]' if _is_scalar(value) else '["COLUMN_1", "COLUMN_2"]'
            self.error(
                f"[{layer}] drop must be a list of column names in quotes, not {_show(value)}",
                f"Write it as drop = {shown}",
            )
            return []
        return value

    def positive(self, layer, section, key) -> float | None:
        if key not in section:
            return None
        value = section[key]
        if not _is_number(value) or not math.isfinite(value) or value <= 0:
            self.error(
                f"[{layer}] {key} must be a number of metres above 0, not {_show(value)}",
                f"Write it as {key} = 1.0 (or remove it for the contract default of 1.0 m)",
            )
            return None
        return float(value)

    def choice(self, layer, section, key, choices) -> str:
        default = choices[0]
        if key not in section:
            return default
        value = section[key]
        if value not in choices:
            self.error(
                f"[{layer}] {key} must be one of {', '.join(map(repr, choices))}, "
                f"not {_show(value)}",
                f'Write it as {key} = "{default}"',
            )
            return default
        return value

    def numbers(self, layer, section, key) -> list[float]:
        if key not in section:
            return []
        value = section[key]
        if not isinstance(value, list) or not all(_is_number(v) for v in value):
            wrong = (
                next(_show(v) for v in value if not _is_number(v))
                if isinstance(value, list)
                else None
            )
            self.error(
                f"[{layer}] {key} must be a list of numbers, "
                + (f"but {wrong} is not a number" if wrong else f"not {_show(value)}"),
                f"Write it as {key} = [-9999, 999.9] (numbers without quotes)",
            )
            return []
        return [float(v) for v in value]
