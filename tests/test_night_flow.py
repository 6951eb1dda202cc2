"""The water saved, checked against the meters: night flows loaded into the project (the
Impact page), the same check and sentences on the page and in ``risk savings``, a bad
export refused with the file in use kept, and each load a line of the audit log."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from apps import TODAY, app_as, build_workspace

from risk.auth import audit_for_people, store_location
from risk.contract import DataContractError
from risk.errors import InputError
from risk.outcomes import writes
from risk.savings.impact import workspace_impact
from risk.savings.night_flow import (
    night_flow_file,
    night_flow_words,
    save_night_flow,
    workspace_night_flow,
)
from risk.workspace import load_workspace

REPAIRED = TODAY - dt.timedelta(days=40)


@pytest.fixture
def workspace(tmp_path):
    """The small town with a leak of 3 m³/h found on P-0000 and repaired 40 days ago."""
    workspace = build_workspace(tmp_path)
    outcome = {
        "pipe_id": "P-0000",
        "result": "leak_found",
        "leak_kind": "joint",
        "flow_m3_per_h": 3.0,
        "inspected_on": REPAIRED - dt.timedelta(days=2),
        "repair_date": REPAIRED,
    }
    writes.record_outcome(workspace, "erin", outcome, idempotency_key="leak-1")
    return workspace


def night_flows(zone: str, before: float, after: float) -> bytes:
    """A telemetry export: ``before`` m³/h each night until the repair, ``after`` since."""
    days = pd.date_range(REPAIRED - dt.timedelta(days=30), TODAY - dt.timedelta(days=1))
    flow = np.where(days < pd.Timestamp(REPAIRED), before, after)
    table = pd.DataFrame(
        {"zone": zone, "date": days.strftime("%Y-%m-%d"), "min_night_flow_m3_per_h": flow}
    )
    return table.to_csv(index=False).encode()


def zone_of(workspace, pipe_id: str = "P-0000") -> str:
    return str(load_workspace(workspace).pipes.set_index("pipe_id").loc[pipe_id, "pressure_zone"])


def test_a_drop_of_night_flow_like_the_leaks_flow_bears_the_estimate_out(workspace, run):
    zone = zone_of(workspace)
    pipes = load_workspace(workspace).pipes
    load = save_night_flow(
        workspace, night_flows(zone, 12.0, 9.2), pipes, by="marc", name="scada.csv"
    )
    assert (load.rows, load.nights, load.zones) == (70, 70, 1)
    assert load.words("en") == "70 rows of night flows loaded from scada.csv."
    assert night_flow_file(workspace).is_file()
    leaks = workspace_impact(workspace)["leaks"]
    check = workspace_night_flow(workspace, leaks, pipes)
    assert check[["zone", "leaks_repaired", "observed_drop_m3_per_h"]].values.tolist() == [
        [zone, 1, pytest.approx(2.8)]
    ]
    (said,) = night_flow_words(check, "en")
    assert said == (
        f"Zone {zone}: 1 leak repaired, estimated at 3 m³/h; the minimum night flow went from "
        "12 m³/h in the 28 days before its repair to 9.2 m³/h in the 28 days after (medians). "
        "A drop of 2.8 m³/h, 93% of the estimate: the meters bear it out."
    )
    # one answer: risk savings reads the project's file and says the same
    code, out, err = run("savings", workspace)
    assert code == 0, err
    assert "Checked against the meters (night flows):" in out and said in out
    # ... and the manager's Impact page, in French
    at = app_as(workspace, "marc", "impact", lang="fr")
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert night_flow_words(check, "fr")[0] in shown
    assert "les compteurs la confirment" in shown


def test_no_drop_or_no_file_is_said_not_hidden(workspace, run):
    pipes = load_workspace(workspace).pipes
    leaks = workspace_impact(workspace)["leaks"]
    assert workspace_night_flow(workspace, leaks, pipes) is None
    assert night_flow_words(None, "en")[0].startswith("No night flows loaded yet")
    save_night_flow(workspace, night_flows(zone_of(workspace), 12.0, 12.5), pipes, by="marc")
    (said,) = night_flow_words(workspace_night_flow(workspace, leaks, pipes), "en")
    assert said.endswith(
        "The night flow did not fall (it rose by 0.5 m³/h): the meters do not show these "
        "repairs. Other leaks, or more use at night?"
    )


def test_a_bad_export_is_refused_and_the_file_in_use_kept(workspace):
    pipes = load_workspace(workspace).pipes
    good = night_flows(zone_of(workspace), 12.0, 9.0)
    save_night_flow(workspace, good, pipes, by="marc", name="october.csv")
    wrong_zone = night_flows("NOWHERE", 12.0, 9.0)
    with pytest.raises(InputError, match="NOWHERE"):
        save_night_flow(workspace, wrong_zone, pipes, by="marc", name="november.csv")
    with pytest.raises(DataContractError, match="x.csv: is not UTF-8"):
        save_night_flow(workspace, b"zone,date,\xe9\n", pipes, by="marc", name="x.csv")
    kept = pd.read_csv(night_flow_file(workspace))  # the last good one, whole, as checked
    pd.testing.assert_frame_equal(kept, pd.read_csv(io.BytesIO(good)))
    lines = audit_for_people(store_location(workspace), "en", kind="night_flows")
    assert lines["What"].tolist() == ["loaded night flows (october.csv, 70 rows)"]


def test_a_network_without_pressure_zones_is_told_the_fix(tmp_path):
    workspace = build_workspace(tmp_path)
    pipes = load_workspace(workspace).pipes.drop(columns=["pressure_zone"])
    with pytest.raises(InputError, match=r"no pressure zone.*\[pipes.columns\].* as pressure_zone"):
        save_night_flow(workspace, night_flows("haut", 10.0, 9.0), pipes, by="marc")


def test_a_spreadsheets_csv_utf8_on_a_french_computer_reads_the_same_night_flows(workspace):
    """Excel's "CSV UTF-8" on a French computer: a BOM, semicolons, decimal commas and
    day/month/year dates. Read as written, the same check as the plain export's."""
    pipes = load_workspace(workspace).pipes
    leaks = workspace_impact(workspace)["leaks"]
    plain = night_flows(zone_of(workspace), 12.5, 9.25)
    table = pd.read_csv(io.BytesIO(plain))
    table["date"] = pd.to_datetime(table["date"]).dt.strftime("%d/%m/%Y")
    french = "\ufeff" + table.to_csv(index=False, sep=";", decimal=",")
    assert "12,5" in french and ";" in french.splitlines()[0]
    save_night_flow(workspace, french.encode(), pipes, by="marc", name="débits.csv")
    check_french = workspace_night_flow(workspace, leaks, pipes)
    save_night_flow(workspace, plain, pipes, by="marc", name="flows.csv")
    check_plain = workspace_night_flow(workspace, leaks, pipes)
    pd.testing.assert_frame_equal(check_french, check_plain)
    assert check_plain["observed_drop_m3_per_h"].iloc[0] == pytest.approx(3.25)


