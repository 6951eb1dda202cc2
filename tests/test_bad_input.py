"""Bad input: a clear message naming file, rows, expectation and fix; exit 2; nothing written."""

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import shapely.affinity
from shapely.geometry import LineString

from risk.workspace import load_workspace

EXIT_BAD_INPUT = 2


def ingest_fails(run, folder, workspace, *extra) -> str:
    """Run ``risk ingest``; assert it failed on input and wrote nothing; return stderr."""
    code, out, err = run("ingest", folder, "--workspace", workspace, *extra)
    assert code == EXIT_BAD_INPUT, err
    assert "nothing was written" in err
    assert not workspace.exists()
    assert [p for p in workspace.parent.iterdir() if p.name.startswith(f".{workspace.name}")] == []
    return err


def write_pipes_csv(folder, **changes):
    pipes = pd.DataFrame(
        {
            "pipe_id": ["A", "B", "C", "D"],
            "material": ["CI", "PVC", "DI", "AC"],
            "diameter_mm": ["100", "150", "200", "80"],
            "install_year": ["1950", "1980", "1975", "1965"],
            "length_m": ["10.5", "20", "30", "40"],
        }
    )
    for column, values in changes.items():
        if values is None:
            pipes = pipes.drop(columns=column)
        else:
            pipes[column] = values
    folder.mkdir(exist_ok=True)
    pipes.to_csv(folder / "pipes.csv", index=False)
    return folder


def write_pipes_gpkg(folder, geometries, crs="EPSG:2154"):
    """Pipes in a GeoPackage; the hand-drawn coordinates are moved to Paris (Lambert-93)."""
    folder.mkdir(exist_ok=True)
    geometries = [shapely.affinity.translate(g, 650_000, 6_860_000) for g in geometries]
    gpd.GeoDataFrame(
        {
            "pipe_id": [f"P{i}" for i in range(len(geometries))],
            "material": "PVC",
            "diameter_mm": 100.0,
            "install_year": 1990,
        },
        geometry=geometries,
        crs=crs,
    ).to_file(folder / "pipes.gpkg")
    return folder


LINES = [LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 100)])]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs(run, tmp_path):
    folder = write_pipes_gpkg(tmp_path / "u", LINES, crs=None)
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "pipes.gpkg" in err
    assert "no coordinate reference system" in err
    assert "Set CRS" in err and 'crs = "EPSG:2154"' in err


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs_can_be_given_in_the_mapping(run, tmp_path):
    folder = write_pipes_gpkg(tmp_path / "u", LINES, crs=None)
    (folder / "mapping.toml").write_text('[pipes]\ncrs = "EPSG:2154"\n')
    code, _, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err


def test_missing_required_columns(run, tmp_path):
    folder = write_pipes_csv(tmp_path / "u", diameter_mm=None, material=None)
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "pipes.csv" in err
    assert "missing required columns ['material', 'diameter_mm']" in err
    assert "[pipes.columns] material" in err  # how to fix it


def test_length_is_required_without_geometry(run, tmp_path):
    folder = write_pipes_csv(tmp_path / "u", length_m=None)
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "['length_m']" in err and "no geometry" in err


def test_duplicate_pipe_id(run, tmp_path):
    folder = write_pipes_csv(tmp_path / "u", pipe_id=["A", "B", "A", "D"])
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "pipe_id values appear more than once" in err
    assert "'A' on rows [1, 3]" in err
    assert "must be unique" in err


def test_invalid_geometry(run, tmp_path):
    bad = LineString([(5, 5), (5, 5)])  # a line with one distinct point
    folder = write_pipes_gpkg(tmp_path / "u", [LINES[0], bad, LINES[1]])
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "1 of 3 geometries is invalid" in err
    assert "pipe_id 'P1'" in err and "Too few points" in err
    assert "--repair-geometry" in err


def test_empty_geometry(run, tmp_path):
    folder = write_pipes_gpkg(tmp_path / "u", [LINES[0], LineString(), LINES[1]])
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "1 of 3 geometries is empty" in err and "pipe_id 'P1'" in err
    assert "(rows 2)" in err


def test_repair_geometry_keeps_the_pipe(run, tmp_path):
    folder = write_pipes_gpkg(tmp_path / "u", [LINES[0], LineString(), LINES[1]])
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws", "--repair-geometry")
    assert code == 0, err
    assert "1 empty geometry was removed" in out
    assert len(load_workspace(tmp_path / "ws").pipes) == 3


