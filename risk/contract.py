"""The utility data contract: layer names, canonical columns, materials and errors.

A utility hands over one folder. Each layer is a file named after the layer
(``pipes.gpkg``, ``breaks.csv``, ...) unless a mapping file names it otherwise.
After ingestion every layer uses the canonical column names below, lengths are
in metres and every geometry is in one projected CRS (see ``docs/data-contract.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from risk.errors import InputError

#: File extensions the reader understands, in the order they are looked for.
SUPPORTED_EXTENSIONS = (".gpkg", ".parquet", ".geoparquet", ".geojson", ".json", ".shp", ".csv")

#: Layers of a utility folder. Only ``pipes`` is required.
LAYERS = ("pipes", "breaks", "soils", "weather", "stations", "welds")

#: Canonical materials. Anything else becomes ``unknown`` with a warning.
MATERIALS = (
    "cast_iron",
    "ductile_iron",
    "steel",
    "galvanized_steel",
    "asbestos_cement",
    "concrete",
    "pvc",
    "pe",
    "copper",
    "lead",
    "other",
    "unknown",
)

#: Metal materials: exposed to soil corrosivity.
METAL_MATERIALS = ("cast_iron", "ductile_iron", "steel", "galvanized_steel", "copper", "lead")

#: Common codes and names (English and French) recognised without a mapping file.
#: Keys are compared upper-cased with spaces, dashes and underscores removed.
MATERIAL_ALIASES: dict[str, str] = {
    # cast iron / fonte grise
    "CI": "cast_iron",
    "CASTIRON": "cast_iron",
    "GREYIRON": "cast_iron",
    "GRAYIRON": "cast_iron",
    "FONTE": "cast_iron",
    "FONTEGRISE": "cast_iron",
    "FG": "cast_iron",
    "FTG": "cast_iron",  # fonte grise, as French GIS exports abbreviate it
    "FT": "cast_iron",  # fonte, unspecified: grey iron in old networks (as FONTE)
    "CIP": "cast_iron",
    "CICL": "cast_iron",  # cement-lined: the lining is in the `lined` column
    # ductile iron / fonte ductile
    "DI": "ductile_iron",
    "DUCTILEIRON": "ductile_iron",
    "FONTEDUCTILE": "ductile_iron",
    "FD": "ductile_iron",
    "FTD": "ductile_iron",
    "DIP": "ductile_iron",
    "DICL": "ductile_iron",
    # steel / acier
    "ST": "steel",
    "STL": "steel",
    "STEEL": "steel",
    "MSCL": "steel",  # mild steel cement-lined
    "ACIER": "steel",
    "GS": "galvanized_steel",
    "GALV": "galvanized_steel",
    "GI": "galvanized_steel",  # galvanised iron
    "GALVANIZEDSTEEL": "galvanized_steel",
    "ACIERGALVANISE": "galvanized_steel",
    "AG": "galvanized_steel",  # acier galvanisé
    "GALVANISED": "galvanized_steel",
    "GALVANIZED": "galvanized_steel",
    # asbestos cement / amiante-ciment, fibrociment
    "AC": "asbestos_cement",
    "ASBESTOSCEMENT": "asbestos_cement",
    "AMIANTECIMENT": "asbestos_cement",
    "FIBROCIMENT": "asbestos_cement",
    "AMIANTE": "asbestos_cement",
    "FC": "asbestos_cement",
    "AMC": "asbestos_cement",
    "ACP": "asbestos_cement",
    # concrete / béton
    "CONCRETE": "concrete",
    "CPP": "concrete",
    "PCCP": "concrete",
    "RCP": "concrete",
    "BETON": "concrete",
    "BA": "concrete",
    "BET": "concrete",
    "BONNA": "concrete",  # Bonna (Sabla) pipes: the prestressed concrete mains of France
    # plastics
    "PVC": "pvc",
    "PVCO": "pvc",
    "PVCU": "pvc",
    "UPVC": "pvc",
    "PVCBO": "pvc",  # bi-oriented PVC
    "POLYCHLORUREDEVINYLE": "pvc",
    "OPVC": "pvc",
    "PE": "pe",
    "HDPE": "pe",
    "MDPE": "pe",
    "PEHD": "pe",
    "PEBD": "pe",
    "POLYETHYLENE": "pe",
    # others
    "COP": "copper",
    "CU": "copper",
    "COPPER": "copper",
    "CUIVRE": "copper",
    "PB": "lead",
    "LEAD": "lead",
    "PLOMB": "lead",
    "XXX": "unknown",
    "UNK": "unknown",
    "UNKNOWN": "unknown",
    "INCONNU": "unknown",
    "INCONNUE": "unknown",
    "NR": "unknown",  # non renseigné
    "ND": "unknown",  # non déterminé
    "NONRENSEIGNE": "unknown",
    "INDETERMINE": "unknown",
    "?": "unknown",
    # glass-reinforced plastic / polyester renforcé de fibres de verre
    "PRV": "other",
    "GRP": "other",
}

#: Canonical columns of each layer: name -> (kind, required).
#: kind is one of "id", "str", "float", "year", "date", "bool".
PIPE_COLUMNS: dict[str, tuple[str, bool]] = {
    "pipe_id": ("id", True),
    "material": ("str", True),
    "diameter_mm": ("float", True),
    "install_year": ("year", True),
    "length_m": ("float", False),  # required when there is no geometry
    "pressure_zone": ("str", False),
    "lined": ("bool", False),
    "removed_year": ("year", False),
    "road_segment_id": ("str", False),  # groups mains into inspection units without geometry
}
BREAK_COLUMNS: dict[str, tuple[str, bool]] = {
    "date": ("date", True),
    "pipe_id": ("id", False),  # or a point location
    "break_id": ("id", False),
    "kind": ("str", False),
    "flow_m3_per_h": ("float", False),
}
WELD_COLUMNS: dict[str, tuple[str, bool]] = {
    "pipe_id": ("id", False),  # or a point location
    "weld_id": ("id", False),
    "kind": ("str", False),  # weld or joint (free text is kept)
    "grade": ("str", False),
    "condition": ("str", False),
    "year": ("year", False),
}
STATION_COLUMNS: dict[str, tuple[str, bool]] = {"station_id": ("id", True)}

#: Plausible ranges, used for warnings.
EARLIEST_PLAUSIBLE_INSTALL_YEAR = 1850
PLAUSIBLE_DIAMETER_MM = (10.0, 4000.0)

#: Default tolerance for linking a break or weld to the nearest pipe, in metres.
DEFAULT_LINK_TOLERANCE_M = 10.0

#: Longest file value (or column name) shown in a message; longer ones are cut with "…".
MAX_VALUE_CHARS = 60
#: Longest message (and fix) of a problem; a 500,000-character cell must not flood a terminal.
MAX_MESSAGE_CHARS = 1_000
#: Text cells longer than this are reported as a warning (usually an export error).
MAX_CELL_CHARS = 1_000


def counted(n: int, one: str, many: str) -> str:
    """``n`` with the words that agree with it, for messages.

    >>> counted(1, "pipe has", "pipes have"), counted(1204, "pipe has", "pipes have")
    ('1 pipe has', '1,204 pipes have')
    """
    return f"{n:,} {one if n == 1 else many}"


def shorten(text, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` as a string of at most ``limit`` characters, cut with "…" when longer."""
    text = str(text)
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


