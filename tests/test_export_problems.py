"""Export problems ingestion used to take silently, each found by running a damaged copy of
a sample town through ``risk ingest``: lengths that disagree with the drawn lines,
placeholder install dates, breaks recorded twice, diameters partly in inches, weather that
stops before the breaks, two files for one layer."""

import geopandas as gpd
import pandas as pd

from risk.contract import Findings
from risk.ingest import read_utility
from risk.plausibility import (
    check_length_unit,
    placeholder_dates,
    warn_inch_diameters,
    warn_length_mismatch,
    warn_weather_coverage,
)


def _pipes(tiny):
    return gpd.read_file(tiny / "pipes.geojson")


def _write_pipes(tiny, pipes):
    (tiny / "pipes.geojson").unlink()
    pipes.to_file(tiny / "pipes.geojson", driver="GeoJSON")


def _warnings(data, code):
    return [w for w in data.meta["report"]["warnings"] if w["code"] == code]


def test_lengths_that_disagree_with_the_drawn_line_row_by_row_are_named(tiny):
    """Every tiny pipe is drawn 100 m long. Two say 1,000 m (a slip of a digit), one 150 m
    (within a factor of 2: not named): the column is in metres as a whole, so the unit
    check says nothing, and the rows must be named."""
    pipes = _pipes(tiny)
    pipes["length_m"] = 100.0
    pipes.loc[[1, 4], "length_m"] = 1000.0
    pipes.loc[2, "length_m"] = 150.0
    _write_pipes(tiny, pipes)
    data = read_utility(tiny)
    (warning,) = _warnings(data, "length_differs_from_line")
    assert warning["message"].startswith(
        "2 of 16 pipes have a length_m more than 2 times, or less than 1/2 of, the length of "
        "their drawn line"
    )
    assert "P-0002: 1,000 m stated, 100 m drawn" in warning["message"]
    assert "2.0 km stated against 0.2 km drawn" in warning["message"]
    assert "[pipes.columns]" in warning["fix"] and warning["rows"] == [2, 5]
    assert data.pipes.loc[1, "length_m"] == 1000.0  # kept as stated
    assert not _warnings(data, "wrong_unit")


def test_a_length_column_in_kilometres_is_refused_once_not_named_row_by_row():
    drawn = pd.Series([120.0, 80.0, 45.0, 300.0, 60.0])
    pipes = pd.DataFrame({"pipe_id": list("ABCDE"), "length_m": drawn / 1000, "_row": range(1, 6)})
    findings = Findings()
    check_length_unit(pipes["length_m"], drawn, "pipes.gpkg", findings)
    warn_length_mismatch(pipes, drawn, "pipes.gpkg", findings)
    assert [p.code for p in findings.problems] == ["wrong_unit"]


def test_placeholder_install_dates_are_named_and_treated_as_missing(tiny):
    """1970-01-01 (the Unix epoch), 1899-12-30 and 1900-01-01 (a spreadsheet's day 0 and 1)
    stand for an empty date: not installs of 1970 or 1899. The breaks' rule, reused."""
    pipes = _pipes(tiny)
    pipes["install_year"] = pipes["install_year"].astype(str) + "-06-15"
    pipes.loc[[2, 4], "install_year"] = "1970-01-01"
    pipes.loc[5, "install_year"] = "1899-12-30"
    _write_pipes(tiny, pipes)
    data = read_utility(tiny)
    (warning,) = _warnings(data, "placeholder_date")
    assert warning["message"].startswith(
        "3 values of 'install_year' are dates that spreadsheets and databases write for an "
        "empty date (1970-01-01 on 2 rows, 1899-12-30 on 1 row); they are treated as missing, "
        "not read as 1899 and 1970"
    )
    assert warning["rows"] == [3, 5, 6] and "pipes.geojson" in warning["file"]
    assert data.pipes["install_year"].isna().tolist() == [i in (2, 4, 5) for i in range(16)]
    assert data.pipes.loc[0, "install_year"] == 1931