def test_repair_geometry_keeps_a_line_with_no_length_as_a_line(run, tmp_path):
    """make_valid turns a line whose points are all in one place into a Point: the pipes
    layer then held a point. It stays the line drawn, of length 0, named as short."""
    bad = LineString([(5, 5), (5, 5)])
    folder = write_pipes_gpkg(tmp_path / "u", [LINES[0], bad, LINES[1]])
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws", "--repair-geometry")
    assert code == 0, err
    assert "1 invalid geometry was repaired" in out
    assert "1 of them have no length (every point in one place) and are kept as drawn" in out
    assert "shorter than 1 m" in out
    pipes = load_workspace(tmp_path / "ws").pipes
    assert len(pipes) == 3 and set(pipes.geom_type) == {"LineString"}
    assert pipes.geometry.iloc[1].length == 0


def test_wrong_geometry_type(run, tmp_path):
    from shapely.geometry import Point

    folder = write_pipes_gpkg(tmp_path / "u", [Point(0, 0), Point(1, 1)])
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "2 geometries are not LineString" in err and "Point" in err


def test_wrong_types(run, tmp_path):
    folder = write_pipes_csv(
        tmp_path / "u",
        diameter_mm=["100", "big", "200", "80"],
        install_year=["1950", "1980", "soon", "1965"],
    )
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "column 'diameter_mm' must hold numbers (mm); 1 values are not numbers" in err
    assert "'big'" in err and "(rows 2)" in err
    assert "column 'install_year' must hold dates" in err and "'soon'" in err and "(rows 3)" in err


def test_bad_break_dates_name_the_format(run, tmp_path):
    folder = write_pipes_csv(tmp_path / "u")
    pd.DataFrame({"date": ["2019-01-02", "12/31/2019"], "pipe_id": ["A", "B"]}).to_csv(
        folder / "breaks.csv", index=False
    )
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "breaks.csv" in err and "'12/31/2019'" in err and "date_format" in err
    # one ISO date beside it: a date_format of "%m/%d/%Y" would refuse that one
    assert "The column mixes date formats: 1 date reads as year-month-day" in err
    assert "and this one as month/day/year" in err


def test_a_mapping_date_format_that_does_not_read_the_dates_names_the_one_that_does(run, tmp_path):
    folder = write_pipes_csv(tmp_path / "u")
    pd.DataFrame({"date": ["25/03/2019", "02/01/2019"], "pipe_id": ["A", "B"]}).to_csv(
        folder / "breaks.csv", index=False
    )
    (folder / "mapping.toml").write_text('[breaks]\ndate_format = "%m/%d/%Y"\n')
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "They do not match the mapping's date_format '%m/%d/%Y'" in err
    assert 'set date_format = "%d/%m/%Y" under [breaks]' in err


@pytest.mark.parametrize(
    ("dates", "fix"),
    [
        (["43466", "43831"], "spreadsheet day numbers (43466 is 2019-01-01)"),
        (["02/01/2019", "03/04/2019"], 'date_format = "%d/%m/%Y" (day/month/year) or "%m/%d/%Y"'),
    ],
)
def test_break_dates_say_what_they_look_like(run, tmp_path, dates, fix):
    """Spreadsheet day numbers, and a date that reads both ways, each with its fix."""
    folder = write_pipes_csv(tmp_path / "u")
    pd.DataFrame({"date": dates, "pipe_id": ["A", "B"]}).to_csv(folder / "breaks.csv", index=False)
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert fix in err
    # and the fix works
    if "spreadsheet" not in fix:
        (folder / "mapping.toml").write_text('[breaks]\ndate_format = "%d/%m/%Y"\n')
        pd.DataFrame({"date": ["02/01/2019", "03/04/2019"], "pipe_id": ["A", "B"]}).to_csv(
            folder / "breaks.csv", index=False
        )
        code, _, err = run("ingest", folder, "--workspace", tmp_path / "ws")
        assert code == 0, err
        assert str(load_workspace(tmp_path / "ws").breaks["date"].max().date()) == "2019-04-03"


def test_empty_file(run, tmp_path):
    folder = tmp_path / "u"
    folder.mkdir()
    (folder / "pipes.csv").write_bytes(b"")
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "pipes.csv: the file is empty" in err


