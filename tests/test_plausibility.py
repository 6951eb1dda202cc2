"""Exports that look fine but are not: CRS that does not fit the coordinates, stub segments,
duplicated breaks, placeholder dates, weather sentinels and gaps."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import LineString

from risk.contract import DataContractError, Findings
from risk.ingest import read_utility
from risk.model import inspection_rank
from risk.plausibility import check_weather
from risk.workspace import load_workspace

#: Lambert-93 in US survey feet, as a State Plane CRS is.
FEET = CRS.from_proj4(
    "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 "
    "+ellps=GRS80 +units=us-ft +no_defs"
)


def _pipes(tiny):
    return gpd.read_file(tiny / "pipes.geojson")


def _write_pipes(tiny, pipes):
    (tiny / "pipes.geojson").unlink()
    pipes.to_file(tiny / "pipes.geojson", driver="GeoJSON")


def _fails(run, folder, workspace, *args):
    code, out, err = run("ingest", folder, "--workspace", workspace, *args)
    assert code == 2, out + err
    assert not workspace.exists(), "nothing may be written"
    return err


def test_metres_labelled_as_degrees_are_refused_naming_the_crs_that_fits(run, tiny, tmp_path):
    pipes = _pipes(tiny).to_crs("EPSG:2154").set_crs("EPSG:4326", allow_override=True)
    _write_pipes(tiny, pipes)
    err = _fails(run, tiny, tmp_path / "ws")
    assert "pipes.geojson" in err and "declares EPSG:4326" in err
    assert "outside that CRS's area of use" in err
    assert "EPSG:2154" in err and "the CRS of soils" in err  # the CRS that fits
    assert "Set CRS" in err


def test_degrees_labelled_as_a_national_grid_are_refused(run, tiny, tmp_path):
    soils = gpd.read_file(tiny / "soils.geojson").to_crs("EPSG:4326")
    soils = soils.set_crs("EPSG:2154", allow_override=True)
    (tiny / "soils.geojson").unlink()
    soils.to_file(tiny / "soils.geojson", driver="GeoJSON")
    err = _fails(run, tiny, tmp_path / "ws")
    assert "soils.geojson" in err and "declares EPSG:2154" in err
    assert "EPSG:4326 (longitude/latitude in degrees)" in err


def test_x_and_y_exchanged_are_named_with_the_fix(run, tiny, tmp_path):
    """A layer exported northing first: refused, saying the axes are swapped and how to
    swap them back, not only that the CRS is wrong."""
    soils = gpd.read_file(tiny / "soils.geojson")
    soils["geometry"] = shapely.transform(soils.geometry.values, lambda xy: xy[:, ::-1])
    (tiny / "soils.geojson").unlink()
    soils.to_file(tiny / "soils.geojson", driver="GeoJSON")
    err = _fails(run, tiny, tmp_path / "ws")
    assert "soils.geojson" in err and "with x and y exchanged" in err
    assert "Swap X and Y coordinates" in err


def test_a_crs_in_feet_is_worked_in_metres(tiny):
    """Pipes in a projected CRS in US survey feet (a State Plane export): lengths, link
    tolerances and radii stay in metres, so the network keeps its length; the declared CRS
    is kept for the coordinates of the utility's other files (network.inp, valves)."""
    in_degrees = read_utility(tiny).pipes
    _pipes(tiny).to_crs(FEET).to_file(tiny / "pipes.gpkg", driver="GPKG")
    (tiny / "pipes.geojson").unlink()
    data = read_utility(tiny)
    assert data.pipes.crs.axis_info[0].unit_name == "metre"
    assert data.pipes["length_m"].sum() == pytest.approx(in_degrees["length_m"].sum(), rel=0.005)
    assert (
        data.breaks["pipe_id"].notna().sum() == read_utility(tiny).breaks["pipe_id"].notna().sum()
    )
    assert CRS(data.meta["pipes_source_crs"]).axis_info[0].unit_name == "US survey foot"