def meter_readings(zone: str, before: float, after: float) -> bytes:
    """A meter's readings every 15 minutes: the day's draw on top of the night's minimum
    (``before`` until the repair, ``after`` since), one noisy reading low at 3:15."""
    times = pd.date_range(
        pd.Timestamp(REPAIRED - dt.timedelta(days=30)), pd.Timestamp(TODAY), freq="15min"
    )[:-1]
    base = np.where(times < pd.Timestamp(REPAIRED), before, after)
    hour = times.hour + times.minute / 60
    flow = np.asarray(base + 20 * np.clip(np.sin((hour - 5) / 19 * np.pi), 0, None) + 0.5)
    flow[(times.hour == 3) & (times.minute == 15)] -= 1.0  # one reading: the hour's mean evens it
    table = pd.DataFrame(
        {"zone": zone, "date": times.strftime("%Y-%m-%d %H:%M"), "flow_m3_per_h": flow}
    )
    return table.to_csv(index=False).encode()


def test_a_meters_readings_through_the_day_give_each_nights_minimum(workspace, run):
    """A SCADA export of the zone's inflow every 15 minutes, not the night's minimum: read
    as daily night flows, their median mixed the day's draw in (and said nothing). Each
    night's minimum is the lowest hourly mean between 0:00 and 6:00: the same check as the
    file of minimums, and it says where the night flows come from."""
    zone = zone_of(workspace)
    pipes = load_workspace(workspace).pipes
    leaks = workspace_impact(workspace)["leaks"]
    readings = meter_readings(zone, 12.0, 9.2)
    load = save_night_flow(workspace, readings, pipes, by="marc", name="scada-15min.csv")
    assert load.rows == 70 * 96
    kept = pd.read_csv(night_flow_file(workspace))  # each night's minimum, not 6,720 readings
    assert kept.columns.tolist() == ["zone", "date", "min_night_flow_m3_per_h", "readings"]
    assert len(kept) == 70 and set(kept["readings"]) == {24}  # 0:00-6:00 every 15 minutes
    assert load.words("fr") == (
        "6\u202f720 relevés de compteur chargés depuis scada-15min.csv : le débit minimum de "
        "70 nuits dans 1 zone."
    )
    check = workspace_night_flow(workspace, leaks, pipes)
    assert check["night_flow_before"].iloc[0] == pytest.approx(12.25, abs=0.01)
    assert check["observed_drop_m3_per_h"].iloc[0] == pytest.approx(2.8, abs=0.01)
    said = night_flow_words(check, "en")
    assert said[0] == (
        "Night flows computed from the meters' readings: each night's minimum is the lowest "
        "hourly mean between 0:00 and 6:00."
    )
    assert "the meters bear it out" in said[1]
    assert "entre 0 h et 6 h" in night_flow_words(check, "fr")[0]
    code, out, err = run("savings", workspace)
    assert code == 0, err
    assert said[0] in out and said[1] in out


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (  # readings under the name of the night's minimum: two values for one night
            "zone,date,min_night_flow_m3_per_h\n{z},2026-11-01 02:00,12\n{z},2026-11-01 14:00,30\n",
            r"1 row gives a second night flow for a zone and night already given \(data row 2; "
            r"zone {z} on Nov 1, 2026\).*name their column flow_m3_per_h",
        ),
        (  # readings without a time of day
            "zone,date,flow_m3_per_h\n{z},2026-11-01,12\n{z},2026-11-02,30\n",
            r"the readings \(flow_m3_per_h\) carry no time of day",
        ),
        (  # the day's readings only
            "zone,date,flow_m3_per_h\n{z},2026-11-01 08:00,30\n{z},2026-11-01 20:00,25\n",
            r"no reading falls in the night \(0:00 to 6:00; the readings run from 08:00 to 20:00",
        ),
    ],
)
def test_readings_that_give_no_nights_minimum_are_refused_with_the_fix(workspace, text, said):
    zone = zone_of(workspace)
    pipes = load_workspace(workspace).pipes
    with pytest.raises(InputError, match=said.replace("{z}", zone)):
        save_night_flow(
            workspace, text.replace("{z}", zone).encode(), pipes, by="marc", name="m.csv"
        )
    assert not night_flow_file(workspace).exists()