def test_header_only_file(run, tmp_path):
    folder = tmp_path / "u"
    folder.mkdir()
    (folder / "pipes.csv").write_text("pipe_id,material,diameter_mm,install_year,length_m\n")
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "a header but no rows" in err


def test_non_utf8_csv(run, tmp_path):
    folder = write_pipes_csv(tmp_path / "u", material=["Fonte", "Béton", "PVC", "PVC"])
    raw = (folder / "pipes.csv").read_text(encoding="utf-8")
    (folder / "pipes.csv").write_bytes(raw.encode("latin-1"))
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "pipes.csv: the file is not UTF-8 text (byte 0xe9" in err
    assert "Re-save it as 'CSV UTF-8'" in err and 'encoding = "latin-1"' in err
    # and the fix works
    (folder / "mapping.toml").write_text('[pipes]\nencoding = "latin-1"\n')
    code, _, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err


def test_unknown_extension(run, tmp_path):
    folder = tmp_path / "u"
    folder.mkdir()
    (folder / "pipes.xlsx").write_bytes(b"PK\x03\x04 not really a spreadsheet")
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "pipes.xlsx: unsupported file type '.xlsx'" in err
    assert "CSV UTF-8" in err


def test_no_pipes_at_all(run, tmp_path):
    folder = tmp_path / "u"
    folder.mkdir()
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "no pipe inventory found" in err


def test_all_problems_are_reported_at_once(run, tmp_path):
    folder = write_pipes_csv(
        tmp_path / "u", pipe_id=["A", "A", "C", "D"], diameter_mm=["x", "1", "2", "3"]
    )
    pd.DataFrame({"pipe_id": ["A"]}).to_csv(folder / "breaks.csv", index=False)
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "3 problems" in err
    assert "more than once" in err and "must hold numbers" in err and "breaks.csv" in err


def test_a_break_far_from_any_pipe_is_reported_and_kept(run, tiny, tmp_path):
    breaks = pd.read_csv(tiny / "breaks.csv")
    far = pd.DataFrame({"date": ["2020-06-01"], "x": [843_500.0], "y": [6_519_000.0]})
    pd.concat([breaks, far]).to_csv(tiny / "breaks.csv", index=False)
    code, out, err = run("ingest", tiny, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "1 of 10 breaks is not linked" in out and "no pipe within the link tolerance" in out
    assert re.search(r"10 m; nearest pipe at 1,2\d\d m", out)
    saved = pd.DataFrame(load_workspace(tmp_path / "ws").breaks)
    assert len(saved) == 10  # kept, not dropped
    assert (saved["unlinked_reason"] == "too_far").sum() == 1


def test_a_break_far_from_any_pipe_is_fatal_when_strict(run, tiny, tmp_path):
    breaks = pd.read_csv(tiny / "breaks.csv")
    far = pd.DataFrame({"date": ["2020-06-01"], "x": [843_500.0], "y": [6_519_000.0]})
    pd.concat([breaks, far]).to_csv(tiny / "breaks.csv", index=False)
    err = ingest_fails(run, tiny, tmp_path / "ws", "--strict")
    assert "breaks.csv" in err and "no pipe within the link tolerance" in err and "(rows 10)" in err


def test_failed_ingest_keeps_the_previous_workspace(run, tiny, tmp_path):
    workspace = tmp_path / "ws"
    code, _, err = run("ingest", tiny, "--workspace", workspace)
    assert code == 0, err
    before = (workspace / "meta.json").read_bytes()
    (tiny / "pipes.geojson").write_text("{ not json")
    code, _, err = run("ingest", tiny, "--workspace", workspace)
    assert code == EXIT_BAD_INPUT and "cannot read the file" in err
    assert (workspace / "meta.json").read_bytes() == before
    assert len(load_workspace(workspace).pipes) > 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("[pipes\n", "not a valid TOML file"),
        ("[pipez]\n", "unknown section [pipez]"),
        ("[pipes]\ncolumn = {}\n", "unknown key(s) ['column'] in [pipes]"),
        ('[pipes.columns]\npipe_id = "NOPE"\n', "the file has no column 'NOPE'"),
    ],
)
def test_bad_mapping_files(run, tmp_path, text, message):
    folder = write_pipes_csv(tmp_path / "u")
    (folder / "mapping.toml").write_text(text)
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert message in err