def test_a_shapefile_without_prj_and_unmapped_columns_reports_both(run, tiny, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    pipes = _pipes(tiny).rename(
        columns={
            "pipe_id": "ID_TRONCON",
            "install_year": "POSE",
            "diameter_mm": "DN",
            "pressure_zone": "ZONE",
        }
    )
    pipes.to_file(folder / "pipes.shp")
    (folder / "pipes.prj").unlink()
    err = _fails(run, folder, tmp_path / "ws")
    assert "missing required columns ['pipe_id', 'diameter_mm', 'install_year']" in err
    assert "no coordinate reference system" in err and ".prj" in err


def _with_stubs(tiny):
    pipes = _pipes(tiny).to_crs("EPSG:2154")
    first = pipes.geometry.iloc[0]
    end = first.coords[-1]
    stubs = gpd.GeoDataFrame(
        {
            "pipe_id": ["STUB-0", "STUB-1CM"],
            "material": "FONTE",
            "diameter_mm": 100,
            "install_year": 1931,
        },
        geometry=[LineString([end, end]), LineString([end, (end[0] + 0.01, end[1])])],
        crs="EPSG:2154",
    )
    both = pd.concat([pipes, stubs], ignore_index=True).to_crs("EPSG:4326")
    _write_pipes(tiny, gpd.GeoDataFrame(both, crs="EPSG:4326"))
    breaks = pd.read_csv(tiny / "breaks.csv")
    extra = pd.DataFrame({"date": ["2020-03-03"], "pipe_id": ["STUB-1CM"]})
    pd.concat([breaks, extra]).to_csv(tiny / "breaks.csv", index=False)


def test_short_segments_are_warned_about_and_kept_by_default(tiny):
    _with_stubs(tiny)
    data = read_utility(tiny, repair_geometry=True)
    (warning,) = [w for w in data.meta["report"]["warnings"] if w["code"] == "short_segments"]
    assert "shorter than 1 m" in warning["message"] and "STUB-1CM" in warning["message"]
    assert "short_segments" in warning["fix"] and len(warning["rows"]) == 2
    assert {"STUB-0", "STUB-1CM"} <= set(data.pipes["pipe_id"])


def test_short_segments_can_be_merged_and_their_breaks_follow(tiny):
    _with_stubs(tiny)
    (tiny / "mapping.toml").write_text(
        '[breaks]\ncrs = "EPSG:2154"\n[pipes]\nshort_segments = "merge"\n'
    )
    data = read_utility(tiny, repair_geometry=True)
    assert not {"STUB-0", "STUB-1CM"} & set(data.pipes["pipe_id"])
    moved = data.breaks[data.breaks["reported_pipe_id"] == "P-0001"]
    assert pd.Timestamp("2020-03-03") in set(moved["date"])  # the stub's break, now on P-0001
    message = " ".join(w["message"] for w in data.meta["report"]["warnings"])
    assert "were merged into the neighbour" in message


def test_short_segments_can_be_dropped(tiny):
    _with_stubs(tiny)
    (tiny / "mapping.toml").write_text(
        '[breaks]\ncrs = "EPSG:2154"\n[pipes]\nshort_segments = "drop"\nmin_length_m = 0.5\n'
    )
    data = read_utility(tiny, repair_geometry=True)
    assert not {"STUB-0", "STUB-1CM"} & set(data.pipes["pipe_id"])
    assert len(data.pipes) == 16


def test_a_stub_never_ranks_first_for_being_short():
    ids = pd.Index(["zero", "one_cm", "normal", "long"])
    rate = pd.Series([50.0, 40.0, 3.0, 2.0], index=ids)  # stubs get absurd rates per km
    length = pd.Series([0.0, 0.01, 80.0, 300.0], index=ids)
    expected = rate * np.maximum(length, 1.0) / 1000
    rank = inspection_rank(rate, expected, length_m=length)
    assert dict(zip(ids, rank, strict=False)) == {"normal": 1, "long": 2, "one_cm": 3, "zero": 4}
    assert list(inspection_rank(rate, expected)) == [1, 2, 3, 4]  # without lengths: by rate


def test_duplicated_break_rows_are_reported_and_dropped(run, tiny, tmp_path):
    breaks = pd.read_csv(tiny / "breaks.csv")
    pd.concat([breaks, breaks.iloc[[0, 0, 3]]]).to_csv(tiny / "breaks.csv", index=False)
    code, out, err = run("ingest", tiny, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "3 break rows repeat an earlier row exactly (first: 2015-02-03 on pipe P-0001)" in out
    assert len(load_workspace(tmp_path / "ws").breaks) == len(breaks)
    (tiny / "mapping.toml").write_text('[breaks]\ncrs = "EPSG:2154"\nduplicates = "keep"\n')
    kept = read_utility(tiny).breaks
    assert len(kept) == len(breaks) + 3


def test_a_break_located_far_from_the_pipe_its_id_names_is_pointed_out(tiny):
    """A break with both a pipe_id and a location 500 m away from that pipe: a mistyped id
    or a shifted point. It stays linked by its id, and the report names it."""
    breaks = pd.read_csv(tiny / "breaks.csv")
    near = read_utility(tiny).breaks.query("link_method == 'nearest'").iloc[0]
    pipe = near["pipe_id"]  # located 2 m from it (test_ingest)
    odd = pd.DataFrame(
        {"date": ["2023-05-06"], "pipe_id": [pipe], "x": [842_650.0], "y": [6_519_102.0]}
    )
    pd.concat([breaks, odd]).to_csv(tiny / "breaks.csv", index=False)
    data = read_utility(tiny)
    row = data.breaks[data.breaks["date"] == pd.Timestamp("2023-05-06")].iloc[0]
    assert row["pipe_id"] == pipe and row["link_method"] == "pipe_id"
    assert row["link_distance_m"] > 400
    (warning,) = [w for w in data.meta["report"]["warnings"] if w["code"] == "far_from_named_pipe"]
    assert (
        "1 of 10 breaks is located more than 100 m from the pipe their pipe_id names"
        in (warning["message"])
    )
    assert f"from {pipe}" in warning["message"] and warning["rows"] == [10]


def test_a_pipe_of_a_material_laid_before_its_time_is_named_and_kept(tiny):
    """PVC laid in 1904 (as in Kitchener's export): the material or the year is wrong."""
    pipes = _pipes(tiny)
    assert pipes.loc[2, "material"] == "PVC"
    pipes.loc[2, "install_year"] = 1904
    _write_pipes(tiny, pipes)
    data = read_utility(tiny)
    assert data.pipes.loc[data.pipes["pipe_id"] == "P-0003", "install_year"].item() == 1904
    (warning,) = [
        w for w in data.meta["report"]["warnings"] if w["code"] == "material_before_its_time"
    ]
    assert warning["message"].startswith(
        "1 pipe is of a material laid before water mains were made of it (1 PVC before 1950; "
        "for example P-0003: PVC laid in 1904)"
    )
    assert warning["rows"] == [3]


def test_a_pipe_drawn_twice_is_named_and_kept(tiny):
    pipes = _pipes(tiny)
    twin = pipes.iloc[[0]].copy()
    twin["pipe_id"] = "P-TWIN"
    twin["geometry"] = shapely.reverse(twin.geometry.values)  # the same line, drawn backwards
    _write_pipes(tiny, pd.concat([pipes, twin], ignore_index=True))
    data = read_utility(tiny)
    assert {"P-0001", "P-TWIN"} <= set(data.pipes["pipe_id"])
    (warning,) = [w for w in data.meta["report"]["warnings"] if w["code"] == "duplicate_geometry"]
    assert "2 pipes have exactly the same line" in warning["message"]
    assert "P-0001 and P-TWIN" in warning["message"] and warning["rows"] == [1, 17]


@pytest.mark.parametrize("placeholder", ["1850-06-01", "1899-12-30", "1900-01-01", "1970-01-01"])
def test_placeholder_and_ancient_break_dates_are_reported_and_never_linked(tiny, placeholder):
    breaks = pd.read_csv(tiny / "breaks.csv")
    odd = pd.DataFrame({"date": [placeholder], "pipe_id": ["P-0003"]})
    pd.concat([breaks, odd]).to_csv(tiny / "breaks.csv", index=False)
    data = read_utility(tiny)
    row = data.breaks[data.breaks["date"] == pd.Timestamp(placeholder)]
    assert len(row) == 1 and row["pipe_id"].isna().all()  # kept, not linked
    assert row["unlinked_reason"].iloc[0] == "implausible_date"
    (warning,) = [
        w for w in data.meta["report"]["warnings"] if w["code"].endswith("implausible_date")
    ]
    assert "placeholder" in warning["message"] and warning["rows"] == [10]


def test_a_break_dated_after_today_is_kept_unlinked_and_makes_no_gap(tiny, monkeypatch):
    """A mistyped year (2031 for 2013) is named with its date in plain digits, kept, never
    linked, and does not stretch the record: no empty years up to 2031."""
    monkeypatch.setenv("RISK_TODAY", "2026-12-01")
    breaks = pd.read_csv(tiny / "breaks.csv")
    odd = pd.DataFrame({"date": ["2031-03-04"], "pipe_id": ["P-0003"]})
    pd.concat([breaks, odd]).to_csv(tiny / "breaks.csv", index=False)
    data = read_utility(tiny)
    row = data.breaks[data.breaks["date"] == pd.Timestamp("2031-03-04")]
    assert len(row) == 1 and row["pipe_id"].isna().all()
    assert row["unlinked_reason"].iloc[0] == "future_date"
    (warning,) = [w for w in data.meta["report"]["warnings"] if "future_date" in w["code"]]
    assert "dated after today" in warning["message"] and "2031-03-04" in warning["message"]
    assert "datetime" not in json.dumps(data.meta["report"]) and warning["rows"] == [10]
    summary = data.meta["report"]["breaks"]
    assert "2031" not in summary["count_by_year"] and summary["gap_years"] == {}


def test_weather_sentinels_become_missing_and_gaps_are_reported(tiny):
    weather = pd.read_csv(tiny / "weather.csv", dtype={"precip_mm": float})
    weather.loc[5, "tmin_c"] = -9999
    weather.loc[6, "precip_mm"] = -999.9
    weather.loc[7, "tmax_c"] = 412.0  # not a temperature
    weather = weather[pd.to_datetime(weather["date"]).dt.year != 2016]  # a missing year
    weather.to_csv(tiny / "weather.csv", index=False)
    data = read_utility(tiny)
    assert (
        not data.weather[["tmin_c", "tmax_c", "precip_mm"]].isin([-9999, -999.9, 412]).any().any()
    )
    assert data.weather[["tmin_c", "precip_mm", "tmax_c"]].isna().sum().tolist() == [1, 1, 1]
    warnings = {w["code"]: w for w in data.meta["report"]["warnings"]}
    sentinels = [w for w in data.meta["report"]["warnings"] if w["code"] == "sentinel_values"]
    assert "column 'tmin_c': 1 values are 'no data' codes (-9999)" in sentinels[0]["message"]
    assert sentinels[0]["rows"] == [6] and "-999.9" in sentinels[1]["message"]
    assert "no rows in 2016" in warnings["weather_gaps"]["message"]
    assert "412" in json.dumps(warnings["implausible_value"])


def test_weather_station_ids_written_otherwise_are_pointed_out():
    weather = pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-02", "2020-01-02"]),
            "station_id": ["st01", "st02", "st01", "st02"],
            "tmin_c": [1.0, 2.0, 0.5, 1.5],
            "_row": [1, 2, 3, 4],
        }
    )
    findings = Findings()
    check_weather(weather, "weather.csv", findings, station_ids=pd.Series(["ST01", "ST02"]))
    (unknown,) = [p for p in findings.problems if p.code == "unknown_station"]
    assert "2 of them match a station_id once written alike" in unknown.message
    assert "'st01' and 'ST01'" in unknown.message


