"""Finding a layer's file in a utility folder, and refusing what is not a layer."""

from __future__ import annotations

import re
from pathlib import Path

from risk.contract import SUPPORTED_EXTENSIONS, Findings, shorten
from risk.mapping import LayerMapping

#: Bytes read from the start of a file to recognise its format and CSV separator.
HEAD_BYTES = 64 * 1024


#: Format names, for messages.
FORMATS = {
    ".gpkg": "GeoPackage",
    ".parquet": "Parquet",
    ".geoparquet": "Parquet",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "Shapefile",
    ".csv": "CSV",
}


def find_layer_file(folder: Path, layer: str, lm: LayerMapping, findings: Findings) -> Path | None:
    """Return the file of ``layer`` in ``folder``, or None when the folder has none.

    A file named in the mapping must exist and be inside ``folder`` (no absolute
    path, no ``..`` or link leading out of it); a file named after the layer with
    an unsupported extension (``pipes.xlsx``) is an error rather than silently ignored.
    """
    if lm.file:
        path = folder / lm.file
        if not _inside_folder(folder, lm.file, layer, findings):
            return None
        if not path.is_file():
            findings.error(
                layer,
                str(path),
                "missing_file",
                f"the mapping names file '{shorten(lm.file)}' for {layer}, but it is not in "
                f"{folder}",
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
    if len(supported) > 1:  # an old export beside the new one: which is current?
        findings.error(
            layer,
            str(folder),
            "several_files",
            f"{len(supported)} files for {layer} in {folder} "
            f"({', '.join(p.name for p in supported)}): which one is current is not known, "
            "so none is read",
            f"Keep one {layer} file in the folder (move the others out), or name the one to "
            f'read under [{layer}] in the mapping file, e.g. file = "{supported[-1].name}"',
        )
        return None
    return supported[0]


def _inside_folder(folder: Path, name: str, layer: str, findings: Findings) -> bool:
    """A file named in the mapping must stay inside the utility folder."""
    fix = (
        f"Copy the file into {folder} and give its name relative to that folder under "
        f'[{layer}] in the mapping file, e.g. file = "{Path(name).name or "pipes.gpkg"}"'
    )
    where = f"the mapping's [{layer}] file = '{shorten(name)}'"
    if Path(name).is_absolute() or re.match(r"^[A-Za-z]:[\\/]|^[\\/]{2}", name):
        findings.error(layer, str(folder), "outside_folder", f"{where} is an absolute path", fix)
        return False
    base = folder.resolve()
    try:
        target = (folder / name).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        findings.error(
            layer, str(folder), "outside_folder", f"{where} cannot be resolved ({exc})", fix
        )
        return False
    if target == base or not target.is_relative_to(base):
        if target == base:
            how = "names the folder itself, not a file"
        elif ".." in Path(name).parts:
            how = "goes outside the folder with '..'"
        else:
            how = "is a link to a file outside the folder"
        findings.error(
            layer,
            str(folder),
            "outside_folder",
            f"{where} {how} (files must be inside the utility folder {folder})",
            fix,
        )
        return False
    return True


def _unsupported(path: Path, layer: str, findings: Findings) -> None:
    findings.error(
        layer,
        str(path),
        "unknown_extension",
        f"unsupported file type '{path.suffix}'",
        f"Save it as one of {', '.join(SUPPORTED_EXTENSIONS)} (for a spreadsheet: CSV UTF-8)",
    )


#: First bytes of the binary formats a layer may be in.
_GEOPACKAGE = b"SQLite format 3\x00"
_PARQUET = b"PAR1"
_SHAPEFILE = b"\x00\x00\x27\x0a"

#: First bytes of the formats recognised in messages ("it looks like ...").
_MAGIC = (
    (_GEOPACKAGE, "an SQLite database (GeoPackage)"),
    (_PARQUET, "a Parquet file"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook, or a zipped export)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (_SHAPEFILE, "a Shapefile"),
)


def _looks_like(head: bytes) -> str:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text"
    if b"\x00" in head:
        return "binary data"
    return "text"


def format_matches(
    head: bytes, path: Path, layer: str, lm: LayerMapping, findings: Findings
) -> bool:
    """False, with an error, when the first bytes show the file is not what its name says."""
    suffix = path.suffix.lower()
    kind = _looks_like(head)
    expected = FORMATS.get(suffix, suffix)
    fix = f"Export the {layer} layer again as {expected}"
    if suffix == ".gpkg":
        ok = head.startswith(_GEOPACKAGE)
    elif suffix in (".parquet", ".geoparquet"):
        ok = head.startswith(_PARQUET)
    elif suffix in (".geojson", ".json"):
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        ok = kind == "text" and text[:1] in (b"{", b"[")
        if ok is False and kind == "text":
            kind = "text that is not JSON"
    elif suffix == ".shp":
        ok = head.startswith(_SHAPEFILE)
    else:  # .csv
        ok = kind == "text"
        if kind == "UTF-16 text":
            ok = bool(lm.encoding) and "16" in lm.encoding
            fix = (
                "Re-save it as 'CSV UTF-8', or add encoding = \"utf-16\" under "
                f"[{layer}] in the mapping file"
            )
        elif kind == "binary data" and lm.encoding and re.search(r"16|32", lm.encoding):
            ok = True
        elif kind.startswith("an SQLite"):
            fix = f"Rename it {path.stem}.gpkg if it is a GeoPackage, or export it as CSV UTF-8"
        elif not ok:
            fix = (
                "Export the table as CSV (in a spreadsheet: File > Save as > CSV UTF-8); "
                "renaming a file does not change its format"
            )
    if ok:
        return True
    findings.error(
        layer,
        str(path),
        "wrong_format",
        f"the file is not {'an' if expected[0] in 'AEIOU' else 'a'} {expected}"
        f"{'' if expected == 'Shapefile' else ' file'}: it looks like {kind}",
        fix,
    )
    return False


def shapefile_parts(path: Path, layer: str, findings: Findings) -> bool:
    """A shapefile is several files: the .shx index and .dbf attributes must be next to it."""
    present = {p.suffix.lower() for p in path.parent.iterdir() if p.stem == path.stem}
    missing = [ext for ext in (".shx", ".dbf") if ext not in present]
    if not missing:
        return True
    findings.error(
        layer,
        str(path),
        "shapefile_parts",
        f"the shapefile comes without its {' and '.join(path.stem + e for e in missing)} file(s)",
        f"Copy all the parts of the shapefile ({path.stem}.shp, .shx, .dbf and .prj) into the "
        "folder, or export the layer as a GeoPackage (one file)",
    )
    return False


def library_error_words(exc: BaseException, path: Path) -> str:
    """A library's error message without the file path, GDAL's advice or a data dump."""
    text = str(exc).strip() or type(exc).__name__
    for name in (f"'{path}'", str(path), path.name):
        text = text.replace(name, "the file")
    text = text.split("; It might help")[0].split("\n")[0].strip()
    text = text.replace("not recognized as being in a supported file format.", "is not recognised")
    text = re.sub(r"^Could not open Parquet input source the file: ", "", text)
    failed = re.search(r"\) failed: (.+)$", text)  # sqlite3_prepare_v2(SELECT ...) failed: ...
    if failed:
        text = failed.group(1)
    text = "; ".join(dict.fromkeys(text.split("; ")))  # GDAL often repeats itself
    return shorten(text, 200)