def test_a_comma_beside_decimal_points_is_refused_as_a_thousands_separator(run, tmp_path):
    """'1,234' among '10.5': read as a decimal mark it would make 1,234 m into 1.234 m."""
    folder = write_pipes_csv(tmp_path / "u", length_m=["10.5", "1,234", "30", "2,500"])
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "column 'length_m' writes numbers with a decimal point and with a comma" in err
    assert "'1,234'" in err and "thousands separator" in err and "(rows 2, 4)" in err
    # decimal commas throughout (a French export) still read
    folder = write_pipes_csv(tmp_path / "v", length_m=["10,5", "1234", "30", "2,5"])
    code, _, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    lengths = load_workspace(tmp_path / "ws").pipes.set_index("pipe_id")["length_m"]
    assert lengths.to_dict() == {"A": 10.5, "B": 1234.0, "C": 30.0, "D": 2.5}


def test_mapping_codes_match_whatever_their_case_and_ac_is_named_as_ambiguous(run, tmp_path):
    """The mapping's AC = "steel" holds for the file's 'ac' (it fell through to the built-in
    AC = asbestos cement); unmapped, AC is read as asbestos cement and said to be ambiguous."""
    folder = write_pipes_csv(tmp_path / "u", material=["CI", "PVC", "ac", "AC"])
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "2 pipes have the material code 'ac', read as asbestos cement" not in out
    assert "read as asbestos cement; it also means acier (steel)" in out
    (folder / "mapping.toml").write_text('[pipes.values.material]\nAC = "steel"\n')
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws2")
    assert code == 0, err
    materials = load_workspace(tmp_path / "ws2").pipes.set_index("pipe_id")["material"]
    assert materials[["C", "D"]].tolist() == ["steel", "steel"]
    assert "it also means" not in out


def test_fonte_alone_is_read_as_grey_cast_iron_and_named_as_ambiguous(run, tmp_path):
    """'FONTE' alone (an export that does not tell grey from ductile) was read as grey cast
    iron without a word, ductile mains of the 1990s included; 'Fonte grise' is no question."""
    folder = write_pipes_csv(tmp_path / "u", material=["FONTE", "Fonte grise", "fonte", "PVC"])
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "the material code 'FONTE', read as grey cast iron; it also means ductile iron" in out
    assert "'Fonte grise'" not in out


def test_a_material_code_with_its_grade_is_the_material(run, tmp_path):
    """'PE100' (a French export writes the polyethylene's grade) became 'unknown' for every
    PE main: the model lost their material. A grade or pressure class after a known code is
    the material; a code still not known is named."""
    folder = write_pipes_csv(tmp_path / "u", material=["PE100", "PVC PN16", "PE 80 SDR11", "XB9"])
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    materials = load_workspace(tmp_path / "ws").pipes.set_index("pipe_id")["material"]
    assert materials.tolist() == ["pe", "pvc", "pe", "unknown"]
    assert "not recognised and became 'unknown': 'XB9' (1)" in out


def test_materials_written_in_words_are_the_material(run, tmp_path):
    """A French export writes the material in words ('Polyéthylène haute densité', 'Fonte
    ductile verrouillée', 'Béton armé', 'Acier galvanisé'): each became 'unknown'. The first
    words name the material; 'non renseigné' is said unknown without a warning; a code read
    by its first word keeps the ambiguity warning of that word."""
    materials = [
        "Polyéthylène haute densité", "Fonte ductile verrouillée", "Béton armé",
        "Acier galvanisé", "PVC BO", "BONNA", "NR", "FONTE VERROUILLEE",
    ]  # fmt: skip
    folder = tmp_path / "u"
    folder.mkdir()
    pd.DataFrame(
        {"pipe_id": [f"P{i}" for i in range(8)], "material": materials, "diameter_mm": 150,
         "install_year": 1980, "length_m": 100.0}
    ).to_csv(folder / "pipes.csv", index=False)  # fmt: skip
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    read = load_workspace(tmp_path / "ws").pipes["material"].tolist()
    assert read == [
        "pe", "ductile_iron", "concrete", "galvanized_steel", "pvc", "concrete", "unknown",
        "cast_iron",
    ]  # fmt: skip
    assert "not recognised" not in out
    assert "the material code 'FONTE VERROUILLEE', read as grey cast iron" in out


