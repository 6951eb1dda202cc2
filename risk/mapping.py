"""Mapping files: rename a utility's own columns and codes to the data contract.

A mapping is a TOML file with one optional section per layer, for example::

    [pipes]
    file = "Water_Mains.csv"
    [pipes.columns]
    pipe_id = "WATMAINID"
    [pipes.values.material]
    CI = "cast_iron"

See ``docs/data-contract.md`` for every key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from risk.contract import LAYERS, DataContractError, Problem

_LAYER_KEYS = {
    "file",
    "encoding",
    "crs",
    "date_format",
    "columns",
    "values",
    "exclude",
    "keep",
    "drop",
}


@dataclass
class LayerMapping:
    """How to read one layer: which file, and how its columns and codes translate."""

    file: str | None = None
    encoding: str | None = None
    crs: str | None = None
    date_format: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # contract name -> source column
    values: dict[str, dict] = field(default_factory=dict)  # contract column -> {code: value}
    exclude: dict[str, list] = field(default_factory=dict)  # contract column -> values to drop
    keep: dict[str, list] = field(default_factory=dict)  # source column -> values to keep
    drop: list[str] = field(default_factory=list)  # source columns to ignore


@dataclass
class Mapping:
    """A parsed mapping file; ``layers`` holds one :class:`LayerMapping` per layer."""

    layers: dict[str, LayerMapping] = field(default_factory=dict)
    source: str | None = None

    def layer(self, name: str) -> LayerMapping:
        return self.layers.get(name, LayerMapping())


def read_mapping(path: str | Path | None) -> Mapping:
    """Read and check a mapping file; ``None`` gives the empty mapping.

    Raises
    ------
    DataContractError
        When the file is missing, is not valid TOML, or has unknown sections or keys.
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
        raise fail(f"not a valid TOML file ({exc})", "See docs/data-contract.md") from exc

    problems: list[Problem] = []
    mapping = Mapping(source=name)
    for layer, section in raw.items():
        if layer not in LAYERS:
            problems.append(
                Problem(
                    "error",
                    "mapping",
                    name,
                    "mapping",
                    f"unknown section [{layer}]",
                    f"Sections are {', '.join(LAYERS)}",
                )
            )
            continue
        if not isinstance(section, dict):
            problems.append(
                Problem("error", "mapping", name, "mapping", f"[{layer}] must be a table", "")
            )
            continue
        unknown = set(section) - _LAYER_KEYS
        if unknown:
            problems.append(
                Problem(
                    "error",
                    "mapping",
                    name,
                    "mapping",
                    f"unknown key(s) {sorted(unknown)} in [{layer}]",
                    f"Keys are {', '.join(sorted(_LAYER_KEYS))}",
                )
            )
            continue
        mapping.layers[layer] = LayerMapping(
            file=section.get("file"),
            encoding=section.get("encoding"),
            crs=section.get("crs"),
            date_format=section.get("date_format"),
            columns={str(k): str(v) for k, v in section.get("columns", {}).items()},
            values={str(k): dict(v) for k, v in section.get("values", {}).items()},
            exclude={str(k): list(v) for k, v in section.get("exclude", {}).items()},
            keep={str(k): list(v) for k, v in section.get("keep", {}).items()},
            drop=[str(c) for c in section.get("drop", [])],
        )
    if problems:
        raise DataContractError(problems)
    return mapping