def test_night_flows_whose_dates_read_either_way_load_once_the_person_says_which(workspace, run):
    """A telemetry export of 1-12 November written day/month/year: no day above 12, so the
    file does not say whether 03/11 is the 3rd of November or the 11th of March. Refused,
    then loaded when the manager says day first, and kept with ISO dates: every later
    reading (the page, risk savings) reads the same nights without asking again."""
    pipes = load_workspace(workspace).pipes
    zone = zone_of(workspace)
    text = "zone;date;min_night_flow_m3_per_h\n" + "".join(
        f"{zone};{day:02d}/11/2025;{12 + day / 10:.1f}\n".replace(".", ",") for day in range(1, 13)
    )
    with pytest.raises(InputError, match=r"does not tell whether '01/11/2025' is"):
        save_night_flow(workspace, text.encode(), pipes, by="marc", name="nov.csv")
    assert not night_flow_file(workspace).exists()
    save_night_flow(workspace, text.encode(), pipes, by="marc", name="nov.csv", day_first=True)
    kept = pd.read_csv(night_flow_file(workspace))
    assert kept["date"].tolist() == [f"2025-11-{day:02d}" for day in range(1, 13)]
    assert kept["min_night_flow_m3_per_h"].tolist()[:2] == [12.1, 12.2]
    leaks = workspace_impact(workspace)["leaks"]
    assert workspace_night_flow(workspace, leaks, pipes) is not None  # read back, no question
    # the command line asks the same question of a file it is given
    given = workspace.parent / "nov.csv"
    given.write_text(text, encoding="utf-8")
    code, _, err = run("savings", workspace, "--night-flow", given)
    assert code == 2 and "does not tell whether '01/11/2025' is" in err
    code, out, err = run("savings", workspace, "--night-flow", given, "--day-first")
    assert code == 0, err
    assert "Checked against the meters (night flows):" in out