def test_an_install_year_written_for_an_unknown_one_is_missing_and_named(tiny):
    """1900 for 10 of 16 pipes (a register's year for "unknown"): ten pipes 126 years old,
    among them PVC and PE; only their material was named. The rule of the placeholder dates,
    on years written alone."""
    pipes = _pipes(tiny)
    pipes.loc[:9, "install_year"] = 1900
    _write_pipes(tiny, pipes)
    data = read_utility(tiny)
    (said,) = _warnings(data, "placeholder_year")
    assert said["message"].startswith("'install_year' holds 1900 on 10 rows, far more than")
    assert said["count"] == 10
    assert data.pipes["install_year"].isna().sum() == 10
    # a year as common as the years around it is a year
    pipes = _pipes(tiny)
    pipes["install_year"] = [1896, 1897, 1898, 1899, 1900, 1901, 1902, 1903] * 2
    _write_pipes(tiny, pipes)
    data = read_utility(tiny)
    assert not _warnings(data, "placeholder_year")
    assert (data.pipes["install_year"] == 1900).sum() == 2


def test_january_first_of_1970_is_a_year_where_years_are_written_so(tiny):
    """Kitchener writes a year known alone as January 1st: its 127 mains of 1970-01-01 sit
    among 188 of 1969-01-01 and 191 of 1971-01-01, and are real 1970 mains. 1970-01-01 is a
    placeholder there only when it stands out from the years around."""
    years = pd.Series([y for y in range(1962, 1979) for _ in range(5 if y == 1970 else 6)])
    dates = pd.to_datetime(years.astype(str) + "-01-01")
    assert not placeholder_dates(dates).any()
    spike = pd.concat([dates, pd.Series(pd.to_datetime(["1970-01-01"] * 40))], ignore_index=True)
    assert placeholder_dates(spike).sum() == 45  # the 40 added and the 5 of before


def test_install_years_given_as_spreadsheet_day_numbers_say_what_they_are(tiny):
    pipes = _pipes(tiny)
    pipes["install_year"] = pipes["install_year"].astype("int64")
    pipes.loc[[2, 4], "install_year"] = [43983, 36526]
    _write_pipes(tiny, pipes)
    data = read_utility(tiny)
    (warning,) = _warnings(data, "implausible_year")
    assert "(for example '43983', '36526')" in warning["message"]
    assert warning["fix"].startswith(
        "They look like spreadsheet day numbers (43983 is 2020-06-01): format the column as dates"
    )


def test_n_a_in_install_year_is_read_as_missing_not_as_a_date_format_problem(tiny):
    pipes = _pipes(tiny)
    pipes["install_year"] = pipes["install_year"].astype(str)
    pipes.loc[[2, 4], "install_year"] = ["N/A", "n/a"]
    _write_pipes(tiny, pipes)
    data = read_utility(tiny)  # no refusal
    assert data.pipes["install_year"].isna().sum() == 2
    (missing,) = [w for w in _warnings(data, "missing_values") if "install_year" in w["message"]]
    assert missing["message"] == "2 pipes have no install_year" and missing["rows"] == [3, 5]


def _breaks_with_ids(tiny, extra):
    breaks = pd.read_csv(tiny / "breaks.csv")
    breaks.insert(0, "break_id", [f"WO-{i}" for i in range(1, len(breaks) + 1)])
    extra = pd.DataFrame(extra, columns=["break_id", "date", "pipe_id"])
    pd.concat([breaks, extra], ignore_index=True).to_csv(tiny / "breaks.csv", index=False)


def test_one_failure_recorded_under_two_work_orders_is_named_and_kept(tiny):
    _breaks_with_ids(tiny, [("WO-77", "2015-02-03", "P-0001")])  # WO-1 again
    data = read_utility(tiny)
    assert len(data.breaks) == 10  # kept: the user decides
    (warning,) = _warnings(data, "same_pipe_and_day")
    assert warning["message"].startswith(
        "2 breaks share their pipe and day with a break recorded under another break_id "
        "(1 pipe-day; for example P-0001 on 2015-02-03: WO-1, WO-77): one failure entered "
        "twice"
    )
    assert warning["rows"] == [1, 10] and "remove the extra records" in warning["fix"]
    assert not _warnings(data, "duplicate_rows") and not _warnings(data, "break_id_reused")


