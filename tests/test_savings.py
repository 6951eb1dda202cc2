"""Water saved: hand-checked volumes, monthly accrual, households, night-flow check."""

import pandas as pd
import pytest

from risk.savings import (
    SavingsSettings,
    leak_savings,
    monthly_savings,
    savings_settings,
    summarise_savings,
    verify_with_night_flow,
)

OUTCOMES = pd.DataFrame(
    {
        "pipe_id": ["P1", "P2", "P3"],
        "result": ["leak_found", "nothing_found", "leak_found"],
        "inspected_on": ["2026-01-10", "2026-01-11", "2026-02-01"],
        "repair_date": ["2026-01-15", None, None],
        "flow_m3_per_h": [2.0, None, None],
    }
)
SETTINGS = SavingsSettings(survey_interval_years=2.0, repair_days=10.0, household_m3_per_year=100.0)


def test_saved_volume_follows_the_awareness_location_repair_logic():
    leaks = leak_savings(OUTCOMES, SETTINGS).set_index("pipe_id")
    assert list(leaks.index) == ["P1", "P3"]  # "nothing found" saves nothing
    natural = 2.0 * 365.25 / 2 + 10.0  # half a survey cycle, then the usual repair time
    # P1: repaired 5 days after it was found
    assert leaks.loc["P1", "avoided_days"] == pytest.approx(natural - 5)
    assert leaks.loc["P1", "saved_m3"] == pytest.approx(2.0 * 24 * (natural - 5))
    # P3: no flow, no repair date: the defaults are used and flagged
    assert leaks.loc["P3", "flow_assumed"]
    assert leaks.loc["P3", "repair_date"] == pd.Timestamp("2026-02-11")
    assert leaks.loc["P3", "saved_m3"] == pytest.approx(0.5 * 24 * (natural - 10))


def test_monthly_accrual_adds_up_to_the_total():
    leaks = leak_savings(OUTCOMES, SETTINGS)
    months = monthly_savings(leaks, SETTINGS)
    assert months["saved_m3"].sum() == pytest.approx(leaks["saved_m3"].sum())
    first = months.iloc[0]
    assert first["month"] == "2026-01" and first["leaks_repaired"] == 1
    assert first["saved_m3"] == pytest.approx(2.0 * 24 * 17)  # 15 to 31 January
    assert months["households"].iloc[-1] == pytest.approx(leaks["saved_m3"].sum() / 100.0)


def test_savings_to_date_stop_at_the_as_of_date():
    leaks = leak_savings(OUTCOMES, SETTINGS)
    summary = summarise_savings(leaks, SETTINGS, as_of="2026-01-31")
    assert summary["leaks_found"] == 2 and summary["flows_assumed"] == 1
    assert summary["saved_m3_to_date"] == pytest.approx(2.0 * 24 * 17)
    # Households for a year come from the volume projected over a year (first year after
    # each repair), not from the whole avoided run (longer than a year).
    year = 2.0 * 24 * 365.25 + 0.5 * 24 * 365.25
    assert summary["projected_m3_year"] == pytest.approx(year)
    assert summary["households_for_a_year"] == pytest.approx(year / 100.0)
    assert summary["saved_m3_total"] > summary["projected_m3_year"]


def test_a_leak_without_a_repair_date_is_not_repaired_and_saves_nothing_yet():
    leaks = leak_savings(OUTCOMES, SETTINGS).set_index("pipe_id")
    assert leaks.loc["P1", "repaired"] and not leaks.loc["P3", "repaired"]
    # P3 has no repair date: its assumed repair (2026-02-11) is a projection, not a fact.
    summary = summarise_savings(leaks.reset_index(), SETTINGS, as_of="2026-03-31")
    assert (summary["leaks_repaired"], summary["leaks_awaiting_repair"]) == (1, 1)
    p1_only = 2.0 * 24 * (pd.Timestamp("2026-04-01") - pd.Timestamp("2026-01-15")).days
    assert summary["saved_m3_to_date"] == pytest.approx(p1_only)
    months = monthly_savings(leaks.reset_index(), SETTINGS, as_of="2026-03-31")
    assert months["leaks_repaired"].tolist() == [1, 0, 0]  # January; none in February


