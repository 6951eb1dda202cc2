"""Ingestion of good input: canonical tables, links, CRS, report, workspace."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Polygon

from risk.contract import MATERIALS, DataContractError, Findings
from risk.ingest import read_utility, warn_outside_soils
from risk.link import link_to_pipes, unlink_by_date
from risk.report import records_complete_from
from risk.workspace import load_workspace, write_workspace


def test_tiny_folder_is_read_into_canonical_tables(tiny):
    data = read_utility(tiny)
    pipes = data.pipes
    assert isinstance(pipes, gpd.GeoDataFrame) and data.has_geometry
    assert len(pipes) == 16 and pipes["pipe_id"].is_unique
    assert set(pipes["material"]) <= set(MATERIALS)
    assert pipes.set_index("pipe_id").loc["P-0001", "material"] == "cast_iron"  # "FONTE"
    assert pipes.set_index("pipe_id").loc["P-0007", "material"] == "ductile_iron"
    assert pipes.set_index("pipe_id").loc["P-0010", "material"] == "unknown"  # "ZZ"
    assert pipes["lined"].sum() == 1  # "oui"
    # lon/lat input is reprojected to a projected CRS in metres; 100 m blocks
    assert data.crs == "EPSG:32631"
    assert pipes["length_m"].between(99, 101).all()
    assert str(pipes["install_year"].dtype) == "Int64"


def test_breaks_link_by_id_then_by_location_and_none_is_dropped(tiny):
    data = read_utility(tiny)
    breaks = data.breaks.set_index("break_id")
    assert len(breaks) == 9  # every record kept, linked or not
    assert breaks.loc["B0000001", "pipe_id"] == "P-0001"
    assert breaks.loc["B0000001", "link_method"] == "pipe_id"
    located = breaks.loc["B0000007"]
    assert located["link_method"] == "nearest"
    assert located["pipe_id"] == "P-0005"
    assert located["link_distance_m"] == pytest.approx(2.0, abs=0.01)
    assert breaks.loc["B0000008", "pipe_id"] == "P-0010"
    assert pd.isna(breaks.loc["B0000009", "pipe_id"])
    assert breaks.loc["B0000009", "unlinked_reason"] == "not_in_inventory"
    assert breaks.loc["B0000009", "reported_pipe_id"] == "P-9999"
    assert len(data.linked_breaks) == 8


def test_link_tolerance_is_respected(tiny):
    data = read_utility(tiny, link_tolerance_m=1.5)
    breaks = data.breaks.set_index("break_id")
    assert breaks.loc["B0000007", "unlinked_reason"] == "too_far"  # 2 m away
    assert breaks.loc["B0000008", "pipe_id"] == "P-0010"  # 1 m away


def test_optional_layers_are_read_and_reprojected(tiny):
    data = read_utility(tiny)
    assert data.soils.crs == data.pipes.crs  # soils came in Lambert-93
    assert {"alea_argile", "corrosivite", "ph"} <= set(data.soils.columns)
    assert data.weather_frequency == "monthly"
    assert "source" not in data.weather  # text column dropped, with a warning
    assert data.welds["pipe_id"].tolist() == ["P-0005", "P-0005", "P-0014", "P-0014"]
    codes = {w["code"] for w in data.meta["report"]["warnings"]}
    assert {"unknown_material", "dropped_columns", "outside_soils"} <= codes


def test_missing_optional_layers_are_fine(tiny):
    for name in ("soils.geojson", "weather.csv", "welds.csv", "breaks.csv"):
        (tiny / name).unlink()
    data = read_utility(tiny)
    assert data.soils is None and data.weather is None and data.welds is None
    assert len(data.breaks) == 0 and "pipe_id" in data.breaks


def test_attribute_only_inventory_with_mapping(attribute_only):
    data = read_utility(attribute_only)  # mapping.toml inside the folder is used
    assert not data.has_geometry and data.crs is None
    pipes = data.pipes.set_index("pipe_id")
    assert list(pipes.index) == ["101", "102", "103", "104", "105", "106"]
    assert pipes.loc["102", "install_year"] == 1962  # from "6/1/1962 12:00:00 AM"
    assert pipes.loc["105", "material"] == "unknown"
    assert "Condition Score" not in data.pipes  # unmapped columns never reach the model
    breaks = data.breaks.set_index("break_id")
    assert len(breaks) == 5  # the SERVICE row is left out by the keep rule, and reported
    assert breaks.loc["B0000005", "unlinked_reason"] == "before_install"  # 1940 on a 1978 pipe
    report = data.meta["report"]
    assert report["breaks"]["unlinked_by_reason"] == {"before_install": 1}
    assert any(w["code"] == "kept_out" for w in report["warnings"])


def test_breaks_and_welds_need_a_pipe_id_or_a_location(tiny):
    (tiny / "breaks.csv").write_text("date,note\n2015-02-03,a\n", encoding="utf-8")
    (tiny / "welds.csv").write_text("weld_id,kind\nW1,weld\n", encoding="utf-8")
    with pytest.raises(DataContractError) as raised:
        read_utility(tiny)
    missing = {p.layer: p for p in raised.value.problems if p.code == "missing_columns"}
    assert set(missing) == {"breaks", "welds"}
    assert missing["welds"].message == (
        "welds need a pipe_id column or a location (geometry, or x and y columns)"
    )
    assert missing["breaks"].fix == (
        'Map your pipe reference column: [breaks.columns] pipe_id = "YOUR_COLUMN"'
    )


def test_unknown_material_warning_counts_codes(attribute_only):
    report = read_utility(attribute_only).meta["report"]
    (warning,) = [w for w in report["warnings"] if w["code"] == "unknown_material"]
    assert "'XX9' (1)" in warning["message"] and warning["rows"] == [5]


def test_workspace_round_trip(tiny, tmp_path):
    data = read_utility(tiny)
    out = write_workspace(data, tmp_path / "ws")
    assert sorted(p.name for p in out.iterdir()) == [
        ".ingest.lock",
        "inventory",
        "meta.json",
        "report.md",
    ]
    assert sorted(p.name for p in (out / "inventory" / "v0001").iterdir()) == [
        "breaks.parquet",
        "known_pipes.parquet",
        "meta.json",
        "pipes.parquet",
        "report.json",
        "report.md",
        "soils.parquet",
        "weather.parquet",
        "welds.parquet",
    ]
    back = load_workspace(out)
    assert back.crs == data.crs
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.pipes.drop(columns="geometry")),
        pd.DataFrame(data.pipes.drop(columns="geometry")),
    )
    assert back.breaks["pipe_id"].tolist() == data.breaks["pipe_id"].tolist()
    assert json.loads((out / "meta.json").read_text())["fingerprint"] == data.meta["fingerprint"]


def test_rewriting_a_workspace_makes_a_new_inventory_version(tiny, tmp_path):
    out = write_workspace(read_utility(tiny), tmp_path / "ws")
    (tiny / "welds.csv").unlink()
    write_workspace(read_utility(tiny), out)
    assert load_workspace(out).welds is None
    assert json.loads((out / "meta.json").read_text())["inventory_version"] == "v0002"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert [p.name for p in (out / "inventory").iterdir() if p.name.startswith(".")] == []


def test_records_complete_from_finds_the_start_of_systematic_recording():
    counts = pd.Series({1985: 3, 1987: 2, 1996: 1, 1997: 99, 1998: 106, 2005: 60, 2010: 120})
    assert records_complete_from(counts) == 1997
    assert records_complete_from(pd.Series(dtype=int)) is None
    growing = pd.Series({2000: 256, 2001: 362, 2002: 307, 2003: 509, 2004: 400, 2010: 900})
    assert records_complete_from(growing) == 2000


def test_columns_outside_the_contract_are_listed_as_not_read(attribute_only):
    report = read_utility(attribute_only).meta["report"]
    assert report["ignored_columns"]["pipes"] == ["Condition Score"]


def test_numeric_weather_columns_are_features_not_columns_not_read(tiny):
    """Every numeric weather column becomes a feature (``weather_<column>_mean``): only the
    others (here a text column) are listed as not read."""
    report = read_utility(tiny).meta["report"]
    assert report["ignored_columns"]["weather"] == ["source"]


def test_cli_json_output_is_parseable(run, attribute_only, tmp_path):
    code, out, err = run("ingest", attribute_only, "--workspace", tmp_path / "ws", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["ok"] and summary["report"]["pipes"]["count"] == 6
    assert (tmp_path / "ws" / "report.md").read_text().startswith("# Data-quality report")


def test_cli_json_output_on_bad_input_lists_problems(run, attribute_only, tmp_path):
    (attribute_only / "mains.csv").write_text("ID,MAT\n1,CI\n")
    code, out, _ = run("ingest", attribute_only, "--workspace", tmp_path / "ws", "--json")
    assert code == 2
    problems = json.loads(out)["problems"]
    assert problems[0]["code"] == "missing_columns" and problems[0]["file"].endswith("mains.csv")


def test_pipes_outside_every_soil_polygon_are_listed():
    lines = {
        "inside": LineString([(1, 1), (5, 1)]),
        "partly_inside": LineString([(5, 5), (15, 5)]),
        "outside": LineString([(20, 20), (30, 20)]),
        "no_geometry": None,
        "empty": LineString(),
        "outside_too": LineString([(-5, -5), (-1, -5)]),
    }
    pipes = gpd.GeoDataFrame(
        {"pipe_id": pd.array(list(lines), dtype="string"), "_row": range(1, 7)},
        geometry=list(lines.values()),
        index=range(10, 16),
        crs="EPSG:2154",
    )
    soils = gpd.GeoDataFrame(
        geometry=[Polygon([(0, 0), (10, 0), (10, 10), (0, 10)])], crs="EPSG:2154"
    )
    findings = Findings()
    warn_outside_soils(pipes, soils, "soils.gpkg", findings)
    [problem] = findings.problems
    assert problem.code == "outside_soils" and problem.rows == (3, 6)
    assert problem.message.startswith(
        "2 of 4 pipes are outside every soil polygon (for example outside, outside_too)"
    )
    findings = Findings()
    warn_outside_soils(pipes.iloc[:2], soils, "soils.gpkg", findings)
    assert findings.problems == []


def test_link_by_pipe_id_then_unlink_by_date():
    records = pd.DataFrame(
        {"reported_pipe_id": pd.array(["P1", None, "P9", "P2", "P3", "X"], dtype="string")},
        index=range(5, 11),
    )
    pipes = pd.DataFrame(
        {
            "pipe_id": pd.array(["P1", "P2", "P3"], dtype="string"),
            "install_year": pd.array([1950, 2000, None], dtype="Int64"),
            "removed_year": pd.array([None, 2010, None], dtype="Int64"),
        }
    )
    links = link_to_pipes(records, pipes, tolerance_m=5.0, excluded_ids={"X"})
    assert links["pipe_id"].tolist() == ["P1", pd.NA, pd.NA, "P2", "P3", pd.NA]
    linked = ["pipe_id", "unlinked", "unlinked", "pipe_id", "pipe_id", "unlinked"]
    assert links["link_method"].tolist() == linked
    assert links["unlinked_reason"].tolist() == [
        pd.NA,
        "no_location",
        "not_in_inventory",
        pd.NA,
        pd.NA,
        "excluded_pipe",
    ]
    dates = pd.Series(
        pd.to_datetime(
            ["1940-06-01", "2000-01-01", "2000-01-01", "2015-01-01", None, "2000-01-01"]
        ),
        index=records.index,
    )
    links = unlink_by_date(links, dates, pipes)
    assert links["pipe_id"].isna().all()
    assert links["unlinked_reason"].tolist() == [
        "before_install",
        "no_location",
        "not_in_inventory",
        "after_removal",
        "no_date",
        "excluded_pipe",
    ]
    dates[:] = pd.Timestamp("2005-01-01")
    kept = unlink_by_date(link_to_pipes(records, pipes, tolerance_m=5.0), dates, pipes)
    assert kept["pipe_id"].tolist() == ["P1", pd.NA, pd.NA, "P2", "P3", pd.NA]


def test_dates_with_utc_offsets_keep_the_day_they_happened(tiny):
    """A database export writes local times with their offset, +01:00 in winter and +02:00
    in summer: the break keeps the day written, never the UTC day before."""
    breaks = pd.read_csv(tiny / "breaks.csv")
    days = pd.to_datetime(breaks["date"])
    offsets = ["+01:00", "+02:00", "Z", "-0500"]
    breaks["date"] = [
        f"{d:%Y-%m-%d}T00:30:00{offsets[i % len(offsets)]}" for i, d in enumerate(days)
    ]
    breaks.to_csv(tiny / "breaks.csv", index=False)
    data = read_utility(tiny)
    assert data.breaks["date"].tolist() == days.tolist()


def test_year_columns_of_numbers_text_or_dates_give_the_same_years():
    from risk.mapping import LayerMapping
    from risk.validate import parse_years

    lm = LayerMapping()
    expected = pd.array([1937, pd.NA, 2001], dtype="Int64")
    for raw in (
        pd.array([1937, pd.NA, 2001], dtype="Int64"),
        np.array([1937.0, np.nan, 2001.0]),
        pd.array(["1937", None, " 2001 "], dtype="string"),
        pd.to_datetime(["1937-05-01", None, "2001-12-31"]),
    ):
        table = pd.DataFrame({"install_year": raw, "_row": [2, 3, 4]})
        findings = Findings()
        years = parse_years(table, "install_year", "pipes", "pipes.csv", lm, findings)
        assert list(years.array) == list(expected) and findings.problems == []
    # numbers that are not whole years are read as the text would be
    results = []
    for raw in (np.array([1937.5, 2001.0, np.nan]), pd.array(["1937.5", "2001", None])):
        table = pd.DataFrame({"install_year": raw, "_row": [2, 3, 4]})
        results.append(parse_years(table, "install_year", "pipes", "p.csv", lm, Findings()))
    pd.testing.assert_series_equal(results[0], results[1])
    # text that is neither a year nor a date is reported with its row
    table = pd.DataFrame({"install_year": ["abc", "2001", None], "_row": [2, 3, 4]})
    findings = Findings()
    parse_years(table, "install_year", "pipes", "pipes.csv", lm, findings)
    assert [p.rows for p in findings.problems] == [(2,)]


def test_a_year_with_records_missing_is_named_and_left_out_of_training(tiny):
    from risk.model import build_panel, gap_years_of
    from risk.report import render_markdown

    rows = []
    for year in range(2005, 2021):
        for k in range(60):  # five a month
            month = k % 12 + 1
            if (year == 2012 and k >= 6) or (year == 2016 and month in (3, 4, 5)):
                continue  # 2012: 6 records; 2016: nothing from March to May
            rows.append(f"{year}-{month:02d}-{k // 12 + 1:02d},P-{k % 16 + 1:04d},,")
    rows += [f"2011-{m:02d}-20,P-0001,," for m in range(1, 13)]  # 2011: a busier year, not a gap
    (tiny / "breaks.csv").write_text("date,pipe_id,x,y\n" + "\n".join(rows) + "\n")
    data = read_utility(tiny)
    assert gap_years_of(data) == [2012, 2016]
    warnings = {w["code"]: w for w in data.meta["report"]["warnings"]}
    gaps = [w["message"] for w in data.meta["report"]["warnings"] if w["code"] == "gap_year"]
    assert "2012: 6 records against about 60 in the years around it" in gaps[0]
    assert "2016: no break recorded in March, April, May" in gaps[1]
    assert "out of its training" in warnings["gap_year"]["fix"]
    page = render_markdown(data.meta["report"])
    assert "**2012**" in page and "**2016**" in page
    panel = build_panel(data, "2021-01-01", panel_years=9, statistical_prior=False, verbose=False)
    years = sorted({pd.Timestamp(d).year for d in np.unique(panel.panel_date)})
    assert years == [2013, 2014, 2015, 2017, 2018, 2019, 2020]  # 2012 and 2016 left out


def test_a_calm_year_and_the_last_partial_year_are_not_gaps():
    from risk.report import record_gap_years

    def dates(per_year: dict) -> pd.Series:
        return pd.Series(
            pd.to_datetime(
                [f"{y}-{k % 12 + 1:02d}-10" for y, n in per_year.items() for k in range(n)]
            )
        )

    # Kitchener's counts around its mild winter of 2011-2012 (59 against about 125)
    kitchener = {2009: 100, 2010: 110, 2011: 151, 2012: 59, 2013: 108, 2014: 142, 2015: 140}
    assert record_gap_years(dates(kitchener), 2009) == {}
    assert record_gap_years(dates({2010: 100, 2011: 100, 2012: 100, 2013: 3}), 2010) == {}
    assert list(record_gap_years(dates({2010: 100, 2011: 100, 2012: 3, 2013: 100}), 2010)) == [2012]


def test_material_codes_of_french_and_english_exports_need_no_mapping(tiny):
    pipes = gpd.read_file(tiny / "pipes.geojson")
    codes = ["FTG", "ftd", "AMC", "Fonte ductile", "CICL", "DICL", "MSCL", "PVC-O", "ZZ"]
    pipes.loc[: len(codes) - 1, "material"] = codes
    (tiny / "pipes.geojson").unlink()
    pipes.to_file(tiny / "pipes.geojson", driver="GeoJSON")
    read = read_utility(tiny).pipes.set_index("pipe_id")["material"]
    assert read.loc[pipes["pipe_id"][: len(codes)]].tolist() == [
        "cast_iron", "ductile_iron", "asbestos_cement", "ductile_iron", "cast_iron",
        "ductile_iron", "steel", "pvc", "unknown",
    ]  # fmt: skip