def test_weather_missing_values_of_the_mapping_are_treated_as_missing(tiny):
    weather = pd.read_csv(tiny / "weather.csv")
    weather.loc[2, "precip_mm"] = 8888
    weather.to_csv(tiny / "weather.csv", index=False)
    (tiny / "mapping.toml").write_text(
        '[breaks]\ncrs = "EPSG:2154"\n[weather]\nmissing_values = [8888]\n'
    )
    data = read_utility(tiny)
    assert np.isnan(data.weather["precip_mm"].iloc[2])


def test_a_weather_column_stuck_on_one_value_for_years_is_reported(tiny):
    weather = pd.read_csv(tiny / "weather.csv", dtype={"precip_mm": float})
    weather.loc[len(weather) - 36 :, "precip_mm"] = 0.0  # the last three years: a dead gauge
    weather.to_csv(tiny / "weather.csv", index=False)
    data = read_utility(tiny)
    (stuck,) = [w for w in data.meta["report"]["warnings"] if w["code"] == "stuck_values"]
    assert "column 'precip_mm' holds the same value (0)" in stuck["message"]
    assert "(36 rows)" in stuck["message"] and "[weather] drop" in stuck["fix"]


def test_a_few_locations_exported_as_zeros_are_reported_and_treated_as_missing(tiny):
    breaks = pd.read_csv(tiny / "breaks.csv")
    zero = pd.DataFrame({"date": ["2021-06-01"], "pipe_id": [None], "x": [0.0], "y": [0.0]})
    pd.concat([breaks, zero]).to_csv(tiny / "breaks.csv", index=False)
    data = read_utility(tiny)
    (warning,) = [w for w in data.meta["report"]["warnings"] if w["code"] == "outside_crs_area"]
    assert "1 of 3 geometries lie far outside" in warning["message"] and warning["rows"] == [10]
    row = data.breaks.iloc[-1]
    assert row["unlinked_reason"] == "no_location" and pd.isna(row["pipe_id"])
    assert np.isfinite(data.breaks.geometry.dropna().total_bounds).all()