def test_one_break_id_on_breaks_of_different_days_or_pipes_is_named_and_kept(tiny):
    _breaks_with_ids(tiny, [("WO-3", "2023-01-09", "P-0005"), ("WO-3", "2018-12-11", "P-0002")])
    data = read_utility(tiny)
    assert len(data.breaks) == 10  # the exact repeat of WO-3 dropped, the other kept
    (warning,) = _warnings(data, "break_id_reused")
    assert warning["message"].startswith(
        "1 break_id is used on breaks of different days or pipes (2 rows; for example "
        "'WO-3': 2018-12-11 on P-0002, 2023-01-09 on P-0005): a work-order number reused"
    )
    assert warning["rows"] == [3, 10] and "its own break_id" in warning["fix"]
    assert len(_warnings(data, "duplicate_rows")) == 1


def test_diameters_partly_in_inches_are_named(tiny):
    """A column in millimetres with a few inch sizes (4 for 4", 12 for 12"): not 4 mm and
    12 mm mains. Under 10 mm they were already treated as missing; 12 passed silently."""
    pipes = _pipes(tiny)
    pipes["diameter_mm"] = pipes["diameter_mm"].astype(float)
    pipes.loc[[2, 4], "diameter_mm"] = [12.0, 4.0]
    _write_pipes(tiny, pipes)
    data = read_utility(tiny)
    (warning,) = _warnings(data, "diameter_in_inches")
    assert warning["message"].startswith(
        "2 of 16 pipes have a diameter_mm under 25 mm, too small for a water main, in a column "
        "otherwise in millimetres (median 100 mm; for example P-0003: 12, P-0005: 4): inches "
        "(12 in is 305 mm)? Those under 10 mm are treated as missing, the others kept as given"
    )
    assert "x 25.4" in warning["fix"] and warning["rows"] == [3, 5]
    assert not _warnings(data, "implausible_value")  # named once
    assert data.pipes["diameter_mm"].iloc[[2, 4]].tolist()[0] == 12


def test_a_column_in_inches_throughout_is_refused_once(tiny):
    pipes = _pipes(tiny)
    pipes["diameter_mm"] = (pipes["diameter_mm"] / 25.4).round()
    _write_pipes(tiny, pipes)
    findings = Findings()
    inches = warn_inch_diameters(pipes, pipes["diameter_mm"], "p", findings, low_mm=10)
    assert not inches.any() and not findings.problems


def test_weather_that_ends_years_before_the_breaks_is_named(tiny):
    """The tiny town's weather runs 2014-2022, its breaks 2015-2022. Cut the weather at 2017:
    the breaks of 2018-2022 would be learnt from with unknown weather, and nothing said so
    (a weather record that just ends has no gap inside it)."""
    weather = pd.read_csv(tiny / "weather.csv")
    weather[weather["date"] < "2018"].to_csv(tiny / "weather.csv", index=False)
    data = read_utility(tiny)
    (warning,) = _warnings(data, "weather_shorter_than_breaks")
    assert warning["message"].startswith(
        "the weather (2014-2017) does not cover every year of the break record (2015-2022): "
        "no weather in 2018-2022; 7 breaks fall in years without any weather"
    )
    assert "2015-2022 at every station" in warning["fix"] and warning["file"].endswith(
        "weather.csv"
    )
    assert not _warnings(data, "weather_gaps")


def test_a_station_whose_record_stops_while_the_others_go_on_is_named():
    months = pd.date_range("2010-01-01", "2020-12-01", freq="MS")
    weather = pd.DataFrame(
        {"date": list(months) * 2, "station_id": ["A"] * len(months) + ["B"] * len(months)}
    )
    weather = weather[(weather["station_id"] == "A") | (weather["date"] < "2014-01-01")]
    breaks = pd.Series(pd.to_datetime([f"{y}-03-0{d}" for y in range(2010, 2021) for d in (1, 2)]))
    findings = Findings()
    warn_weather_coverage(weather.assign(_row=range(len(weather))), breaks, "w.csv", findings)
    (problem,) = findings.problems
    assert "station B: no weather in 2014-2020" in problem.message
    assert "station A" not in problem.message and "without any weather" not in problem.message


def _pipes_csv(folder, **columns):
    pipes = pd.DataFrame(
        {
            "pipe_id": ["A", "B", "C", "D"],
            "material": ["CI", "PVC", "DI", "PVC"],
            "diameter_mm": ["100", "150", "200", "80"],
            "install_year": ["1950", "1980", "1975", "1965"],
            "length_m": ["10.5", "20", "30", "40"],
            **columns,
        }
    )
    folder.mkdir()
    pipes.to_csv(folder / "pipes.csv", index=False)
    return folder


