"""Water saved, checked against the meters: the district minimum night flows of a workspace.

A repaired leak stops flowing day and night; at night, when almost nobody draws water, the
flow that enters a pressure zone falls by about the leaks' flow. The utility's telemetry
(SCADA) exports it per zone and night; this module keeps that export in the workspace and
compares it with the flows the crews estimated (:func:`risk.savings.water.verify_with_night_flow`).

>>> check = workspace_night_flow("data/workspace/town", leaks, pipes)  # doctest: +SKIP
>>> night_flow_words(check, "fr")  # doctest: +SKIP

- ``<workspace>/night_flow.csv`` (:data:`NIGHT_FLOW_FILE`): ``zone``, ``date``,
  ``min_night_flow_m3_per_h``, one row per zone and night; zones are the network's
  ``pressure_zone``. :func:`save_night_flow` checks an export (the Impact page's upload)
  before it replaces the file, whole, with a line in the audit log; a refused file leaves
  the last one in place. It keeps the night flows as checked (ISO dates, commas): a
  meter's readings through the day as each night's minimum computed from them
  (:func:`risk.savings.water.nightly_minimum`), with the count of ``readings`` a night, so
  the page reads a few thousand rows, not a year of readings.
- The Impact page and ``risk savings`` both call :func:`workspace_night_flow` and
  :func:`night_flow_words`: the same check, the same sentences.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from risk.errors import Term, keyed
from risk.savings.water import (
    NIGHT_FLOW_COLUMNS,
    NIGHT_HOURS,
    check_night_flow,
    verify_with_night_flow,
)

NIGHT_FLOW_FILE = "night_flow.csv"
#: The start of a night-flow file, as the Impact page shows it.
#: The header of a night-flow file, as refusals show it.
NIGHT_FLOW_HEADER = "zone,date,min_night_flow_m3_per_h"
EXAMPLE = "zone,date,min_night_flow_m3_per_h\nHAUTE,2026-11-01,12.5\nHAUTE,2026-11-02,12.1"
#: Days of night flow compared before the first repair and after the last (medians).
WINDOW_DAYS = 28
#: The meters bear an estimate out when the drop is between these shares of it.
AGREES = (0.5, 2.0)


def night_flow_file(workspace: str | Path) -> Path:
    """Where a workspace keeps its night flows."""
    return Path(workspace) / NIGHT_FLOW_FILE


def pipe_zones(pipes: pd.DataFrame) -> pd.DataFrame:
    """``pipe_id`` and ``zone`` (the network's ``pressure_zone``); :class:`InputError` when
    the network gives no zone, with the fix: night flows are measured per zone."""
    zones = pipes["pressure_zone"] if "pressure_zone" in pipes else None
    if zones is None or zones.isna().all():
        raise keyed("error.night.no_pressure_zone")
    return pd.DataFrame({"pipe_id": pipes["pipe_id"].astype(str), "zone": zones})


def workspace_night_flow(
    workspace: str | Path,
    leaks: pd.DataFrame,
    pipes: pd.DataFrame | None = None,
    *,
    file=None,
    day_first: bool | None = None,
) -> pd.DataFrame | None:
    """The check of the repaired ``leaks`` (``leak_savings``' table, as in
    ``workspace_impact(...)["leaks"]``) against the workspace's night flows (or ``file``),
    per zone; None when the workspace has none. ``pipes``: the network's, read from the
    workspace when not given (and only when there are night flows to check); ``day_first``:
    how the file's dates that read either way are written, as the person says. A bad file
    raises :class:`InputError`."""
    from risk.csvsafe import read_table

    path = Path(file) if file is not None else night_flow_file(workspace)
    if not path.is_file():
        if file is not None:
            raise keyed("error.no_file", file=str(path), expected=Term("error.night.a_csv"))
        return None
    if pipes is None:
        from risk.workspace import load_workspace

        pipes = load_workspace(workspace).pipes
    repaired = leaks[leaks["repaired"]] if "repaired" in leaks else leaks
    return verify_with_night_flow(
        repaired,
        read_table(path, example=NIGHT_FLOW_HEADER),
        pipe_zones(pipes),
        window_days=WINDOW_DAYS,
        source=path,
        day_first=day_first,
    )


@dataclass(frozen=True)
class NightFlowLoad:
    """What a load of night flows (:func:`save_night_flow`) gave."""

    #: the file's name, as the person chose it
    file: str
    #: its rows (readings or nights' minimums)
    rows: int
    #: the zone-nights kept
    nights: int
    #: the zones they are in
    zones: int
    #: the file held a meter's readings through the day, not each night's minimum
    from_readings: bool

    def words(self, lang: str = "en") -> str:
        """The load in one sentence in ``lang``: its rows, and for a meter's readings the
        nights they made."""
        from risk.i18n import plural

        if not self.from_readings:
            return plural("impact.night_loaded", self.rows, lang, file=self.file)
        return plural(
            "impact.night_loaded_readings",
            self.rows,
            lang,
            file=self.file,
            nights=plural("count.nights", self.nights, lang),
            zones=plural("count.zones", self.zones, lang),
        )


def save_night_flow(
    workspace: str | Path,
    data: bytes,
    pipes: pd.DataFrame,
    *,
    by: str,
    name: str = "",
    day_first: bool | None = None,
) -> NightFlowLoad:
    """Check the night-flow export ``data`` (the bytes of a CSV, ``name`` its file name for
    the messages) and make it the workspace's night flows; returns what it loaded. Refused
    with :class:`InputError` (or ``DataContractError``), the workspace's file unchanged, when
    it cannot be read or checked (:func:`risk.savings.water.check_night_flow`; ``day_first``:
    how its dates read either way, 03/12/2026, as the person said). ``by``: who loads it, in
    the audit log. The workspace keeps the night flows as checked: each zone's minimum a
    night with ISO dates (and, from a meter's readings, their count a night), so every page
    and command reads them the same way, whatever the export's separators and dates."""
    from risk.csvsafe import read_table, write_csv

    target = night_flow_file(workspace)
    file = Path(name).name or NIGHT_FLOW_FILE
    with tempfile.TemporaryDirectory(prefix="risk-night-") as scratch:
        copy = Path(scratch) / file
        if copy.suffix.lower() != ".csv":
            copy = copy.with_suffix(".csv")
        copy.write_bytes(data)
        table = read_table(copy, example=NIGHT_FLOW_HEADER, name=Path(name).name or None)
        nights = check_night_flow(table, pipe_zones(pipes), source=copy.name, day_first=day_first)
        kept = nights.assign(date=nights["date"].dt.strftime("%Y-%m-%d"))
        columns = [*NIGHT_FLOW_COLUMNS, "readings"] if "readings" in kept else NIGHT_FLOW_COLUMNS
        write_csv(kept[list(columns)], target)  # atomically: the old file or the new one
    _note(workspace, by, {"file": file, "rows": len(table)})
    return NightFlowLoad(
        file, len(table), len(kept), int(kept["zone"].nunique()), "readings" in kept
    )


def _note(workspace, by: str, details: dict) -> None:
    from risk.auth import store_location
    from risk.store import OutcomeStore

    with OutcomeStore(store_location(workspace)) as store:
        store.note_workspace_event("night_flow", user=by, details=details)


def night_flow_words(check: pd.DataFrame | None, lang: str = "en") -> list[str]:
    """The check per zone in sentences in ``lang``: the leaks repaired and their estimated
    flow, the night flow before and after, and whether the meters bear it out."""
    from risk.i18n import format_flow, format_percent, plural, t

    if check is None:
        return [t("night.none", lang)]
    if not len(check):
        return [t("night.no_repairs", lang)]
    said = []
    if "from_readings" in check and check["from_readings"].any():
        start, end = NIGHT_HOURS
        said.append(t("night.from_readings", lang, start=start, end=end))
    for row in check.itertuples():
        n = int(row.leaks_repaired)
        estimated = format_flow(row.estimated_flow_m3_per_h, lang)
        if np.isnan(row.observed_drop_m3_per_h):
            said.append(
                plural("night.no_data", n, lang, zone=row.zone, estimated=estimated,
                       days=WINDOW_DAYS)
            )  # fmt: skip
            continue
        drop, ratio = float(row.observed_drop_m3_per_h), float(row.observed_over_estimated)
        if drop <= 0:
            verdict = t("night.not_seen", lang, rise=format_flow(-drop, lang))
        elif AGREES[0] <= ratio <= AGREES[1]:
            verdict = t("night.agrees", lang, drop=format_flow(drop, lang),
                        share=format_percent(ratio, lang))  # fmt: skip
        elif ratio < AGREES[0]:
            verdict = t("night.less", lang, drop=format_flow(drop, lang),
                        share=format_percent(ratio, lang))  # fmt: skip
        else:
            verdict = t("night.more", lang, drop=format_flow(drop, lang),
                        share=format_percent(ratio, lang))  # fmt: skip
        said.append(
            plural(
                "night.zone", n, lang, zone=row.zone, estimated=estimated,
                before=format_flow(row.night_flow_before, lang),
                after=format_flow(row.night_flow_after, lang), days=WINDOW_DAYS,
            )
            + " "
            + verdict
        )  # fmt: skip
    return said