@dataclass(frozen=True)
class Problem:
    """One finding about the input: fatal ``error`` or non-fatal ``warning``.

    ``rows`` are 1-based data row numbers of the file (header excluded), at most
    a few shown in the message; ``count`` is how many rows are concerned.
    """

    severity: str  # "error" or "warning"
    layer: str
    file: str
    code: str
    message: str
    fix: str = ""
    count: int = 0
    rows: tuple[int, ...] = ()
    #: The values of the message, by name, when the catalogues hold it as
    #: ``problem.<code>`` (and ``problem.<code>.fix``): a page then says it in its reader's
    #: language (:func:`risk.errors.problem_words`). None: the English message only.
    params: dict | None = field(default=None, compare=False, hash=False)

    def __str__(self) -> str:
        text = f"{self.file}: {shorten(self.message, MAX_MESSAGE_CHARS)}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:5])
            more = f" and {self.count - 5:,} more" if self.count > 5 else ""
            text += f" (rows {shown}{more})"
        if self.fix:
            text += f". {shorten(self.fix, MAX_MESSAGE_CHARS)}"
        return text

    def to_dict(self) -> dict:
        return {
            "severity": self.severity,
            "layer": self.layer,
            "file": self.file,
            "code": self.code,
            "message": shorten(self.message, MAX_MESSAGE_CHARS),
            "fix": shorten(self.fix, MAX_MESSAGE_CHARS),
            "count": self.count,
            "rows": list(self.rows[:20]),
        }


class DataContractError(InputError):
    """The input folder breaks the data contract; ``problems`` lists every fatal finding.
    An :class:`~risk.errors.InputError` (so a ``ValueError``)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [
            f"{counted(len(self.problems), 'problem', 'problems')} in the input; nothing was written:"
        ]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


@dataclass
class Findings:
    """Collects problems while reading so that all of them are reported at once."""

    problems: list[Problem] = field(default_factory=list)
    #: Source columns each layer ignores because the contract has no place for them.
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)

    def error(
        self, layer: str, file: str, code: str, message: str, fix: str = "", rows=(), params=None
    ):
        self._add("error", layer, file, code, message, fix, rows, params)

    def warn(
        self, layer: str, file: str, code: str, message: str, fix: str = "", rows=(), params=None
    ):
        self._add("warning", layer, file, code, message, fix, rows, params)

    def _add(self, severity, layer, file, code, message, fix, rows, params=None):
        rows = tuple(int(r) for r in rows)
        message, fix = shorten(message, MAX_MESSAGE_CHARS), shorten(fix, MAX_MESSAGE_CHARS)
        self.problems.append(
            Problem(
                severity, layer, file, code, message, fix, count=len(rows), rows=rows[:20],
                params=params,
            )
        )  # fmt: skip

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise DataContractError(self.errors)