def test_a_value_with_a_no_break_space_is_shown_readably(run, tmp_path):
    """'1 234' written with a no-break space (a French thousands separator) is refused as
    not a number; the message shows it as the user sees it, not as '1\\xa0234'."""
    folder = _pipes_csv(tmp_path / "u", length_m=["10.5", "1\xa0234", "30", "40"])
    code, _, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 2, err
    assert "(for example '1 234' (with a no-break space))" in err and "\\xa0" not in err


def test_numbers_with_a_thousands_separator_are_refused_as_such(run, tmp_path):
    """'1,250.5' in a comma-separated file (quoted) read as '1.250.5' and was refused as a
    value "given in '.5'", a unit it does not carry."""
    lengths = ["10.5", "1,250.5", "1.250,5", "1\u202f250,5"]
    folder = _pipes_csv(tmp_path / "u", length_m=lengths)
    code, _, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 2, err
    assert "column 'length_m' writes 3 numbers with a thousands separator" in err
    assert "'1,250.5'" in err and "(rows 2, 3, 4)" in err
    assert "without thousands separators" in err and "given in" not in err
    assert not (tmp_path / "ws" / "meta.json").exists()


def test_iso_dates_mixed_with_day_month_year_are_refused_as_mixed(run, tiny):
    """Rows written 2015-02-03 beside rows written 20/01/2016 (two systems' records in one
    file): the fix said to set date_format = "%d/%m/%Y", which would refuse the others."""
    breaks = pd.read_csv(tiny / "breaks.csv", dtype=str)
    for row in (1, 3):
        year, month, day = breaks.loc[row, "date"].split("-")
        breaks.loc[row, "date"] = f"{day}/{month}/{year}"
    breaks.to_csv(tiny / "breaks.csv", index=False)
    code, _, err = run("ingest", tiny, "--workspace", tiny.parent / "ws")
    assert code == 2, err
    assert "2 values could not be read (for example '20/01/2016', '01/07/2019') (rows 2, 4)" in err
    assert "The column mixes date formats: 7 dates read as year-month-day" in err
    assert "and these as day/month/year: one date_format cannot read both" in err
    assert "Export every date in one format" in err and '"%d/%m/%Y"' not in err
    assert not (tiny.parent / "ws" / "meta.json").exists()


def test_a_length_column_named_in_feet_is_refused(run, tmp_path):
    """An attribute-only export mapping length_m to 'Length_ft': 152 km loaded as 499 km,
    without a word (feet cannot be told from metres by the values without lines)."""
    folder = _pipes_csv(tmp_path / "u", length_m=["10.5", "20", "30", "40"])
    pipes = pd.read_csv(folder / "pipes.csv").rename(columns={"length_m": "Length_ft"})
    pipes.to_csv(folder / "pipes.csv", index=False)
    (folder / "mapping.toml").write_text('[pipes.columns]\nlength_m = "Length_ft"\n')
    code, _, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 2, err
    assert "length_m is mapped to the column 'Length_ft', whose name says feet" in err
    assert "(feet × 0.3048)" in err
    assert not (tmp_path / "ws" / "meta.json").exists()


def test_counts_of_one_read_in_the_singular(run, tmp_path):
    folder = _pipes_csv(tmp_path / "u", install_year=["1950", "", "1975", "1965"])
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "1 pipe has no install_year" in out and "1 pipes" not in out


def test_two_files_for_one_layer_are_refused_naming_both(run, tiny):
    """A stale pipes.parquet left beside the new pipes.geojson: which is current? Before, the
    parquet was read with a warning (the new export silently ignored)."""
    _pipes(tiny).iloc[:3].to_parquet(tiny / "pipes.parquet")  # last year's, 3 pipes
    code, _, err = run("ingest", tiny, "--workspace", tiny.parent / "ws")
    assert code == 2
    assert "2 files for pipes" in err and "pipes.geojson" in err and "pipes.parquet" in err
    assert 'file = "pipes.parquet"' in err or 'file = "pipes.geojson"' in err
    assert not (tiny.parent / "ws" / "meta.json").exists()
    mapping = (tiny / "mapping.toml").read_text()
    assert "[pipes]" not in mapping  # the fix the message gives: name the file to read
    (tiny / "mapping.toml").write_text(mapping + '\n[pipes]\nfile = "pipes.geojson"\n')
    code, _, err = run("ingest", tiny, "--workspace", tiny.parent / "ws")
    assert code == 0, err