def test_temperatures_in_fahrenheit_are_refused_with_the_mapping_key_that_converts_them(tiny):
    weather = pd.read_csv(tiny / "weather.csv")
    celsius = weather[["tmin_c", "tmax_c"]].copy()
    weather[["tmin_c", "tmax_c"]] = celsius * 9 / 5 + 32  # Fahrenheit under Celsius names
    weather.to_csv(tiny / "weather.csv", index=False)
    with pytest.raises(DataContractError) as refused:
        read_utility(tiny)
    refusals = [p for p in refused.value.problems if p.code == "unit_suspect"]
    assert [p.message.split(":")[0] for p in refusals] == ["column 'tmin_c'", "column 'tmax_c'"]
    problem = refusals[1]
    assert "seem to be in °F" in problem.message
    assert 'temperature_unit = "fahrenheit" under [weather]' in problem.fix
    # the fix works: every temperature column converted to °C, nothing else touched
    mapping = tiny / "mapping.toml"
    mapping.write_text(mapping.read_text() + '\n[weather]\ntemperature_unit = "fahrenheit"\n')
    data = read_utility(tiny)
    assert np.allclose(data.weather[["tmin_c", "tmax_c"]], celsius, atol=1e-9)
    assert not [w for w in data.meta["report"]["warnings"] if w["code"] == "unit_suspect"]


