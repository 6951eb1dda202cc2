"""Dispatch: turn risk scores into per-crew, per-day inspection lists in a sensible order.

>>> plan = plan_inspections(scores, pipes, crews, start=date(2026, 11, 23))  # doctest: +SKIP

The riskiest pipes that are not excluded are taken, in the model's inspection rank, until the
crews' capacity is used; they are then split into compact geographic groups, one per crew
and working day (recursive bisection of the map, weighted by each day's capacity), and each
group is put in a nearest-neighbour visiting order. Without geometry, groups follow the
pressure zone and the rank. A pipe the GIS drew no line for, in a network that has lines,
goes with the last group of the split and is visited last in its day; its crew sheet says
to find it on the utility's plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from risk.csvsafe import read_csv_rows, read_number
from risk.dispatch.workdays import working_days
from risk.errors import InputError, Term, keyed
from risk.i18n import DEFAULT_LANGUAGE, has, t
from risk.textrules import identifier_reason


def look_for(material, lang: str = DEFAULT_LANGUAGE) -> str:
    """What to look for on a material, in ``lang``; empty for a material without advice.

    The words are in the catalogues, keys ``look_for.<material>``; what to check on every
    pipe (``look_for.general``) is printed once per sheet, not on every row.
    """
    if not isinstance(material, str):  # unknown (NA): a pipe the network no longer lists
        return ""
    key = f"look_for.{material}"
    return t(key, lang) if material != "general" and has(key) else ""


def plan_advice(material, lang: str = DEFAULT_LANGUAGE) -> str:
    """The ``look_for`` column of a plan file: the material's advice, then what to check on
    every pipe, in ``lang``.

    >>> plan_advice("unknown stuff", "en") == t("look_for.general", "en")
    True
    """
    advice = look_for(material, lang) if isinstance(material, str) else ""
    general = t("look_for.general", lang)
    return f"{advice}. {general}" if advice else general


@dataclass(frozen=True)
class Crew:
    """A field crew: what it can check in one working day, and which days it works.

    Parameters
    ----------
    name : str
    km_per_day : float, optional
        Length of pipe the crew can survey in a day, in kilometres.
    checks_per_day : int, optional
        Number of pipes the crew can check in a day (used when ``km_per_day`` is not given).
    days : tuple of date
        The crew's working days.
    """

    name: str
    days: tuple[date, ...]
    km_per_day: float | None = None
    checks_per_day: int | None = None

    def __post_init__(self):
        name = str(self.name).strip()
        if not name:
            raise keyed("error.crew.name_empty")
        if (reason := identifier_reason(name)) is not None:
            raise keyed(
                "error.crew.name_bad", value=name[:60], reason=reason, rule=Term("admin.new.rule")
            )
        if (self.km_per_day is None) == (self.checks_per_day is None):
            raise keyed("error.crew.one_capacity", crew=name)
        capacity = self.km_per_day if self.km_per_day is not None else self.checks_per_day
        if not capacity > 0:
            raise keyed("error.crew.capacity_zero", crew=name, capacity=capacity)
        if not self.days:
            raise keyed("error.crew.no_days", crew=name)


#: The columns of a crews file; ``days`` is optional.
CREW_COLUMNS = ("name", "km_per_day", "checks_per_day", "days")
#: More than this a day is not a crew's walk or drive (a capacity in metres, a typo).
MAX_KM_PER_DAY = 100.0
MAX_CHECKS_PER_DAY = 1_000


def read_crews(path, *, start: date, n_days: int, closed=()) -> list[Crew]:
    """Read crews from a CSV with ``name`` (or ``crew``, as the rounds call it, or the
    column's words in a language of the catalogues: "Équipe") and ``km_per_day`` or
    ``checks_per_day`` ("km par jour").

    An optional ``days`` column lists working days as ``2026-11-23;2026-11-24``; crews
    without it work the next ``n_days`` weekdays from ``start``, less the ``closed`` days
    (:func:`risk.dispatch.workdays.working_days`). The file is read strictly
    (:func:`risk.csvsafe.read_csv_rows`; semicolons between columns and decimal commas are
    read): a file that is not UTF-8, is empty or has broken quoting raises
    ``DataContractError`` (a ``ValueError``) naming the file and line. A column the file
    should not have (``dayz``: the crews would work the default days without a word), no
    crew, one crew on two rows (read as one crew of twice the capacity), a capacity that is
    not a number, not whole for checks, not above 0 or beyond what a crew does in a day, one
    crew in km and another in checks, and a day that is not a date raise ``InputError``
    naming the file and the rows, with the fix (catalogue keys ``error.crews.*``: a page
    says them in its reader's language).
    """
    if not Path(path).is_file():
        raise keyed("error.crews.no_file", file=str(path))
    columns, rows = read_csv_rows(
        path, layer="crews", example="name,km_per_day", columns=CREW_COLUMNS
    )  # "crew" as the rounds call it, "Équipe", "km/jour": the columns' words
    no_name = "name" not in columns
    no_capacity = "km_per_day" not in columns and "checks_per_day" not in columns
    if no_name or no_capacity:
        what = "name_capacity" if no_name and no_capacity else "name" if no_name else "capacity"
        raise keyed(f"error.crews.no_{what}", file=str(path), found=", ".join(columns) or "–")
    other = [c for c in columns if c not in CREW_COLUMNS]
    if other:
        import difflib

        meant = {c: difflib.get_close_matches(c, CREW_COLUMNS, n=1, cutoff=0.75) for c in other}
        guesses = ", ".join(f"'{meant[c][0]}'" for c in other if meant[c])
        raise keyed(
            "error.crews.other_columns_meant" if guesses else "error.crews.other_columns",
            file=str(path),
            columns=", ".join(f"'{c}'" for c in other),
            meant=guesses,
        )
    if not rows:
        raise keyed("error.crews.header_alone", file=str(path))
    twice = crews_named_twice([row.get("name") for row in rows])
    if twice:
        name, (first, second) = twice[0]
        raise keyed(
            "error.crews.twice", file=str(path), first=first + 2, second=second + 2, name=name
        )
    days_format = _days_format(rows, path)
    crews = []
    for row_number, row in enumerate(rows, start=1):
        name = str(row.get("name") or "").strip()
        where = {"file": str(path), "line": row_number + 1, "crew": name}
        days = (
            _crew_days(row["days"], where, days_format)
            if row.get("days")
            else working_days(start, n_days, closed)
        )
        km = _capacity(row.get("km_per_day"), "km_per_day", where, whole=False)
        checks = _capacity(row.get("checks_per_day"), "checks_per_day", where, whole=True)
        try:
            crews.append(Crew(row["name"], days, km_per_day=km, checks_per_day=checks))
        except InputError as exc:  # said inside the sentence naming the file and line
            raise keyed("error.crews.row", **where, problem=exc) from exc
    units = {"km_per_day" if c.km_per_day is not None else "checks_per_day" for c in crews}
    if len(units) > 1:
        raise keyed("error.crews.mixed_units", file=str(path))
    return crews


def crews_named_twice(names) -> list[tuple[str, tuple[int, int]]]:
    """Crew names given on two rows (whatever their case and spaces), with the positions of
    the first two rows, in order: one crew on two rows is planned as one crew of twice the
    capacity. The rule of the crews file and of the Dispatch page's table.

    >>> crews_named_twice(["Nord", "Sud", " nord"])
    [('nord', (0, 2))]
    """
    first: dict[str, int] = {}
    twice = []
    for position, name in enumerate(names):
        text = str(name or "").strip()
        same = " ".join(text.casefold().split())
        if not same:
            continue
        if same in first:
            twice.append((text, (first[same], position)))
        else:
            first[same] = position
    return twice


def _capacity(value, column: str, where: dict, *, whole: bool) -> float | int | None:
    """A crew's capacity read from its cell, or None when empty; a problem raises
    ``InputError`` naming ``where`` (file, line, crew) and the fix."""
    text = str(value or "").strip()
    if not text:
        return None
    said = {**where, "column": column, "value": repr(text)}
    number = read_number(text)  # 3,5 as a spreadsheet on a French computer writes it
    if number is None:
        raise keyed("error.crews.not_number", **said)
    if whole and number != int(number):
        raise keyed("error.crews.not_whole", **said)
    if not 0 < number <= (MAX_CHECKS_PER_DAY if whole else MAX_KM_PER_DAY):
        if whole:
            raise keyed("error.crews.too_many_checks", **said, limit=MAX_CHECKS_PER_DAY)
        raise keyed("error.crews.too_many_km", **said, limit=f"{MAX_KM_PER_DAY:g}")
    return int(number) if whole else number


def _days_format(rows: list[dict], path) -> str | None:
    """How the crews file writes its days: None for ISO, else the one common format every
    day is written in (:func:`risk.dates.read_file_dates`, the rule of every file's dates:
    ``23/11/2026`` on a French computer); a file mixing formats or whose days read either
    way round raises ``InputError`` with both readings."""
    from risk.dates import read_file_dates

    parts = [p.strip() for row in rows for p in str(row.get("days") or "").split(";")]
    parts = [p for p in parts if p]
    if not parts:
        return None
    read = read_file_dates(pd.Series(parts, dtype=object))
    if not (read.mixed or read.ambiguous):
        return read.formats[0] if read.formats else None
    formats = read.format_terms()
    if read.mixed:
        raise keyed("error.crews.days_mixed", file=str(path), formats=formats)
    value, first, second = read.first_two_readings()
    raise keyed(
        "error.crews.days_ambiguous",
        file=str(path),
        formats=formats,
        value=repr(value),
        first=first.date(),
        second=second.date(),
    )


def _crew_days(text: str, where: dict, date_format: str | None = None) -> tuple[date, ...]:
    """The working days of a ``days`` cell (``2026-11-23;2026-11-24``; in ``date_format``
    when given, the file's: :func:`_days_format`)."""
    days = []
    for part in str(text).split(";"):
        if not part.strip():
            continue
        try:
            if date_format is None:
                days.append(date.fromisoformat(part.strip()))
            else:
                days.append(pd.to_datetime(part.strip(), format=date_format).date())
        except ValueError:
            raise keyed("error.crews.day_not_date", **where, value=repr(part.strip())) from None
    return tuple(days)


#: A pipe inspected within this many days before a round is not planned again.
DEFAULT_RECENT_DAYS = 365


def planned_already(assignments: pd.DataFrame, pipe_ids=None) -> pd.DataFrame:
    """The assignments still ``planned`` (not done, not cancelled), of ``pipe_ids`` when
    given: a pipe is planned once. The rule of :func:`inspection_exclusions` (such pipes are
    left out of a new round) and of :func:`risk.outcomes.writes.assign` (a round holding one
    is refused, or moves it when asked).

    >>> rounds = pd.DataFrame({"pipe_id": ["P1", "P2", "P3"], "round_id": "r1",
    ...                        "status": ["planned", "done", "planned"]})
    >>> planned_already(rounds, ["P1", "P2"])["pipe_id"].tolist()
    ['P1']
    """
    if assignments is None or not len(assignments):
        return pd.DataFrame(columns=["pipe_id", "round_id", "status"])
    planned = assignments[assignments["status"] == "planned"]
    if pipe_ids is not None:
        planned = planned[planned["pipe_id"].astype(str).isin({str(p) for p in pipe_ids})]
    return planned


def inspection_exclusions(
    outcomes: pd.DataFrame,
    assignments: pd.DataFrame,
    *,
    start: date,
    recent_days: int = DEFAULT_RECENT_DAYS,
    exclude_planned: bool = True,
) -> pd.DataFrame:
    """Pipes a round starting on ``start`` must not plan: the one rule of the command line
    (``risk dispatch``), the Dispatch page and ``risk demo``.

    - **inspected recently**: an outcome "leak found" or "nothing found" within ``recent_days``
      days before ``start``. "No access" is not an inspection: the pipe still needs one.
    - **already planned**: an assignment still ``planned`` (``exclude_planned``).

    Returns ``pipe_id`` and ``reason`` (``inspected_recently`` or ``already_planned``), one
    row per pipe.
    """
    if recent_days < 0:
        raise keyed("error.plan.recent_days", days=recent_days)
    parts = []
    if len(outcomes):
        since = pd.Timestamp(start) - pd.Timedelta(days=recent_days)
        dates = pd.to_datetime(outcomes["inspected_on"])
        inspected = outcomes[(outcomes["result"] != "no_access") & (dates >= since)]
        parts.append(
            pd.DataFrame({"pipe_id": inspected["pipe_id"], "reason": "inspected_recently"})
        )
    if exclude_planned and len(assignments):
        planned = planned_already(assignments)
        parts.append(pd.DataFrame({"pipe_id": planned["pipe_id"], "reason": "already_planned"}))
    if not parts:
        return pd.DataFrame({"pipe_id": pd.Series(dtype=str), "reason": pd.Series(dtype=str)})
    table = pd.concat(parts, ignore_index=True).astype({"pipe_id": str})
    return table.drop_duplicates("pipe_id").reset_index(drop=True)


def plan_inspections(
    scores: pd.DataFrame,
    pipes: pd.DataFrame,
    crews: list[Crew],
    *,
    exclude: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per crew and day, the pipes to inspect and in which order.

    Parameters
    ----------
    scores : DataFrame
        ``pipe_id``, ``rank`` (1 = inspect first) and ``expected_failures``; ``probability``
        and ``top_reasons`` are carried to the lists when present. With ``unit_id`` and
        ``unit_order`` (as ``risk score`` writes them) whole inspection units are planned,
        their pipes one after the other in walking order, and a unit counts as one check.
    pipes : DataFrame or GeoDataFrame
        Canonical pipes (``pipe_id``, ``length_m``, ``material``, ...), with geometry when
        available.
    crews : list of Crew
    exclude : DataFrame, optional
        ``pipe_id`` and ``reason`` (inspected recently, already scheduled, out of service):
        these pipes are not planned.

    Returns
    -------
    DataFrame (GeoDataFrame with geometry)
        One row per planned inspection: ``crew``, ``date``, ``visit_order``, ``pipe_id``,
        ``unit_id`` and ``unit_order`` (with units), ``rank``, ``probability``, ``expected_failures``, ``length_m``, ``material``,
        ``diameter_mm``, ``install_year``, ``top_reasons``, ``look_for``.
    """
    if not crews:
        raise keyed("error.plan.no_crews")
    missing = {"pipe_id", "rank", "expected_failures"} - set(scores.columns)
    if missing:
        raise keyed("error.plan.scores_columns", columns=", ".join(sorted(missing)))
    by_km = crews[0].km_per_day is not None
    if any((c.km_per_day is not None) != by_km for c in crews):
        raise keyed("error.plan.mixed_units")

    attributes = [
        c
        for c in ("pipe_id", "length_m", "material", "diameter_mm", "install_year", "pressure_zone")
        if c in pipes
    ]
    scores = scores.drop(columns=[c for c in attributes if c != "pipe_id" and c in scores])
    table = scores.merge(pd.DataFrame(pipes[attributes]), on="pipe_id", how="inner")
    if exclude is not None and len(exclude):
        table = table[~table["pipe_id"].isin(exclude["pipe_id"])]
    # The item a crew inspects: the pipe's inspection unit when scores carry units (whole
    # units are planned, in walking order), else the pipe itself.
    table["_item"] = table["unit_id"] if "unit_id" in table else table["pipe_id"]
    table["_item"] = table["_item"].fillna(table["pipe_id"]).astype(str)
    within = table["unit_order"] if "unit_order" in table else pd.Series(1, index=table.index)
    table["_within"] = within.fillna(1).to_numpy()
    if not by_km:
        item_expected = table.groupby("_item")["expected_failures"].transform("sum")
        table = table.assign(_key=-item_expected).sort_values(["_key", "_item", "_within"])
    else:
        table = table.sort_values(["rank", "pipe_id"])

    slots = [
        (crew.name, day, crew.km_per_day or crew.checks_per_day)
        for crew in crews
        for day in crew.days
    ]
    capacity = sum(s[2] for s in slots)
    table["_cost"] = table["length_m"].fillna(0).to_numpy() / 1000.0 if by_km else 0.0
    items = table.groupby("_item", sort=False).agg(
        _cost=("_cost", "sum"), rank=("rank", "min"), pipe_id=("_item", "first")
    )
    if not by_km:
        items["_cost"] = 1.0  # one check per unit
    if "pressure_zone" in table:
        items["pressure_zone"] = table.groupby("_item", sort=False)["pressure_zone"].first()
    items = items[np.cumsum(items["_cost"].to_numpy()) <= capacity + 1e-9].copy()
    chosen = table[table["_item"].isin(items.index)].copy()

    has_geometry = isinstance(pipes, gpd.GeoDataFrame)
    if has_geometry and len(chosen):
        geometry = pipes.set_index("pipe_id").geometry.reindex(chosen["pipe_id"]).to_numpy()
        points = shapely.line_interpolate_point(geometry, 0.5, normalized=True)
        chosen["_x"], chosen["_y"] = shapely.get_x(points), shapely.get_y(points)
        centre = chosen.groupby("_item")[["_x", "_y"]].mean()
        items[["_x", "_y"]] = centre.reindex(items.index).to_numpy()
        groups = _bisect(items, list(range(len(slots))), [s[2] for s in slots])
    else:
        groups = _fill_in_order(items, [s[2] for s in slots])

    rows = []
    for slot, index in groups.items():
        if not len(index):
            continue
        group_items = items.loc[index]
        if has_geometry:
            tour = _visiting_order(group_items["_x"].to_numpy(), group_items["_y"].to_numpy())
            group_items = group_items.iloc[tour]
        stop = pd.Series(np.arange(len(group_items)), index=group_items.index)
        group = chosen[chosen["_item"].isin(group_items.index)]
        group = group.assign(_stop=group["_item"].map(stop)).sort_values(["_stop", "_within"])
        crew, day, _ = slots[slot]
        group = group.assign(
            crew=crew, date=pd.Timestamp(day), visit_order=np.arange(1, len(group) + 1)
        )
        rows.append(group)
    plan = (
        pd.concat(rows, ignore_index=True)
        if rows
        else chosen.iloc[:0].assign(crew="", date=pd.NaT, visit_order=0)
    )
    plan["look_for"] = [plan_advice(m) for m in plan["material"]] if len(plan) else ""
    columns = [
        "crew", "date", "visit_order", "pipe_id", "unit_id", "unit_order", "rank", "probability",
        "expected_failures", "length_m", "material", "diameter_mm", "install_year", "pressure_zone", "top_reasons", "look_for",
    ]  # fmt: skip
    plan = plan[[c for c in columns if c in plan]].sort_values(["crew", "date", "visit_order"])
    plan = plan.reset_index(drop=True)
    if has_geometry:
        geometry = pipes.set_index("pipe_id").geometry.reindex(plan["pipe_id"]).to_numpy()
        plan = gpd.GeoDataFrame(plan, geometry=geometry, crs=pipes.crs)
    return plan


def _bisect(chosen: pd.DataFrame, slots: list[int], capacities: list[float]) -> dict[int, pd.Index]:
    """Split the chosen pipes into one compact group per slot, weighted by capacity."""
    if len(slots) == 1 or len(chosen) == 0:
        out = {s: pd.Index([]) for s in slots}
        out[slots[0]] = chosen.index
        return out
    half = len(slots) // 2
    left_slots, right_slots = slots[:half], slots[half:]
    share = sum(capacities[s] for s in left_slots) / sum(capacities[s] for s in slots)
    xs, ys = chosen["_x"].to_numpy(), chosen["_y"].to_numpy()
    # the longer side of the stops with a position (those without one sort last)
    axis = "_x" if _extent(xs) >= _extent(ys) else "_y"
    ordered = chosen.sort_values([axis, "pipe_id"])
    cumulative = np.cumsum(ordered["_cost"].to_numpy())
    cut = int(np.searchsorted(cumulative, share * cumulative[-1], side="right"))
    out = _bisect(ordered.iloc[:cut], left_slots, capacities)
    out.update(_bisect(ordered.iloc[cut:], right_slots, capacities))
    return out


def _extent(values: np.ndarray) -> float:
    """Range of the finite ``values`` (0 when there are none)."""
    finite = values[np.isfinite(values)]
    return float(np.ptp(finite)) if len(finite) else 0.0


def _fill_in_order(chosen: pd.DataFrame, capacities: list[float]) -> dict[int, pd.Index]:
    """Without geometry: keep pressure zones together, the zone of the riskiest pipe first
    (zones in alphabetical order put rank 1 on the round's last day), then fill the slots in
    rank order."""
    if "pressure_zone" in chosen:
        best = chosen.groupby("pressure_zone", dropna=True)["rank"].transform("min")
        keys = ["_zone_best", "pressure_zone", "rank"]
        ordered = chosen.assign(_zone_best=best).sort_values(keys, na_position="last")
        ordered = ordered.drop(columns="_zone_best")
    else:
        ordered = chosen.sort_values(["rank"], na_position="last")
    bounds = np.cumsum(capacities)
    slot_of = np.searchsorted(bounds, np.cumsum(ordered["_cost"].to_numpy()) - 1e-9, side="left")
    slot_of = np.minimum(slot_of, len(capacities) - 1)
    return {s: ordered.index[slot_of == s] for s in range(len(capacities))}


def _visiting_order(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Nearest-neighbour tour starting from the westernmost stop; stops without a position
    (a pipe the GIS drew no line for) come last, in their given order."""
    placed = np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))
    unplaced = np.setdiff1d(np.arange(len(xs)), placed)
    if not len(placed):
        return unplaced
    px, py = xs[placed], ys[placed]
    order = [int(np.argmin(px))]
    left = np.ones(len(placed), dtype=bool)
    left[order[0]] = False
    for _ in range(len(placed) - 1):
        last = order[-1]
        d = np.hypot(px - px[last], py - py[last])
        d[~left] = np.inf
        nxt = int(np.argmin(d))
        order.append(nxt)
        left[nxt] = False
    return np.concatenate([placed[order], unplaced])