def test_numbers_written_with_the_columns_own_unit_are_read_and_said(run, tmp_path):
    """'150 mm' and 'DN 200' in a diameter column (a French export writes them so): read as
    150 and 200 mm, said once with the rows; a length '40 m' likewise. Before, every such
    cell was refused as not a number."""
    folder = _pipes_csv(
        tmp_path / "u",
        diameter_mm=["100 mm", "DN 150", "200mm", "80"],
        length_m=["10.5 m", "20", "30", "40"],
    )
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert (
        "column 'diameter_mm' writes 3 values with the unit written (for example '100 mm', "
        "'DN 150', '200mm'): read as numbers of mm" in out
    )
    assert "column 'length_m' writes 1 value with the unit written" in out
    from risk.workspace import load_workspace

    pipes = load_workspace(tmp_path / "ws").pipes
    assert pipes["diameter_mm"].tolist() == [100, 150, 200, 80]
    assert pipes["length_m"].tolist()[0] == 10.5


def test_diameters_written_with_the_diameter_sign_are_read(run, tmp_path):
    """'Ø150' (plans and French exports write a diameter so) was refused as not a number."""
    folder = _pipes_csv(tmp_path / "u", diameter_mm=["Ø100", "ø 150", "⌀200", "80"])
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "column 'diameter_mm' writes 3 values with the unit written" in out
    from risk.workspace import load_workspace

    assert load_workspace(tmp_path / "ws").pipes["diameter_mm"].tolist() == [100, 150, 200, 80]


def test_break_dates_with_a_time_of_day_are_told_their_format(run, tiny):
    """A work-order export writes '20/01/2016 08:05': the hint named no format that reads it
    (its date_format example could not read it either)."""
    breaks = pd.read_csv(tiny / "breaks.csv")
    when = pd.to_datetime(breaks["date"])
    breaks["date"] = when.dt.strftime("%d/%m/%Y 08:05")
    breaks.to_csv(tiny / "breaks.csv", index=False)
    code, _, err = run("ingest", tiny, "--workspace", tiny.parent / "ws")
    assert code == 2
    assert 'They read as day/month/year and a time: add date_format = "%d/%m/%Y %H:%M"' in err
    mapping = (tiny / "mapping.toml").read_text()
    (tiny / "mapping.toml").write_text(
        mapping.replace("[breaks]\n", '[breaks]\ndate_format = "%d/%m/%Y %H:%M"\n')
    )
    code, _, err = run("ingest", tiny, "--workspace", tiny.parent / "ws")
    assert code == 0, err
    assert read_utility(tiny).breaks["date"].tolist() == when.tolist()  # the day, not the hour


def test_numbers_in_another_unit_are_refused_naming_it(run, tmp_path):
    folder = _pipes_csv(tmp_path / "u", diameter_mm=["100", "6 in", "200", "8 in"])
    code, _, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 2
    assert "column 'diameter_mm' must hold numbers (mm); 2 values are not numbers" in err
    assert "Write the numbers alone, in mm: convert the values given in 'in'" in err


def test_a_stated_length_of_zero_beside_a_drawn_line_is_named(tiny):
    """0 m stated for a pipe drawn 100 m long (a placeholder) was left out of the check."""
    pipes = _pipes(tiny)
    pipes["length_m"] = 100.0
    pipes.loc[3, "length_m"] = 0.0
    _write_pipes(tiny, pipes)
    (warning,) = _warnings(read_utility(tiny), "length_differs_from_line")
    assert "P-0004: 0 m stated, 100 m drawn" in warning["message"] and warning["rows"] == [4]


def test_optional_layers_not_given_are_named_with_what_they_change(run, tmp_path):
    """A folder of pipes (and breaks) alone loaded without a word: its forecast moved by half
    against the same network with its weather."""
    folder = _pipes_csv(tmp_path / "u")
    code, out, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert "no weather file in the folder: the weather is left out" in out
    assert "no breaks file in the folder: without a break record" in out
    assert "no soils file" in out and "no welds file" in out