def test_temperatures_in_tenths_of_a_degree_are_named_as_such(tiny):
    weather = pd.read_csv(tiny / "weather.csv")
    weather["tmax_c"] = weather["tmax_c"] * 10  # as GHCN writes them
    weather.to_csv(tiny / "weather.csv", index=False)
    with pytest.raises(DataContractError) as refused:
        read_utility(tiny)
    (problem,) = [p for p in refused.value.problems if p.code == "unit_suspect"]
    assert "tenths of a degree" in problem.message
    assert 'temperature_unit = "tenths_celsius"' in problem.fix


def test_precipitation_in_another_unit_is_reported_and_kept(tiny):
    weather = pd.read_csv(tiny / "weather.csv")
    weather["precip_mm"] = weather["precip_mm"] * 100.0  # hundredths of a millimetre
    weather.to_csv(tiny / "weather.csv", index=False)
    data = read_utility(tiny)
    (warning,) = [w for w in data.meta["report"]["warnings"] if w["code"] == "unit_suspect"]
    assert "column 'precip_mm'" in warning["message"] and "another unit" in warning["message"]
    assert "for example 4500, 5000" in warning["message"]  # plain numbers, not a list
    assert data.weather["precip_mm"].notna().all()  # kept: the dry-summer index is relative


def test_break_ids_written_otherwise_than_the_inventory_are_linked_and_named(tiny):
    """'p 0001' for 'P-0001' (a spreadsheet's case, spaces, punctuation or leading zeros):
    each names exactly one pipe, so the break is linked to it, and the report says so; an id
    matching no pipe, even written alike, stays unlinked."""
    clean = read_utility(tiny).breaks
    breaks = pd.read_csv(tiny / "breaks.csv")
    breaks["pipe_id"] = breaks["pipe_id"].str.replace("P-", "p ", regex=False)
    breaks.to_csv(tiny / "breaks.csv", index=False)
    data = read_utility(tiny)
    assert data.breaks["pipe_id"].tolist() == clean["pipe_id"].tolist()  # the same pipes
    by_id = clean["link_method"] == "pipe_id"
    assert (data.breaks.loc[by_id, "link_method"] == "pipe_id_written_otherwise").all()
    assert data.breaks["reported_pipe_id"].iloc[0] == "p 0001"  # the record as exported
    (warning,) = [
        w for w in data.meta["report"]["warnings"] if w["code"] == "pipe_id_written_otherwise"
    ]
    assert warning["message"].startswith(
        "6 of 9 breaks give their pipe_id written otherwise than the inventory (for example "
        "'p 0001' for P-0001"
    )
    assert warning["rows"] == [1, 2, 3, 4, 5, 6]
    (unknown,) = [w for w in data.meta["report"]["warnings"] if "not in" in w["message"]]
    assert "p 9999" in unknown["message"]