def test_workspace_settings_apply_and_flags_override_them(tmp_path):
    assert savings_settings(tmp_path) == SavingsSettings()
    (tmp_path / "settings.toml").write_text(
        "[savings]\nrepair_days = 3\nsurvey_interval_years = 4\n"
    )
    settings = savings_settings(tmp_path, survey_interval_years=2, household_m3_per_year=None)
    assert (settings.repair_days, settings.survey_interval_years) == (3.0, 2.0)
    assert settings.household_m3_per_year == 120.0  # None: not overridden


def test_night_flow_drop_is_compared_with_the_estimate():
    leaks = leak_savings(OUTCOMES.iloc[:1], SETTINGS)
    days = pd.date_range("2025-12-01", "2026-02-28")
    flow = [10.0 if d < pd.Timestamp("2026-01-15") else 8.5 for d in days]
    night = pd.DataFrame({"zone": "Z1", "date": days, "min_night_flow_m3_per_h": flow})
    table = verify_with_night_flow(leaks, night, pd.DataFrame({"pipe_id": ["P1"], "zone": ["Z1"]}))
    row = table.iloc[0]
    assert row["observed_drop_m3_per_h"] == pytest.approx(1.5)
    assert row["observed_over_estimated"] == pytest.approx(0.75)


def test_settings_are_checked():
    with pytest.raises(ValueError, match="'household_m3_per_year' setting must be > 0"):
        SavingsSettings(household_m3_per_year=0)
    with pytest.raises(ValueError, match="lacks the columns"):
        verify_with_night_flow(leak_savings(OUTCOMES), pd.DataFrame({"zone": []}), pd.DataFrame())


def test_one_leak_that_stands_out_is_named_for_checking():
    """100,000 m³/h typed on a phone made the Impact page read 876 million m³ a year without a
    word: a leak that gives most of the water and flows ten times the others is named."""
    from risk.savings import leak_savings, summarise_savings
    from risk.savings.words import _largest_leak_words

    def outcomes(flows):
        return pd.DataFrame(
            {"pipe_id": [f"P{i}" for i in range(len(flows))], "result": "leak_found",
             "inspected_on": pd.Timestamp("2026-11-02"), "repair_date": pd.NaT,
             "flow_m3_per_h": flows}
        )  # fmt: skip

    summary = summarise_savings(leak_savings(outcomes([1.5, 2.5, 100_000.0])), as_of="2026-12-01")
    largest = summary["largest_leak"]
    assert largest["pipe_id"] == "P2" and largest["share"] > 0.99
    assert _largest_leak_words(largest, "en").startswith(
        "One leak gives 100% of the water projected: pipe P2, recorded at 100,000 m³/h."
    )
    # ordinary leaks of different sizes are not named
    assert summarise_savings(leak_savings(outcomes([1.5, 2.5])))["largest_leak"] is None
    assert summarise_savings(leak_savings(outcomes([0.5, 0.8, 6.0])))["largest_leak"] is None


def test_the_leaks_export_gives_volumes_to_the_tenth_of_a_cubic_metre():
    import datetime as dt

    from risk.savings.impact import impact_summary
    from risk.savings.words import leaks_export

    outcomes = pd.DataFrame(
        {"pipe_id": ["P1", "P2"], "result": "leak_found",
         "inspected_on": pd.Timestamp("2026-10-02"),
         "repair_date": [pd.Timestamp("2026-10-05"), pd.NaT], "flow_m3_per_h": [1.3, 0.7]}
    )  # fmt: skip
    pipes = pd.DataFrame({"pipe_id": ["P1", "P2"], "length_m": [95.0, 120.0]})
    table = leaks_export(impact_summary(outcomes, pipes, as_of=dt.date(2026, 12, 1)))
    for column in ("saved_m3_to_date", "projected_m3_year", "saved_m3_until_next_survey"):
        assert (table[column] == table[column].round(1)).all(), table[column]
    assert table["saved_m3_to_date"].iloc[0] > 0


# -- the night-flow file is checked before it is compared -------------------------------------

ZONES = pd.DataFrame({"pipe_id": ["P1", "P3"], "zone": ["HAUTE", "BASSE"]})