def test_a_full_folder_names_no_missing_layer(tiny):
    assert _warnings(read_utility(tiny), "layer_not_given") == []  # tiny has every layer
    (tiny / "welds.csv").unlink()
    (warning,) = _warnings(read_utility(tiny), "layer_not_given")
    assert warning["layer"] == "welds"


def test_pipes_in_web_mercator_are_measured_in_the_local_utm_zone(tiny):
    """Web and ArcGIS Online exports come in EPSG:3857, whose lengths are 1 / cos(latitude)
    too long (42 % at Lyon): the network was loaded 48 % too long, without a word."""
    truth = read_utility(tiny).pipes["length_m"].sum()
    _write_pipes(tiny, _pipes(tiny).to_crs(3857))
    data = read_utility(tiny)
    assert data.pipes.crs.to_epsg() != 3857 and data.pipes.crs.utm_zone
    assert abs(data.pipes["length_m"].sum() / truth - 1) < 0.005


def test_lengths_measured_in_web_mercator_are_refused_with_the_fix(run, tiny):
    pipes = _pipes(tiny).to_crs(3857)
    pipes["length_m"] = pipes.geometry.length  # 1.43 times the true lengths
    _write_pipes(tiny, pipes)
    code, _, err = run("ingest", tiny, "--workspace", tiny.parent / "ws")
    assert code == 2
    assert "length_m is 1.43 times the length of the drawn lines (median of 16 pipes)" in err
    assert "Leave length_m out of [pipes.columns]" in err
    assert not (tiny.parent / "ws" / "meta.json").exists()


def test_removed_year_0_or_9999_reads_as_still_in_service_and_is_said(tiny):
    """Many exports write 0 or 9999 for "not removed": read as year 0, half a network left
    the scores (removed before it was installed) with a warning about the order only."""
    pipes = _pipes(tiny)
    pipes["removed_year"] = 0
    pipes.loc[3, "removed_year"] = 9999
    pipes.loc[5, "removed_year"] = 2019
    _write_pipes(tiny, pipes)
    data = read_utility(tiny)
    (warning,) = _warnings(data, "removed_year_placeholder")
    assert warning["message"].startswith(
        "15 values of 'removed_year' are before 1850 or in the future (for example 0, 9999): "
        "read as pipes still in service"
    )
    assert data.pipes["removed_year"].notna().sum() == 1
    assert not _warnings(data, "implausible_value")  # no "removed before installed"


def test_breaks_in_another_place_than_the_pipes_are_refused_naming_both(run, tiny):
    """Each layer fits its declared CRS, but not the same place (another UTM zone,
    latitude and longitude exchanged): it loaded, with warnings about distances only."""
    breaks = pd.read_csv(tiny / "breaks.csv")
    breaks["x"] = breaks["x"] + 300_000.0  # 300 km east, still inside Lambert-93's area
    breaks.to_csv(tiny / "breaks.csv", index=False)
    code, _, err = run("ingest", tiny, "--workspace", tiny.parent / "ws")
    assert code == 2
    assert "breaks.csv: the breaks lie 300 km from the pipes once both are in one CRS" in err
    assert "(latitude and longitude exchanged? another UTM zone?)" in err
    assert not (tiny.parent / "ws" / "meta.json").exists()


def _street_grid_and_breaks(shift_m, *, with_ids):
    """Six east-west and six north-south mains 100 m apart, and a break in the middle of
    each stretch, moved ``shift_m`` east."""
    from shapely.geometry import LineString, Point

    lines, points, ids = [], [], []
    for k in range(6):
        lines += [LineString([(0, 100 * k), (500, 100 * k)])]
        lines += [LineString([(100 * k, 0), (100 * k, 500)])]
    pipes = gpd.GeoDataFrame(
        {"pipe_id": [f"P{i:02d}" for i in range(len(lines))]}, geometry=lines, crs=2154
    )
    for i, line in enumerate(lines):
        for share in (0.3, 0.7):
            point = line.interpolate(share, normalized=True)
            points.append(Point(point.x + shift_m, point.y))
            ids.append(f"P{i:02d}" if with_ids else None)
    breaks = gpd.GeoDataFrame(
        {"reported_pipe_id": pd.Series(ids, dtype="string"), "_row": range(1, len(ids) + 1)},
        geometry=points,
        crs=2154,
    )
    return pipes, breaks