def test_break_ids_without_the_inventorys_zero_padding_are_linked(tiny):
    """'P-1' for 'P-0001' (a work-order system that does not pad its numbers): 7 of 9
    breaks stayed unlinked, the loose comparison knowing only zeros at the very start."""
    clean = read_utility(tiny).breaks
    breaks = pd.read_csv(tiny / "breaks.csv")
    breaks["pipe_id"] = breaks["pipe_id"].str.replace(r"P-0*", "P-", regex=True)
    breaks.to_csv(tiny / "breaks.csv", index=False)
    data = read_utility(tiny)
    assert data.breaks["pipe_id"].tolist() == clean["pipe_id"].tolist()
    assert data.breaks["reported_pipe_id"].iloc[0] == "P-1"


def test_a_chance_look_alike_among_ids_the_inventory_lacks_is_not_linked(tiny):
    """Among breaks on pipes since removed (ids the inventory lacks), one id that happens to
    read like an inventory pipe once written alike is not a way of writing ids: it stays
    unlinked, and the report points at the look-alike."""
    breaks = pd.read_csv(tiny / "breaks.csv")
    breaks.loc[0:2, "pipe_id"] = ["OLD-1", "OLD-2", "OLD-3"]
    breaks.loc[3, "pipe_id"] = "p 0006"
    breaks.to_csv(tiny / "breaks.csv", index=False)
    data = read_utility(tiny)
    assert data.breaks["pipe_id"].iloc[:4].isna().all()
    assert "pipe_id_written_otherwise" not in set(data.breaks["link_method"])
    (warning,) = [w for w in data.meta["report"]["warnings"] if "not in" in w["message"]]
    assert (
        "1 of them match a pipe_id once written alike (for example 'p 0006'" in (warning["message"])
    )


def test_breaks_naming_pipes_the_inventory_lacks_linked_by_location_are_named(tiny):
    """An id from another numbering, on a located break: linked to the nearest pipe (the
    contract's rule), and the report says the id was not found."""
    breaks = pd.read_csv(tiny / "breaks.csv")
    breaks.loc[6, "pipe_id"] = "OLD-77"  # the located break of 2021-03-04
    breaks.to_csv(tiny / "breaks.csv", index=False)
    data = read_utility(tiny)
    row = data.breaks[data.breaks["date"] == pd.Timestamp("2021-03-04")].iloc[0]
    assert row["link_method"] == "nearest" and pd.notna(row["pipe_id"])
    (warning,) = [
        w
        for w in data.meta["report"]["warnings"]
        if w["code"] == "not_in_inventory_linked_by_location"
    ]
    assert warning["message"].startswith(
        "1 of 9 breaks give a pipe_id the inventory does not hold (for example 'OLD-77'); "
        "they are linked to the nearest pipe of their location instead"
    )
    assert warning["rows"] == [7]


