"""Read one layer file of a utility folder, whatever its format, into a raw table.

Raw tables keep the utility's own column names; CSV values stay text so that
type problems can be reported row by row by :mod:`risk.ingest`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from risk.contract import SUPPORTED_EXTENSIONS, Findings
from risk.mapping import LayerMapping

_WKT_COLUMNS = ("geometry", "wkt", "geom", "the_geom")


def find_layer_file(folder: Path, layer: str, lm: LayerMapping, findings: Findings) -> Path | None:
    """Return the file of ``layer`` in ``folder``, or None when the folder has none.

    A file named in the mapping must exist; a file named after the layer with an
    unsupported extension (``pipes.xlsx``) is an error rather than silently ignored.
    """
    if lm.file:
        path = folder / lm.file
        if not path.is_file():
            findings.error(
                layer,
                str(path),
                "missing_file",
                f"the mapping names file '{lm.file}' for {layer}, but it is not in {folder}",
                "Fix the file name under [" + layer + "] in the mapping file",
            )
            return None
        if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
            _unsupported(path, layer, findings)
            return None
        return path
    candidates = sorted(p for p in folder.iterdir() if p.is_file() and p.stem.lower() == layer)
    supported = [p for p in candidates if p.suffix.lower() in SUPPORTED_EXTENSIONS]
    if not supported:
        for p in candidates:
            if p.suffix.lower() not in {".prj", ".dbf", ".shx", ".cpg", ".qmd", ".xml"}:
                _unsupported(p, layer, findings)
        return None
    if len(supported) > 1:
        order = {ext: i for i, ext in enumerate(SUPPORTED_EXTENSIONS)}
        supported.sort(key=lambda p: order[p.suffix.lower()])
        findings.warn(
            layer,
            str(supported[0]),
            "several_files",
            f"several files for {layer} ({', '.join(p.name for p in supported)}); "
            f"reading {supported[0].name}",
            "Keep one file per layer",
        )
    return supported[0]


def _unsupported(path: Path, layer: str, findings: Findings) -> None:
    findings.error(
        layer,
        str(path),
        "unknown_extension",
        f"unsupported file type '{path.suffix}'",
        f"Save it as one of {', '.join(SUPPORTED_EXTENSIONS)} (for a spreadsheet: CSV UTF-8)",
    )


def read_layer(path: Path, layer: str, lm: LayerMapping, findings: Findings) -> pd.DataFrame | None:
    """Read ``path`` into a DataFrame (GeoDataFrame when it has geometry).

    Returns None, with an error in ``findings``, when the file cannot be read.
    """
    suffix = path.suffix.lower()
    try:
        if path.stat().st_size == 0:
            findings.error(layer, str(path), "empty_file", "the file is empty", "Export it again")
            return None
        if suffix == ".csv":
            return _read_csv(path, layer, lm, findings)
        if suffix in (".parquet", ".geoparquet"):
            return _read_parquet(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL notes on odd files
            table = gpd.read_file(path, engine="pyogrio", use_arrow=True)
        if (
            "geometry" in table
            and shapely.is_missing(table.geometry.values).all()
            and table.crs is None
        ):
            return pd.DataFrame(table.drop(columns="geometry"))
        return table
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        findings.error(
            layer,
            str(path),
            "unreadable",
            f"cannot read the file ({exc})",
            "Check that it is a valid, complete export",
        )
    except (ValueError, TypeError) as exc:
        findings.error(
            layer, str(path), "unreadable", f"cannot read the file ({exc})", "Export it again"
        )
    return None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return gpd.read_parquet(path)
    except ValueError as exc:
        if "geo" not in str(exc).lower():
            raise
        return pd.read_parquet(path)


def _read_csv(path: Path, layer: str, lm: LayerMapping, findings: Findings) -> pd.DataFrame | None:
    encoding = lm.encoding or "utf-8-sig"
    try:
        table = pd.read_csv(
            path, dtype=str, encoding=encoding, keep_default_na=False, na_values=[""]
        )
    except UnicodeDecodeError as exc:
        findings.error(
            layer,
            str(path),
            "encoding",
            f"the file is not {encoding.replace('-sig', '').upper()} text "
            f"(byte 0x{exc.object[exc.start]:02x} at position {exc.start:,})",
            f"Re-save it as 'CSV UTF-8', or add encoding = \"latin-1\" (or your file's "
            f"encoding) under [{layer}] in the mapping file",
        )
        return None
    except LookupError:
        findings.error(
            layer,
            str(path),
            "encoding",
            f"unknown encoding '{encoding}' in the mapping",
            "Use a Python codec name such as utf-8, latin-1 or cp1252",
        )
        return None
    except pd.errors.EmptyDataError:
        findings.error(layer, str(path), "empty_file", "the file has no header and no rows", "")
        return None
    except pd.errors.ParserError as exc:
        findings.error(
            layer,
            str(path),
            "unreadable",
            f"malformed CSV ({exc})",
            "Check quoting and the number of fields on that line",
        )
        return None
    table.columns = [str(c).strip() for c in table.columns]
    wkt = next((c for c in table.columns if c.lower() in _WKT_COLUMNS), None)
    if wkt is None:
        return table
    try:
        geometry = shapely.from_wkt(table[wkt].to_numpy(dtype=object), on_invalid="raise")
    except shapely.errors.GEOSException as exc:
        findings.error(
            layer, str(path), "bad_wkt", f"column '{wkt}' holds text that is not WKT ({exc})", ""
        )
        return None
    return gpd.GeoDataFrame(table.drop(columns=wkt), geometry=geometry, crs=None)
