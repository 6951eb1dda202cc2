"""Input checked like a real export (issue #13): every bad input gives exit code 2, a message
naming the file and the fix, and writes nothing; never a traceback."""

import os
import random
import re
import shutil
import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from risk.contract import MAX_MESSAGE_CHARS, Findings, Problem, shorten
from risk.io import detect_separator
from risk.mapping import LayerMapping, read_mapping

EXIT_BAD_INPUT = 2
HEADER = "pipe_id,material,diameter_mm,install_year,length_m"
GOOD_CSV = f"{HEADER}\nA,CI,100,1950,10.5\nB,PVC,150,1980,20\nC,DI,200,1975,30\n"
DOCS = Path(__file__).parent.parent / "docs" / "data-contract.md"


def ingest_fails(run, folder, workspace, *extra) -> str:
    """Run ``risk ingest``; assert it failed on input, wrote nothing, no traceback."""
    code, out, err = run("ingest", folder, "--workspace", workspace, *extra)
    assert code == EXIT_BAD_INPUT, err
    assert "nothing was written" in err
    assert "Traceback" not in err + out
    assert not workspace.exists()
    assert [p for p in workspace.parent.iterdir() if p.name.startswith(f".{workspace.name}")] == []
    return err


def utility(tmp_path, files: dict, mapping: str | None = None) -> Path:
    folder = tmp_path / "u"
    folder.mkdir()
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if mapping is not None:
        (folder / "mapping.toml").write_text(mapping, encoding="utf-8")
    return folder


def lines(n: int, x0: float = 650_000.0) -> list[LineString]:
    """``n`` lines in Lambert-93 (EPSG:2154), inside its area of use."""
    return [
        LineString([(x0 + 100 * i, 6_860_000), (x0 + 100 * i + 80, 6_860_000)]) for i in range(n)
    ]


def pipes_layer(n: int, prefix: str, x0: float = 650_000.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "pipe_id": [f"{prefix}{i}" for i in range(n)],
            "material": "PVC",
            "diameter_mm": 100.0,
            "install_year": 1990,
        },
        geometry=lines(n, x0),
        crs="EPSG:2154",
    )


# --- 1. multi-layer files -----------------------------------------------------------------


@pytest.fixture
def two_layer_gpkg(tmp_path) -> Path:
    folder = tmp_path / "u"
    folder.mkdir()
    pipes_layer(3, "OLD").to_file(folder / "pipes.gpkg", layer="abandoned_mains")
    pipes_layer(5, "P", x0=660_000.0).to_file(folder / "pipes.gpkg", layer="mains")
    return folder


def test_several_layers_and_none_named_lists_them_and_the_fix(run, two_layer_gpkg, tmp_path):
    err = ingest_fails(run, two_layer_gpkg, tmp_path / "ws")
    assert "pipes.gpkg" in err and "holds 2 layers" in err
    assert "'abandoned_mains' (3 LineString features)" in err
    assert "'mains' (5 LineString features)" in err
    assert '[pipes] layer = "mains"' in err  # the fix suggests the layer in service