def test_negative_lengths_are_missing_and_named(run, tmp_path):
    folder = write_pipes_csv(tmp_path / "u", length_m=["10.5", "-20", "30", "40"])
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "1 pipe has a negative length_m (for example B: -20.00 m)" in out
    assert load_workspace(tmp_path / "ws").pipes.set_index("pipe_id")["length_m"].isna()["B"]


def test_blank_lengths_without_geometry_are_named(run, tmp_path):
    """A pipe without length_m nor a line counts as 1 m long: its rank was not to be
    trusted, and nothing said so."""
    folder = write_pipes_csv(tmp_path / "u", length_m=["10.5", "", "30", ""])
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert (
        "2 pipes have no length_m and no drawn line to measure: the model counts each as 1 m "
        "long" in out
    )


def _sixty_pipes_and(last_id: str, folder: Path) -> Path:
    """60 pipes of 100-159 m and one more row of 8,970 m (their sum) named ``last_id``."""
    folder.mkdir(exist_ok=True)
    pd.DataFrame(
        {"pipe_id": [f"P{i}" for i in range(60)] + [last_id], "material": "PVC",
         "diameter_mm": "100", "install_year": "1980",
         "length_m": [str(100 + i) for i in range(60)] + ["8970"]}
    ).to_csv(folder / "pipes.csv", index=False)  # fmt: skip
    return folder


def test_a_spreadsheet_total_row_is_refused_and_a_long_pipe_named(run, tmp_path):
    """A TOTAL row loaded as one more pipe as long as the network (155 km for 77.5):
    refused with its row. A real long main is named, and kept."""
    folder = _sixty_pipes_and("Total:", tmp_path / "u")
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 2
    assert "1 row is a spreadsheet's total, not a pipe (pipe_id 'Total:')" in err
    assert "(rows 61)" in err and "Delete the total row" in err
    assert not (tmp_path / "ws" / "meta.json").exists()

    folder = _sixty_pipes_and("P-TRUNK", folder)  # a long main, not a total
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert (
        "1 pipe is longer than 5,000 m and 50 times the median segment (130 m); for example "
        "P-TRUNK: 8,970 m" in out
    )


def test_a_wrong_declared_crs_names_the_one_that_fits_and_the_mapping_replaces_it(run, tmp_path):
    """Longitude/latitude labelled Lambert-93: the error gives the CRS that fits as the
    example, and that mapping key does replace the file's own label."""
    folder = tmp_path / "u"
    folder.mkdir()
    gpd.GeoDataFrame(
        {"pipe_id": ["A", "B"], "material": "PVC", "diameter_mm": 100.0, "install_year": 1990},
        geometry=[
            LineString([(2.35, 48.85), (2.351, 48.851)]),
            LineString([(2.36, 48.86), (2.361, 48.86)]),
        ],
        crs="EPSG:2154",
    ).to_file(folder / "pipes.gpkg")
    err = ingest_fails(run, folder, tmp_path / "ws")
    assert "EPSG:4326 (longitude/latitude in degrees)" in err
    assert 'crs = "EPSG:4326" (it replaces the file\'s own)' in err
    (folder / "mapping.toml").write_text('[pipes]\ncrs = "EPSG:4326"\n')
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "the mapping's crs 'EPSG:4326' replaces the CRS the file declares (EPSG:2154)" in out
    pipes = load_workspace(tmp_path / "ws").pipes
    assert 70 < pipes.set_index("pipe_id")["length_m"]["A"] < 200  # metres, not degrees


def test_pipe_ids_differing_only_by_case_are_named(run, tmp_path):
    folder = write_pipes_csv(tmp_path / "u")
    pipes = pd.read_csv(folder / "pipes.csv")
    pipes.loc[1, "pipe_id"] = "a"  # beside 'A'
    pipes.to_csv(folder / "pipes.csv", index=False)
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "2 pipes have a pipe_id that differs from another's only by upper and lower case" in out
    assert "(for example A and a)" in out


def test_a_workspace_that_cannot_be_written_is_said_without_a_traceback(run, tiny, tmp_path):
    """A file where the workspace's folder should be (or a read-only disk): the machine's
    refusal in words with what to do, exit 2; it was a traceback asking to report a bug."""
    (tmp_path / "afile").write_text("")
    code, out, err = run("ingest", tiny, "--workspace", tmp_path / "afile" / "ws")
    assert code == 2
    assert "a file stands where a folder is needed. Nothing was changed there." in err
    assert "Traceback" not in err and "bug" not in err