def test_a_break_record_that_links_to_no_pipe_is_refused(run, tiny, tmp_path):
    breaks = pd.read_csv(tiny / "breaks.csv")
    breaks["pipe_id"] = "K-" + breaks.index.astype(str)  # another numbering, no location
    breaks[["x", "y"]] = np.nan
    breaks.to_csv(tiny / "breaks.csv", index=False)
    err = _fails(run, tiny, tmp_path / "ws")
    assert "breaks.csv: none of the 9 breaks could be linked to a pipe of the inventory" in err
    assert "the model would learn from no failure" in err
    assert "[breaks.columns]" in err  # the fix
    # ... with the ids on both sides in the error itself (it said "the reasons are in the
    # warnings above", which are not printed when an error stops ingest), and every row
    assert "The breaks name pipes such as K-0, K-1, K-2; the inventory's ids read P-0001" in err
    assert "(rows 1, 2, 3, 4, 5 and 4 more)" in err


@pytest.mark.parametrize(("factor", "unit"), [(1 / 25.4, "inches"), (1 / 1000, "metres")])
def test_diameters_in_another_unit_are_refused(run, tiny, tmp_path, factor, unit):
    pipes = _pipes(tiny)
    pipes["diameter_mm"] = (pipes["diameter_mm"] * factor).round(3)
    _write_pipes(tiny, pipes)
    err = _fails(run, tiny, tmp_path / "ws")
    assert f"the column seems to be in {unit}" in err and "pipes.geojson" in err
    assert "Convert the column to millimetres" in err


@pytest.mark.parametrize(("factor", "unit"), [(1 / 1000, "kilometres"), (1 / 0.3048, "feet")])
def test_lengths_in_another_unit_than_the_drawn_lengths_are_refused(
    run, tiny, tmp_path, factor, unit
):
    pipes = _pipes(tiny)
    pipes["length_m"] = (pipes.to_crs("EPSG:2154").length * factor).round(4)
    _write_pipes(tiny, pipes)
    err = _fails(run, tiny, tmp_path / "ws")
    assert f"the column seems to be in {unit}" in err and "pipes.geojson" in err
    assert "Convert the column to metres" in err and "lengths come from the geometry" in err


def test_lengths_in_kilometres_without_geometry_are_refused(run, attribute_only, tmp_path):
    mains = pd.read_csv(attribute_only / "mains.csv")
    mains["LEN"] = mains["LEN"] / 1000
    mains.to_csv(attribute_only / "mains.csv", index=False)
    err = _fails(run, attribute_only, tmp_path / "ws")
    assert "mains.csv" in err and "the median length is 0.1" in err
    assert "seems to be in kilometres" in err and "geometry" not in err


def test_pipe_ids_that_cannot_be_identifiers_are_refused(run, tiny, tmp_path):
    pipes = _pipes(tiny)
    pipes.loc[2, "pipe_id"] = '=HYPERLINK("http://x")'
    _write_pipes(tiny, pipes)
    err = _fails(run, tiny, tmp_path / "ws")
    assert "1 pipe_id values cannot be used as identifiers" in err and "(rows 3)" in err
    assert "runs as a formula" in err and "pipes.geojson" in err


def test_pipes_without_geometry_in_a_drawn_layer_are_named(tiny):
    pipes = _pipes(tiny)
    pipes.loc[[2, 5], "geometry"] = None  # exported without their line
    _write_pipes(tiny, pipes)
    data = read_utility(tiny)
    (warning,) = [w for w in data.meta["report"]["warnings"] if w["code"] == "no_geometry"]
    assert warning["message"].startswith("2 of 16 pipes have no geometry (first: pipe_id 'P-0003')")
    assert "no soil" not in warning["message"] and "a place on the map" in warning["message"]
    assert len(data.pipes) == 16  # kept: scored from their attributes