def test_the_layer_named_in_the_mapping_is_read(run, two_layer_gpkg, tmp_path):
    (two_layer_gpkg / "mapping.toml").write_text('[pipes]\nlayer = "mains"\n')
    code, out, err = run("ingest", two_layer_gpkg, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "Loaded 5 pipes" in out
    assert "More than one layer" not in err  # no library warning on stderr


def test_a_named_layer_that_does_not_exist_lists_the_layers(run, two_layer_gpkg, tmp_path):
    (two_layer_gpkg / "mapping.toml").write_text('[pipes]\nlayer = "main"\n')
    err = ingest_fails(run, two_layer_gpkg, tmp_path / "ws")
    assert "pipes.gpkg" in err and "layer 'main', which is not in the file" in err
    assert "'mains' (5 LineString features)" in err and "'abandoned_mains'" in err
    assert "[pipes] layer = ..." in err


def test_a_single_layer_file_needs_no_layer_key(run, tmp_path):
    folder = tmp_path / "u"
    folder.mkdir()
    pipes_layer(4, "P").to_file(folder / "pipes.gpkg", layer="whatever")
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "Loaded 4 pipes" in out


def test_a_layer_key_for_a_csv_file_is_an_error(run, tmp_path):
    folder = utility(tmp_path, {"pipes.csv": GOOD_CSV}, '[pipes]\nlayer = "mains"\n')
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "pipes.csv" in err and "a CSV file holds a single table" in err
    assert "Remove layer = ... from [pipes]" in err


# --- 2. the mapping file is checked against a schema --------------------------------------


@pytest.mark.parametrize(
    "text, where, fix",
    [
        ('[pipes]\ncolumns = "pipe_id"\n', "[pipes] columns must be a table", "[pipes.columns]"),
        (
            "[pipes]\nfile = 3\n",
            "[pipes] file must be a non-empty text in quotes, not 3",
            "file = ",
        ),
        ('[pipes]\ndrop = "x"\n', "[pipes] drop must be a list of column names", 'drop = ["x"]'),
        ("[pipes]\nvalues = 3\n", "[pipes] values must be a table", "[pipes.values]"),
        (
            '[pipes.values.material]\nCI = ["cast_iron"]\n',
            "[pipes.values.material] CI = a list",
            '"YOUR CODE" = "value"',
        ),
        (
            '[pipes.values.material]\nCI = "cast iron!"\n',
            "'cast iron!' is not a canonical material",
            "cast_iron, ductile_iron",
        ),
        ('[pipes.values.lined]\nYES = "true"\n', "[pipes.values.lined] YES", "true (or false)"),
        (
            '[pipes.values.pipe_id]\nX = "Y"\n',
            "'pipe_id' is not a text or yes/no column",
            "material, pressure_zone, lined",
        ),
        (
            '[pipes.columns]\npipe_idd = "ID"\n',
            "[pipes.columns] pipe_idd: 'pipe_idd' is not a column of the pipes contract "
            "(did you mean 'pipe_id'?)",
            'pipe_id = "YOUR_COLUMN"',
        ),
        ("[pipes.columns]\npipe_id = 7\n", "[pipes.columns] pipe_id must name", 'pipe_id = "'),
        (
            '[pipes.exclude]\npressure_zone = "A"\n',
            "[pipes.exclude] pressure_zone must be a list",
            'pressure_zone = ["A"]',
        ),
        (
            '[pipes.exclude]\nzone = ["A"]\n',
            "[pipes.exclude] zone: 'zone' is not a column",
            "exclude rules use contract names",
        ),
        ('[breaks.keep]\nwhat = "MAIN"\n', "[breaks.keep] what must be a list", 'what = ["MAIN"]'),
        ("[pipes]\nmin_length_m = 0\n", "[pipes] min_length_m must be a number", "1.0"),
        ('[pipes]\nmin_length_m = "1"\n', "[pipes] min_length_m must be a number", "1.0"),
        ("[pipes]\nmin_length_m = true\n", "[pipes] min_length_m must be a number", "1.0"),
        (
            '[pipes]\nshort_segments = "explode"\n',
            "[pipes] short_segments must be one of 'warn', 'drop', 'merge'",
            'short_segments = "warn"',
        ),
        (
            '[breaks]\nduplicates = "maybe"\n',
            "[breaks] duplicates must be one of 'drop', 'keep'",
            'duplicates = "drop"',
        ),
        (
            "[weather]\nmissing_values = -9999\n",
            "[weather] missing_values must be a list of numbers",
            "missing_values = [",
        ),
        (
            '[weather]\nmissing_values = [-9999, "NA"]\n',
            '"NA" is not a number',
            "numbers without quotes",
        ),
        (
            '[pipes]\nseparator = ";;"\n',
            "[pipes] separator must be one character",
            'separator = ";"',
        ),
        ('[pipes]\nencoding = "klingon"\n', '[pipes] encoding "klingon" is not a known', "latin-1"),
        ("[pipes]\ncrs = 2154\n", "[pipes] crs must be a non-empty text", 'crs = "EPSG:2154"'),
        ('[pipes]\nlayer = ""\n', "[pipes] layer must be a non-empty text", 'layer = "mains"'),
        (
            '[pipes]\nduplicates = "keep"\n',
            "unknown key(s) ['duplicates'] in [pipes] ('duplicates' belongs in [breaks])",
            "min_length_m, short_segments",
        ),
        (
            '[pipes]\ncolums = {pipe_id = "ID"}\n',
            "'colums': did you mean 'columns'?",
            "Keys of [pipes] are file, layer, encoding, separator",
        ),
        (
            '[soils.columns]\nph = "PH"\n',
            "unknown key(s) ['columns'] in [soils]",
            "Keys of [soils]",
        ),
        ('pipes = "pipes.csv"\n', "pipes must be a section", "[pipes]"),
        ("[pipez]\n", "unknown section [pipez] (did you mean 'pipes'?)", "Sections are [pipes]"),
    ],
)
def test_mapping_problems_say_where_and_how_to_fix(run, tmp_path, text, where, fix):
    folder = utility(tmp_path, {"pipes.csv": GOOD_CSV}, text)
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "mapping.toml" in err
    assert where in err
    assert fix in err


def test_every_mapping_problem_is_reported_at_once(run, tmp_path):
    text = (
        '[pipes]\nfile = 3\ndrop = "x"\nshort_segments = "no"\n'
        '[pipes.columns]\npipe_idd = "ID"\n[breaks]\nduplicates = 1\n'
    )
    folder = utility(tmp_path, {"pipes.csv": GOOD_CSV}, text)
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "5 problems" in err
    for where in ("[pipes] file", "[pipes] drop", "[pipes] short_segments", "pipe_idd", "[breaks]"):
        assert where in err


def test_one_source_column_mapped_to_two_contract_columns(run, tmp_path):
    text = '[pipes.columns]\npipe_id = "ID"\nmaterial = "ID"\n'
    folder = utility(tmp_path, {"pipes.csv": GOOD_CSV}, text)
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "maps your column 'ID' to several contract columns (pipe_id, material)" in err
    assert "Map each of your columns to one contract column" in err
    assert "has no column" not in err  # not a misleading message about the file


def test_a_misspelt_source_column_suggests_the_close_name(run, tmp_path):
    folder = utility(tmp_path, {"pipes.csv": GOOD_CSV}, '[pipes.columns]\nmaterial = "materiel"\n')
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "no column 'materiel' (did you mean 'material'?)" in err


def test_new_mapping_keys_are_parsed_with_their_types_and_defaults(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text(
        '[pipes]\nlayer = "mains"\nseparator = "\\t"\nmin_length_m = 2\nshort_segments = "merge"\n'
        '[breaks]\nduplicates = "keep"\n[weather]\nmissing_values = [-99, 999.9]\n'
    )
    mapping = read_mapping(path)
    pipes = mapping.layer("pipes")
    assert pipes.layer == "mains" and pipes.separator == "\t"
    assert pipes.min_length_m == 2.0 and isinstance(pipes.min_length_m, float)
    assert pipes.short_segments == "merge"
    assert mapping.layer("breaks").duplicates == "keep"
    assert mapping.layer("weather").missing_values == [-99.0, 999.9]
    default = LayerMapping()
    assert default.min_length_m is None and default.short_segments == "warn"
    assert default.duplicates == "drop" and default.missing_values == []
    assert default.layer is None and default.separator is None


def test_the_documented_and_shipped_mappings_are_valid(tmp_path):
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    for i, block in enumerate(blocks):
        path = tmp_path / f"doc{i}.toml"
        path.write_text(block, encoding="utf-8")
        read_mapping(path)
    root = Path(__file__).parent.parent
    for path in [
        root / "data" / "mappings" / "kitchener.toml",
        *root.glob("tests/fixtures/*/*.toml"),
    ]:
        read_mapping(path)


def test_an_absolute_file_path_is_refused(run, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text(GOOD_CSV)
    folder = utility(tmp_path, {}, f'[pipes]\nfile = "{outside.as_posix()}"\n')
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "file = '" in err and "is an absolute path" in err
    assert "Copy the file into" in err and 'file = "elsewhere.csv"' in err


def test_a_path_leaving_the_folder_is_refused(run, tmp_path):
    (tmp_path / "elsewhere.csv").write_text(GOOD_CSV)
    folder = utility(tmp_path, {}, '[pipes]\nfile = "../elsewhere.csv"\n')
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "goes outside the folder with '..'" in err and "Copy the file into" in err


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_link_resolving_outside_the_folder_is_refused(run, tmp_path):
    (tmp_path / "elsewhere.csv").write_text(GOOD_CSV)
    folder = utility(tmp_path, {}, '[pipes]\nfile = "mains.csv"\n')
    (folder / "mains.csv").symlink_to(tmp_path / "elsewhere.csv")
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "is a link to a file outside the folder" in err
    # a path that stays inside the folder is fine, sub-folders included
    (folder / "mains.csv").unlink()
    (folder / "sub").mkdir()
    (folder / "sub" / "mains.csv").write_text(GOOD_CSV)
    (folder / "mapping.toml").write_text('[pipes]\nfile = "sub/../sub/mains.csv"\n')
    code, _, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err


# --- 3/4. CSV separators ------------------------------------------------------------------


def test_a_semicolon_csv_with_decimal_commas_is_read_with_a_warning(run, tmp_path):
    text = GOOD_CSV.replace(",", ";").replace("10.5", "10,5")
    folder = utility(tmp_path, {"pipes.csv": text})
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "Loaded 3 pipes" in out
    assert "the file uses ';' as separator" in out
    from risk.ingest import read_utility

    data = read_utility(folder)
    assert data.pipes["length_m"].tolist() == [10.5, 20.0, 30.0]
    warning = [w for w in data.meta["report"]["warnings"] if w["code"] == "separator"]
    assert warning and 'separator = ";"' in warning[0]["fix"]


def test_the_separator_key_makes_it_explicit_and_silences_the_warning(run, tmp_path):
    text = GOOD_CSV.replace(",", "\t")
    folder = utility(tmp_path, {"pipes.csv": text}, '[pipes]\nseparator = "\\t"\n')
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "Loaded 3 pipes" in out and "as separator" not in out


def test_a_wrong_separator_in_the_mapping_names_the_one_the_file_uses(run, tmp_path):
    folder = utility(
        tmp_path, {"pipes.csv": GOOD_CSV.replace(",", ";")}, '[pipes]\nseparator = ","\n'
    )
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "pipes.csv" in err and "the file seems to use ';' as separator" in err
    assert 'Write separator = ";" under [pipes]' in err
    assert "missing required columns" not in err  # never the misleading message


@pytest.mark.parametrize(
    "text, sep",
    [
        ("a;b;c\n1;2,5;3\n", ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("a,b,c\n1,x;y;z;w,3\n", ","),  # semicolons in values do not fool it
        ('a,b\n1,"p;q;r;s"\n', ","),
        ("just_one_column\n1\n2\n", ","),
        ("", ","),
    ],
)
def test_detect_separator(text, sep):
    assert detect_separator(text) == sep


def test_missing_columns_from_another_format_hint_at_the_separator():
    from risk.validate import require_columns

    findings = Findings()
    table = pd.DataFrame({"pipe_id;material": ["A;CI"], "_row": [1]})
    assert not require_columns(table, ["pipe_id"], "pipes", "pipes.csv", findings)
    assert "seems to use ';' as separator" in findings.errors[0].fix


# --- 5. malformed CSV ---------------------------------------------------------------------


def test_a_line_with_too_many_fields_names_the_line_and_the_fix(run, tmp_path):
    folder = utility(tmp_path, {"pipes.csv": GOOD_CSV + "D,PVC,1,1990,3,extra,more\n"})
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "pipes.csv: malformed CSV: line 5 has 7 fields where the header has 5" in err
    assert "double quotes" in err
    assert "C error" not in err and "tokenizing" not in err  # no raw library dump


def test_an_unclosed_quote_names_the_line(run, tmp_path):
    folder = utility(tmp_path, {"pipes.csv": GOOD_CSV + 'D,"PVC,1,1990,3\nE,PVC,1,1990,3\n'})
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "a quoted value starting on line 5 is never closed" in err
    assert "closing double quote" in err


def test_data_lines_longer_than_the_header_are_an_error(run, tmp_path):
    text = f"{HEADER}\nA,CI,100,1950,10.5,x\nB,PVC,150,1980,20,y\n"
    folder = utility(tmp_path, {"pipes.csv": text})
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "the data lines have 6 fields where the header (line 1) has 5" in err
    assert "A column name is missing in the header" in err
    assert "must hold" not in err  # not shifted columns reported as wrong types


def test_a_separator_at_the_end_of_every_line_is_ignored(run, tmp_path):
    text = "".join(line + ",\n" for line in GOOD_CSV.splitlines())
    folder = utility(tmp_path, {"pipes.csv": text})
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "Loaded 3 pipes" in out and "no name and no values; it is ignored" in out


# --- 6. long values are cut in messages; long cells are reported --------------------------


def test_a_huge_cell_is_cut_in_messages_and_reported(run, tmp_path):
    huge = "x" * 500_000
    folder = utility(tmp_path, {"pipes.csv": GOOD_CSV.replace("A,CI", f"A,{huge}")})
    workspace = tmp_path / "ws"
    code, out, err = run("ingest", folder, "--workspace", workspace)
    assert code == 0, err
    assert len(out) + len(err) < 10_000
    assert "column 'material' has 1 cells longer than 1,000 characters" in out
    assert "x" * 59 + "…" in out and "x" * 61 not in out
    report = (workspace / "report.md").read_text(encoding="utf-8")
    assert "x" * 61 not in report and "(rows 1)" in report and len(report) < 20_000


def test_a_huge_bad_value_is_cut_in_the_error(run, tmp_path):
    huge = "9" * 10 + "z" * 500_000
    folder = utility(tmp_path, {"pipes.csv": GOOD_CSV.replace("A,CI,100", f"A,CI,{huge}")})
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "column 'diameter_mm' must hold numbers" in err and "…" in err
    assert len(err) < 5_000


def test_a_huge_column_name_is_cut(run, tmp_path):
    folder = utility(tmp_path, {"pipes.csv": GOOD_CSV.replace("pipe_id", "p" * 500_000, 1)})
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "missing required columns ['pipe_id']" in err and "p" * 59 + "…" in err
    assert len(err) < 5_000


def test_problem_messages_are_bounded():
    problem = Problem("error", "pipes", "pipes.csv", "x", "m" * 100_000, "f" * 100_000)
    assert len(str(problem)) < 2 * MAX_MESSAGE_CHARS + 100
    assert len(problem.to_dict()["message"]) == MAX_MESSAGE_CHARS
    findings = Findings()
    findings.warn("pipes", "pipes.csv", "x", "w" * 100_000)
    assert len(findings.warnings[0].message) == MAX_MESSAGE_CHARS
    assert shorten("abc", 60) == "abc" and shorten("a" * 100) == "a" * 59 + "…"


def test_examples_are_cut():
    from risk.validate import _examples

    shown = _examples(pd.Series(["y" * 1000, "short"]))
    assert shown == f"'{'y' * 59}…', 'short'"


def test_the_markdown_report_cuts_long_messages():
    from risk.report import render_markdown

    warning = Problem("warning", "pipes", "pipes.csv", "x", "w" * 100_000).to_dict()
    warning["message"] = "w" * 100_000  # a report written by an older version
    report = {
        "folder": "u",
        "mapping": None,
        "created_at": "now",
        "crs": None,
        "pipes": {
            "count": 1,
            "length_km": 0.0,
            "with_geometry": False,
            "install_year_range": None,
            "km_by_material": {},
        },
        "breaks": {"count": 0},
        "ignored_columns": {"pipes": ["c" * 10_000]},
        "warnings": [warning],
    }
    text = render_markdown(report)
    assert len(text) < 3_000 and "w" * (MAX_MESSAGE_CHARS + 1) not in text


# --- 7. files that are not what they say ---------------------------------------------------


def _sqlite_without_tables(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("create table t (a)")


@pytest.mark.parametrize(
    "name, content, message, fix",
    [
        (
            "pipes.csv",
            GOOD_CSV.replace("CI", "Fonte grisée").encode("latin-1"),
            "the file is not UTF-8 text (byte 0xe9",
            'encoding = "latin-1"',
        ),
        (
            "pipes.csv",
            bytes(range(256)) * 20,
            "the file is not a CSV file: it looks like binary data",
            "CSV UTF-8",
        ),
        (
            "pipes.csv",
            b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200,
            "it looks like a ZIP archive (an Excel .xlsx workbook",
            "Save as > CSV UTF-8",
        ),
        (
            "pipes.csv",
            GOOD_CSV.encode("utf-16"),
            "it looks like UTF-16 text",
            'encoding = "utf-16"',
        ),
        (
            "pipes.geojson",
            b"{ not json",
            "cannot read the file: it is not valid JSON (Expecting property name",
            "Export it again as GeoJSON",
        ),
        (
            "pipes.geojson",
            b"<html><body>Login required</body></html>",
            "the file is not a GeoJSON file: it looks like text that is not JSON",
            "Export the pipes layer again as GeoJSON",
        ),
        (
            "pipes.geojson",
            b'{"rows": [1, 2, 3]}',
            "it is JSON, but not GeoJSON",
            "Save Features As",
        ),
        (
            "pipes.gpkg",
            b"this is not a database",
            "the file is not a GeoPackage file: it looks like text",
            "Export the pipes layer again as GeoPackage",
        ),
        ("pipes.gpkg", _sqlite_without_tables, "not a valid GeoPackage file", "export it again"),
        ("pipes.parquet", GOOD_CSV.encode(), "the file is not a Parquet file", "as Parquet"),
        ("pipes.shp", b"garbage" * 20, "the file is not a Shapefile", "as Shapefile"),
        ("pipes.csv", b"", "the file is empty (0 bytes)", "Export it again"),
        ("pipes.gpkg", b"", "the file is empty (0 bytes)", "Export it again"),
        ("pipes.csv", b"\n\n\n", "the file has no header and no rows", "name the columns"),
        (
            "pipes.csv",
            f"{HEADER}\n".encode(),
            "the file has a header but no rows",
            "Export it again with its rows",
        ),
        (
            "pipes.csv",
            b"pipe_id,material,material,diameter_mm,install_year,length_m\nA,CI,CI,1,1950,1\n",
            "the header names column 'material' 2 times (columns 2, 3)",
            "Give each column a unique name",
        ),
        (
            "pipes.csv",
            b"pipe_id,material, ,diameter_mm,install_year,length_m\nA,CI,x,1,1950,1\n",
            "column 3 of the header has no name, but holds values",
            "Give it a name in the first line",
        ),
    ],
)
def test_a_bad_file_gives_the_file_and_a_fix(run, tmp_path, name, content, message, fix):
    folder = tmp_path / "u"
    folder.mkdir()
    if callable(content):
        content(folder / name)
    else:
        (folder / name).write_bytes(content)
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert f"{name}: " in err
    assert message in err
    assert fix in err


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg", ".parquet", ".shp"])
def test_random_and_truncated_bytes_never_give_a_traceback(run, tmp_path, suffix):
    source = tmp_path / "good"
    source.mkdir()
    if suffix == ".csv":
        (source / "pipes.csv").write_text(GOOD_CSV)
    else:  # short column names: the bytes are what matters, and shapefiles want <= 10
        layer = pipes_layer(50, "P").rename(columns=lambda c: c[:10] if c != "geometry" else c)
        layer = layer.rename(columns={"install_ye": "year", "diameter_m": "dn"})
        if suffix == ".parquet":
            layer.to_parquet(source / "pipes.parquet")
        else:
            layer.to_file(source / f"pipes{suffix}")
    good = (source / f"pipes{suffix}").read_bytes()
    rng = random.Random(13)
    blobs = [bytes(rng.randrange(256) for _ in range(n)) for n in (1, 100, 5_000)]
    blobs += [good[: len(good) // 2], good[:100], good[:-5]]
    for i, blob in enumerate(blobs):
        folder = Path(shutil.copytree(source, tmp_path / f"u{i}"))  # a shapefile's parts too
        (folder / f"pipes{suffix}").write_bytes(blob)
        workspace = tmp_path / f"ws{i}"
        code, out, err = run("ingest", folder, "--workspace", workspace)
        assert "Traceback" not in out + err
        if code != 0:
            assert code == EXIT_BAD_INPUT, err
            assert f"pipes{suffix}" in err and not workspace.exists()


def test_a_shapefile_without_its_parts_names_them(run, tmp_path):
    folder = tmp_path / "u"
    folder.mkdir()
    pipes_layer(3, "P").rename(columns={"install_year": "year", "diameter_mm": "dn"}).to_file(
        folder / "pipes.shp"
    )
    (folder / "pipes.shx").unlink()
    (folder / "pipes.dbf").unlink()
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "pipes.shp: the shapefile comes without its pipes.shx and pipes.dbf" in err
    assert "Copy all the parts of the shapefile" in err


def test_a_truncated_geopackage_is_named_without_a_library_dump(run, tmp_path):
    folder = tmp_path / "u"
    folder.mkdir()
    pipes_layer(200, "P").to_file(folder / "pipes.gpkg")
    data = (folder / "pipes.gpkg").read_bytes()
    (folder / "pipes.gpkg").write_bytes(data[: len(data) // 2])
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "pipes.gpkg: cannot read the file: it is not a valid GeoPackage file" in err
    assert "export it again" in err
    assert "sqlite3_prepare" not in err and "SELECT" not in err


def test_gis_bookkeeping_tables_do_not_count_as_layers(run, tmp_path):
    folder = tmp_path / "u"
    folder.mkdir()
    pipes_layer(4, "P").to_file(folder / "pipes.gpkg", layer="mains")
    styles = pd.DataFrame({"f_table_name": ["mains"], "styleQML": ["<qgis/>"]})
    gpd.GeoDataFrame(styles).to_file(folder / "pipes.gpkg", layer="layer_styles")
    notes = pd.DataFrame({"note": ["exported by hand"]})
    gpd.GeoDataFrame(notes).to_file(folder / "pipes.gpkg", layer="notes")
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "Loaded 4 pipes" in out