def _night(**columns) -> pd.DataFrame:
    table = {"zone": "HAUTE", "date": ["2026-01-01", "2026-01-02"], "min_night_flow_m3_per_h": 10.0}
    table.update(columns)
    return pd.DataFrame(table)


def _refusal(night, zones=ZONES, source="night_flow.csv") -> str:
    from risk.errors import InputError

    with pytest.raises(InputError) as info:
        verify_with_night_flow(leak_savings(OUTCOMES, SETTINGS), night, zones, source=source)
    return str(info.value)


def test_night_flow_dates_that_could_be_day_or_month_first_are_refused():
    """01/12/2026 was read as 12 January, 28 days of night flow compared in the wrong month."""
    message = _refusal(_night(date=["01/11/2026", "01/12/2026"]))
    assert message.startswith("night_flow.csv: the dates (for example '01/11/2026', '01/12/2026')")
    assert "'01/11/2026' is Nov 1, 2026 or Jan 11, 2026" in message
    assert (
        "Say which comes first (day or month) where the file is loaded, or write the dates as year-month-day (2026-12-01)"
        in message
    )


def test_night_flow_dates_read_day_first_when_a_day_above_12_tells():
    leaks = leak_savings(OUTCOMES.iloc[:1], SETTINGS)  # P1 repaired 2026-01-15
    days = pd.date_range("2025-12-20", "2026-02-10")
    night = pd.DataFrame(
        {"zone": "HAUTE", "date": days.strftime("%d/%m/%Y"),
         "min_night_flow_m3_per_h": [10.0 if d < pd.Timestamp("2026-01-15") else 8.5 for d in days]}
    )  # fmt: skip
    row = verify_with_night_flow(leaks, night, ZONES).iloc[0]
    assert row["observed_drop_m3_per_h"] == pytest.approx(1.5)
    # ISO dates and day/month/year in one file: one cannot be told from the other
    message = _refusal(_night(date=["2026-01-01", "13/01/2026"]))
    assert "mixes formats" in message and "data rows 2" in message


def test_night_flow_zones_the_network_lacks_are_refused_with_the_zones_it_has():
    """A zone matching no pressure_zone gave an empty comparison (NaN) without a word."""
    message = _refusal(_night(zone=["ZONE-1", "haute"]))
    assert message.startswith(
        "night_flow.csv: 2 zones match no pressure zone of the network: 'ZONE-1', 'haute' "
        "(data rows 1, 2); the network's pressure zones are 'BASSE', 'HAUTE' ('haute' → "
        "'HAUTE')."
    )
    no_zones = ZONES.assign(zone=None)
    assert "the network's pipes have no pressure zone" in _refusal(_night(), no_zones)


def test_negative_night_flows_are_refused_with_their_rows():
    message = _refusal(_night(min_night_flow_m3_per_h=[5.0, -10.0]))
    assert message.startswith(
        "night_flow.csv: 1 of 2 rows has a negative min_night_flow_m3_per_h (data row 2; -10)"
    )


def test_a_night_flow_file_without_rows_or_columns_is_refused_naming_it():
    header_only = pd.DataFrame(columns=["zone", "date", "min_night_flow_m3_per_h"])
    assert _refusal(header_only, source="/data/nf.csv").startswith(
        "nf.csv: holds no night flow (a header and no rows)"
    )
    message = _refusal(pd.DataFrame({"Zone": ["HAUTE"], "Date": ["2026-11-01"], "MNF": [12]}))
    assert message.startswith(
        "night_flow.csv: lacks the columns zone, date, min_night_flow_m3_per_h (found: "
        "Zone, Date, MNF)"
    )
    assert "e.g. zone,date,min_night_flow_m3_per_h" in message


def test_the_savings_command_refuses_an_ambiguous_night_flow_file(run, tiny_workspace, tmp_path):
    night = tmp_path / "night.csv"
    night.write_text(
        "zone,date,min_night_flow_m3_per_h\nhaut,01/11/2026,12.5\nhaut,01/12/2026,10\n"
    )
    code, _, err = run("savings", tiny_workspace, "--night-flow", night)
    assert code == 2, err
    assert "'01/11/2026' is Nov 1, 2026 or Jan 11, 2026" in err