def test_weld_records_not_linked_are_named_in_words_with_their_ids(tiny):
    welds = pd.read_csv(tiny / "welds.csv")
    welds.loc[:1, "pipe_id"] = ["p 0005", "P-9999"]  # written otherwise; not in the inventory
    welds.to_csv(tiny / "welds.csv", index=False)
    data = read_utility(tiny)
    warning, alike = [w for w in data.meta["report"]["warnings"] if w["layer"] == "welds"]
    assert warning["code"] == "unlinked_not_in_inventory"
    message = warning["message"]
    assert message.startswith("1 of ") and "weld/joint records is not linked" in message
    assert "its pipe_id is not in the pipe inventory" in message and "{" not in message
    assert "(for example P-9999)" in message
    # 'p 0005' names one pipe once written alike: linked, and named
    assert (
        alike["code"] == "pipe_id_written_otherwise" and "'p 0005' for P-0005" in alike["message"]
    )
    assert data.welds["pipe_id"].iloc[0] == "P-0005"


def test_install_years_written_with_two_digits_are_named_as_such(tiny):
    pipes = _pipes(tiny)
    pipes["install_year"] = pipes["install_year"].astype("int64")
    pipes.loc[[1, 3], "install_year"] = pipes.loc[[1, 3], "install_year"] % 100  # 62 for 1962
    _write_pipes(tiny, pipes)
    data = read_utility(tiny)
    (warning,) = [w for w in data.meta["report"]["warnings"] if w["code"] == "implausible_year"]
    assert "written with two digits" in warning["fix"]
    assert data.pipes["install_year"].isna().sum() == 2  # not guessed: 05 may be 1905 or 2005


def test_a_year_column_written_with_two_digits_throughout_is_refused(tiny):
    """Every install year unreadable: it loaded with every age unknown, the cause in the
    report only."""
    pipes = _pipes(tiny)
    pipes["install_year"] = pipes["install_year"] % 100
    _write_pipes(tiny, pipes)
    with pytest.raises(DataContractError) as refused:
        read_utility(tiny)
    text = str(refused.value)
    assert "16 of 16 values of 'install_year' are before 1850 or in the future" in text
    assert "the column is not in years as written" in text and "written with two digits" in text


def test_a_shapefile_without_its_cpg_is_read_in_the_encoding_its_text_is_in(run, tiny, tmp_path):
    """A shapefile exported from Windows without its .cpg (common from older GIS) stopped
    the ingest with "internal error: Invalid UTF8 sequence"; a UTF-8 one is read as UTF-8."""
    pipes = _pipes(tiny)
    pipes["pressure_zone"] = np.where(np.arange(len(pipes)) % 2, "Été", "Vallée")
    pipes = pipes.rename(
        columns={"pressure_zone": "ZONE", "install_year": "POSE", "diameter_mm": "DN"}
    )
    (tiny / "pipes.geojson").unlink()
    mapping = tiny / "mapping.toml"  # the fixture's, with the shapefile's names
    mapping.write_text(
        mapping.read_text()
        + '[pipes.columns]\npressure_zone = "ZONE"\ninstall_year = "POSE"\ndiameter_mm = "DN"\n'
    )
    for encoding, said in (("utf-8", None), ("cp1252", "it was read as Windows-1252")):
        pipes.to_file(tiny / "pipes.shp", encoding=encoding)
        (tiny / "pipes.cpg").unlink()
        workspace = tmp_path / f"ws-{encoding}"
        code, out, err = run("ingest", tiny, "--mapping", mapping, "--workspace", workspace)
        assert code == 0, out + err
        assert set(load_workspace(workspace).pipes["pressure_zone"]) == {"Été", "Vallée"}
        if said:
            assert "does not say its text encoding (no .cpg file beside it)" in out + err
            assert said in out + err and "e.g. 'Vallée'" in out + err
        else:
            assert ".cpg" not in out + err
    # the mapping's encoding is the file's
    mapping.write_text(
        mapping.read_text().replace(
            "[pipes.columns]", '[pipes]\nencoding = "cp1252"\n[pipes.columns]'
        )
    )
    code, out, err = run("ingest", tiny, "--mapping", mapping, "--workspace", tmp_path / "ws3")
    assert code == 0 and ".cpg" not in out + err, out + err
    assert set(load_workspace(tmp_path / "ws3").pipes["pressure_zone"]) == {"Été", "Vallée"}