def test_a_break_layer_shifted_off_the_pipes_is_named_with_its_direction():
    """Breaks 30 m east of where they were (another datum): by id they stay linked, by
    location alone a third link to the neighbouring main, each link plausible on its own."""
    from risk.link import link_to_pipes
    from risk.plausibility import warn_located_off_the_pipes

    for with_ids, words in (
        (True, "on average 15 m east of the pipe their pipe_id names"),
        (False, "linked by location alone may be linked to a neighbouring"),
    ):
        pipes, breaks = _street_grid_and_breaks(30.0, with_ids=with_ids)
        links = breaks.join(link_to_pipes(breaks, pipes, tolerance_m=10.0))
        findings = Findings()
        warn_located_off_the_pipes(links, pipes, 10.0, "breaks", "breaks.csv", findings)
        (problem,) = findings.problems
        assert problem.code == "located_off_the_pipes" and "looks shifted" in problem.message
        assert words in problem.message, problem.message
        pipes, breaks = _street_grid_and_breaks(2.0, with_ids=with_ids)  # GPS at the curb
        links = breaks.join(link_to_pipes(breaks, pipes, tolerance_m=10.0))
        findings = Findings()
        warn_located_off_the_pipes(links, pipes, 10.0, "breaks", "breaks.csv", findings)
        assert not findings.problems


def test_breaks_dated_by_a_year_alone_are_said_and_two_in_one_year_kept(tiny):
    """An old register writes the year of each failure ("2015"): it read as 1 January
    without a word, two failures of one pipe in one year were "an exact repeat" and one was
    dropped, and work orders were "one failure entered twice"."""
    breaks = pd.read_csv(tiny / "breaks.csv", dtype=str)
    breaks["date"] = breaks["date"].str[:4]
    breaks.loc[1, "date"] = "2015"  # P-0001 twice in 2015
    breaks.to_csv(tiny / "breaks.csv", index=False)
    data = read_utility(tiny)
    (said,) = _warnings(data, "partial_dates")
    assert said["message"].startswith(
        "column 'date': 9 of 9 dates are written as a year alone (for example '2015', '2018', "
    )
    assert "read as 1 January of that year" in said["message"]
    assert (data.breaks["date"] == pd.Timestamp("2015-01-01")).sum() == 2  # both kept
    (kept,) = _warnings(data, "duplicate_rows")
    assert "they are kept (dated by a year or month alone" in kept["message"]
    assert not _warnings(data, "same_pipe_and_day")
    _breaks_with_ids(tiny, [("WO-77", "2015", "P-0001")])
    assert not _warnings(read_utility(tiny), "same_pipe_and_day")


def test_breaks_located_by_lon_lat_columns_are_told_the_mapping_that_reads_them(run, tiny):
    """A break register with 'lon' and 'lat' columns and no pipe reference was told to map
    a pipe_id column; the message now gives the lines that load it, and they do."""
    breaks = pd.read_csv(tiny / "breaks.csv").dropna(subset=["x"])
    points = gpd.GeoSeries(gpd.points_from_xy(breaks["x"], breaks["y"]), crs="EPSG:2154")
    lonlat = points.to_crs(4326)
    pd.DataFrame(
        {"date": breaks["date"].to_numpy(), "lon": lonlat.x.to_numpy(), "lat": lonlat.y.to_numpy()}
    ).to_csv(tiny / "breaks.csv", index=False)
    mapping = (tiny / "mapping.toml").read_text()  # its [breaks] crs is for x and y
    code, _, err = run("ingest", tiny, "--workspace", tiny.parent / "ws")
    assert code == 2
    assert "The file has the coordinate columns 'lon' and 'lat'" in err
    assert '[breaks.columns] x = "lon" and y = "lat"' in err and 'crs = "EPSG:4326"' in err
    mapping = mapping.replace('crs = "EPSG:2154"', 'crs = "EPSG:4326"')
    (tiny / "m.toml").write_text(mapping + '\n[breaks.columns]\nx = "lon"\ny = "lat"\n')
    code, out, err = run(
        "ingest", tiny, "--workspace", tiny.parent / "ws", "--mapping", tiny / "m.toml"
    )
    assert code == 0, err
    assert "Breaks: 2, linked 2" in out


def test_a_shapefiles_column_names_cut_to_ten_characters_are_read_and_said(tiny):
    """A Shapefile keeps 10 characters of a column name: every GIS export of the pipes in
    the product's own names became install_ye, diameter_m, pressure_z and was refused."""
    import warnings

    pipes = _pipes(tiny)
    (tiny / "pipes.geojson").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio says it cuts the names: that is the point
        pipes.to_file(tiny / "pipes.shp")
    data = read_utility(tiny)
    loaded = data.pipes.set_index("pipe_id")
    assert loaded.loc["P-0001", "install_year"] == 1931
    assert loaded.loc["P-0002", "diameter_mm"] == 150
    assert loaded.loc["P-0001", "pressure_zone"] == "haut"
    (said,) = _warnings(data, "shapefile_names")
    assert "install_ye as install_year" in said["message"]
    assert "diameter_m as diameter_mm" in said["message"]


def test_a_national_weather_services_daily_file_gives_weather_not_its_codes(run, tiny):
    """Météo-France's daily file (semicolons, AAAAMMJJ, RR/TN/TX/TM with their quality codes
    QRR/QTN and hours HTN/HTX, the station's NUM_POSTE/LAT/LON/ALTI): the codes and hours
    became weather features ("weather htn mean", the hour of the night's minimum)."""
    days = pd.date_range("2014-01-01", "2016-12-31")
    warm = (days.month.isin([6, 7, 8]) * 12.0).astype(float)
    pd.DataFrame(
        {"NUM_POSTE": 44020001, "NOM_USUEL": "NANTES", "LAT": 47.15, "LON": -1.61, "ALTI": 26,
         "AAAAMMJJ": days.strftime("%Y%m%d").astype(int), "RR": (days.day % 5) * 1.5, "QRR": 1,
         "TN": warm + days.day % 3, "QTN": days.day % 2, "HTN": 500 + days.day, "TX": warm + 9,
         "HTX": 1400 + days.day % 7}
    ).to_csv(tiny / "weather.csv", sep=";", index=False)  # fmt: skip
    mapping = (tiny / "mapping.toml").read_text()
    (tiny / "mapping.toml").write_text(mapping + '\n[weather.columns]\ndate = "AAAAMMJJ"\n')
    code, _, err = run("ingest", tiny, "--workspace", tiny.parent / "ws")
    assert code == 0, err
    from risk.features.context import weather_measure_columns
    from risk.workspace import load_workspace

    weather = load_workspace(tiny.parent / "ws").weather
    assert weather_measure_columns(weather) == ["RR", "TN", "TX"]
    report = (tiny.parent / "ws" / "report.md").read_text()
    assert (
        "- weather: `NUM_POSTE`, `NOM_USUEL`, `LAT`, `LON`, `ALTI`, `QRR`, `QTN`, `HTN`" in report
    )


def test_numbers_and_years_written_as_not_known_are_missing_values_not_a_refusal(tiny):
    """A French export writes 'NR' (non renseigné), 'inconnu' or '?' where a diameter or an
    install year is not known: the whole ingest was refused ("must hold numbers", "must hold
    dates") while an empty cell loads, as 'NR' does in the material column."""
    pipes = _pipes(tiny)
    pipes["diameter_mm"] = pipes["diameter_mm"].astype(str)
    pipes["install_year"] = pipes["install_year"].astype(str)
    pipes.loc[[0, 5], "diameter_mm"] = ["NR", "Non renseigné"]
    pipes.loc[[1, 6, 7], "install_year"] = ["inconnu", "?", "N/A"]
    _write_pipes(tiny, pipes)
    data = read_utility(tiny)
    assert data.pipes.index[data.pipes["diameter_mm"].isna()].tolist() == [0, 5]
    assert data.pipes["install_year"].isna().sum() == 3
    assert data.pipes.loc[2, "install_year"] == int(pipes.loc[2, "install_year"])
    said = " ".join(w["message"] for w in data.meta["report"]["warnings"])
    assert "2 pipes have no diameter_mm" in said and "3 pipes have no install_year" in said
