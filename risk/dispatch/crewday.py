"""A field crew's day: which day to open on, the day's list in plain words, the next pipe.

>>> view = crew_view(assignments, pipes, today=date(2026, 1, 2), lang="fr")  # doctest: +SKIP
>>> view.day, view.opening  # the crew's next planned day, and why that one  # doctest: +SKIP
(datetime.date(2026, 1, 5), 'next')

The Inspection list page (``dashboards/views/crew.py``) only renders what this module decides:

* the day it opens on (:func:`opening_day`): the first day on or after today that still has
  planned inspections; when there is none, the last day that has some (``"last"``); when every
  inspection is recorded, the last day of the lists (``"done"``);
* the day's list (:func:`day_list`) in visiting order, with materials, diameters and lengths
  in the reader's language and what to look for on each material;
* the next pipe to visit (:meth:`CrewView.next_assignment`), also after a save;
* the small map (:func:`day_deck`), whose numbered stops can be tapped
  (:func:`picked_assignment`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from risk import maplayers
from risk.dispatch.plan import look_for
from risk.geometry import has_shape
from risk.i18n import DEFAULT_LANGUAGE, format_date, format_flow, format_quantity, label, plural, t

#: Why the view opened on its day (see :func:`opening_day`).
OPENING_KINDS = ("next", "last", "done", "none")

#: Map colours (RGB): still to visit, recorded, the pipe chosen in the form.
PENDING_COLOUR = (0, 104, 201)
DONE_COLOUR = (150, 150, 150)
CHOSEN_COLOUR = (230, 85, 13)
#: Stop fills: still to visit white, recorded grey (at a glance what is left), chosen orange.
STOP_FILLS = {
    "pending": [255, 255, 255, 255],
    "done": [190, 190, 190, 255],
    "chosen": [*CHOSEN_COLOUR, 255],
}
#: Layer ids of the crew map (the selection event is keyed by layer id).
STOPS_LAYER = "crew-stops"


def general_check(lang: str = DEFAULT_LANGUAGE) -> str:
    """What to check on every pipe, in ``lang`` (shown once, not on every pipe)."""
    return t("look_for.general", lang)


def _dates(assignments: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(assignments["planned_date"]).dt.date


def opening_day(assignments: pd.DataFrame, today: date) -> tuple[date | None, str]:
    """The day a crew's list opens on, and why (one of :data:`OPENING_KINDS`).

    - ``"next"``: the first day on or after ``today`` with inspections still planned;
    - ``"last"``: none from ``today`` on, so the last day that still has planned ones;
    - ``"done"``: every inspection is done or cancelled, so the last day of the lists;
    - ``"none"``: no inspection is assigned (the day is None).

    >>> table = pd.DataFrame({"planned_date": pd.to_datetime(["2026-01-05", "2026-01-06"]),
    ...                       "status": ["planned", "planned"]})
    >>> opening_day(table, date(2026, 1, 2))
    (datetime.date(2026, 1, 5), 'next')
    >>> opening_day(table, date(2026, 2, 1))
    (datetime.date(2026, 1, 6), 'last')
    """
    if not len(assignments):
        return None, "none"
    dates = _dates(assignments)
    planned = sorted(set(dates[(assignments["status"] == "planned").to_numpy()]))
    upcoming = [d for d in planned if d >= today]
    if upcoming:
        return upcoming[0], "next"
    if planned:
        return planned[-1], "last"
    return max(dates), "done"


def markdown_safe(text: str) -> str:
    """``text`` shown literally in Streamlit's Markdown (button labels, list lines)."""
    for char in "\\`*_[]<>#~|$":
        text = text.replace(char, "\\" + char)
    return text


def day_list(
    assignments: pd.DataFrame,
    pipes: pd.DataFrame,
    day: date | None,
    lang: str = DEFAULT_LANGUAGE,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The crew's inspections of ``day`` in visiting order (not those cancelled), described
    in ``lang``.

    Columns: ``assignment_id``, ``visit_order``, ``pipe_id``, ``status`` and ``material``
    (codes, for the program), and for people: ``material_words``, ``details`` ("cast iron,
    150 mm, 95 m"), ``look_for`` (advice for the material, may be empty), ``title``
    ("3 · P-0042") and ``option`` (the title and the material, ✓ when recorded).

    ``units`` (``pipe_id``, ``unit_id``, ``unit_order``: the scores of ``risk score``) adds
    ``unit_id`` and ``unit_line`` ("inspection unit U-0012: pipe 2 of 3 of today's list, in
    walking order"), empty for a pipe inspected on its own that day.
    """
    columns = ["assignment_id", "visit_order", "pipe_id", "status"]
    todays = assignments.loc[_dates(assignments) == day, columns] if len(assignments) else None
    if todays is None or day is None:
        todays = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    # a cancelled inspection is not the crew's to do: shown, it made "76 pipes, 35 left"
    # of a day whose other round was cancelled, with its stop numbers twice
    todays = todays[todays["status"] != "cancelled"]
    todays = todays.astype({"pipe_id": str}).sort_values(["visit_order", "assignment_id"])
    wanted = [c for c in ("pipe_id", "material", "diameter_mm", "length_m") if c in pipes]
    attributes = pd.DataFrame(pipes[wanted]).astype({"pipe_id": str})
    attributes = attributes.drop_duplicates("pipe_id")
    rows = todays.merge(attributes, on="pipe_id", how="left").reset_index(drop=True)
    for column in ("material", "diameter_mm", "length_m"):
        if column not in rows:
            rows[column] = np.nan

    def quantity(value, unit: str) -> str:
        return format_quantity(value, unit, lang) if pd.notna(value) else "–"

    rows["material_words"] = [label("material", m, lang) for m in rows["material"]]
    rows["details"] = [
        t("crew.details", lang, material=m, diameter=quantity(d, "mm"), length=quantity(n, "m"))
        for m, d, n in zip(
            rows["material_words"], rows["diameter_mm"], rows["length_m"], strict=True
        )
    ]
    # planned before the last export, which no longer has the pipe (renewed, abandoned,
    # renamed): "–, – mm, – m" sent the crew to look for it
    rows["in_network"] = rows["pipe_id"].isin(set(attributes["pipe_id"]))
    rows.loc[~rows["in_network"], "details"] = t("crew.not_in_network", lang)
    rows["look_for"] = [look_for(m, lang) for m in rows["material"]]
    rows["unit_id"], rows["unit_line"] = _unit_lines(rows, units, lang)
    rows["title"] = [
        f"{o} · {p}" for o, p in zip(rows["visit_order"], rows["pipe_id"], strict=True)
    ]
    rows["option"] = [
        f"{'✓ ' if s == 'done' else ''}{title} — {m}"
        for s, title, m in zip(rows["status"], rows["title"], rows["material_words"], strict=True)
    ]
    rows["button"] = [
        markdown_safe(f"{title} — {d}" + (f" · {u}" if u else ""))
        for title, d, u in zip(rows["title"], rows["details"], rows["unit_short"], strict=True)
    ]
    return rows.drop(columns="unit_short")


def _unit_lines(rows: pd.DataFrame, units: pd.DataFrame | None, lang: str):
    """The inspection unit of each row and its line in words; a third column, the short
    form of the list's buttons, is added to ``rows``."""
    unit_id = pd.Series("", index=rows.index, dtype=object)
    if units is not None and {"pipe_id", "unit_id"} <= set(units.columns) and len(rows):
        lookup = units.astype({"pipe_id": str}).drop_duplicates("pipe_id").set_index("pipe_id")
        unit_id = rows["pipe_id"].map(lookup["unit_id"]).fillna("").astype(str)
    # pipes of one unit in the day's list, in visiting order
    shared = unit_id[unit_id != ""]
    count = shared.map(shared.value_counts()).reindex(unit_id.index).fillna(0).astype(int)
    position = shared.groupby(shared).cumcount().add(1).reindex(unit_id.index).fillna(0)
    line, short = [], []
    for u, k, n in zip(unit_id, position.astype(int), count, strict=True):
        several = bool(u) and n > 1
        line.append(t("crew.unit", lang, unit=u, k=k, n=n) if several else "")
        short.append(t("crew.unit_short", lang, unit=u, k=k, n=n) if several else "")
    rows["unit_short"] = short
    return unit_id.to_numpy(), line


@dataclass(frozen=True)
class CrewView:
    """What the Inspection list shows for one crew: the day, why, and that day's list."""

    day: date | None
    opening_day: date | None
    opening: str
    next_day: date | None
    rows: pd.DataFrame

    @property
    def pending(self) -> pd.DataFrame:
        """The day's inspections still to do, in visiting order."""
        return self.rows[self.rows["status"] == "planned"]

    @property
    def selectable(self) -> pd.DataFrame:
        """The day's inspections a form may name (recorded ones too: a repeated tap must
        still mean the same pipe; cancelled ones not)."""
        return self.rows[self.rows["status"] != "cancelled"]

    def next_assignment(self, after: int | None = None) -> int | None:
        """The next pipe to visit: the first one still to do after the inspection
        ``after`` (an assignment id) in visiting order, else the first one still to do;
        pipes the network's latest export lacks only when nothing else is left."""
        pending = self.pending
        if not len(pending):
            return None
        if "in_network" in pending and pending["in_network"].any():
            pending = pending[pending["in_network"]]  # a pipe the export lacks is not "next"
        if after is not None and (self.rows["assignment_id"] == after).any():
            order = self.rows.loc[self.rows["assignment_id"] == after, "visit_order"].iloc[0]
            later = pending[pending["visit_order"] > order]
            if len(later):
                return int(later["assignment_id"].iloc[0])
        return int(pending["assignment_id"].iloc[0])

    def row(self, assignment_id) -> pd.Series | None:
        """The list's row of an assignment, or None."""
        match = self.rows[self.rows["assignment_id"] == assignment_id]
        return match.iloc[0] if len(match) else None

    def options(self) -> dict[int, str]:
        """The form's pipe choices: assignment id to label."""
        return {int(r.assignment_id): r.option for r in self.selectable.itertuples(index=False)}


def crew_view(
    assignments: pd.DataFrame,
    pipes: pd.DataFrame,
    *,
    today: date,
    day: date | None = None,
    lang: str = DEFAULT_LANGUAGE,
    units: pd.DataFrame | None = None,
) -> CrewView:
    """The crew's view: ``day`` (default: :func:`opening_day`) and its list.

    ``assignments`` are the crew's own (``risk.auth.visible_assignments`` filtered to one
    crew); ``pipes`` the network (for material, diameter and length); ``units`` the
    inspection unit of each pipe (see :func:`day_list`).
    """
    first, why = opening_day(assignments, today)
    planned = assignments[assignments["status"] == "planned"] if len(assignments) else assignments
    upcoming = sorted(d for d in set(_dates(planned)) if d >= today) if len(planned) else []
    shown = day if day is not None else first
    return CrewView(
        day=shown,
        opening_day=first,
        opening=why,
        next_day=upcoming[0] if upcoming else None,
        rows=day_list(assignments, pipes, shown, lang, units),
    )


def inspection_date(day: date | None, today: date) -> date:
    """The form's default inspection date: the day shown, never after today."""
    return min(day, today) if day is not None else today


def picked_assignment(event, view: CrewView) -> int | None:
    """The assignment tapped on the crew map (a stop or a pipe line), from the
    ``st.pydeck_chart`` selection state; None when nothing of the day's list is picked."""
    if not event:
        return None
    selection = event.get("selection") if isinstance(event, dict) else event.selection
    objects = (selection or {}).get("objects") or {}
    selectable = view.selectable
    for picked in objects.values():
        for obj in picked or []:
            if not isinstance(obj, dict):
                continue
            if obj.get("aid") is not None and (selectable["assignment_id"] == obj["aid"]).any():
                return int(obj["aid"])
            match = selectable[selectable["pipe_id"] == str(obj.get("id"))]
            if len(match):
                return int(match["assignment_id"].iloc[0])
    return None


def day_deck(view: CrewView, pipes: gpd.GeoDataFrame, chosen: int | None = None) -> pdk.Deck | None:
    """The day's pipes and numbered stops (tappable), without any basemap; None when the
    network has no geometry or the day no pipe on the map."""
    if not isinstance(pipes, gpd.GeoDataFrame) or pipes.crs is None or not len(view.rows):
        return None
    rows = view.rows[view.rows["status"] != "cancelled"]
    geometry = pipes.assign(pipe_id=pipes["pipe_id"].astype(str)).drop_duplicates("pipe_id")
    geometry = geometry.set_index("pipe_id").geometry.reindex(rows["pipe_id"]).to_numpy()
    on_map = has_shape(geometry)
    if not on_map.any():
        return None
    rows = rows[on_map].reset_index(drop=True)
    day_pipes = gpd.GeoDataFrame(rows, geometry=geometry[on_map], crs=pipes.crs)
    paths = maplayers.lonlat_paths(day_pipes)
    ids = rows["pipe_id"].to_numpy()
    state = np.where(rows["status"] == "done", "done", "pending")
    state = np.where(rows["assignment_id"] == chosen, "chosen", state)
    colours = {"done": DONE_COLOUR, "pending": PENDING_COLOUR, "chosen": CHOSEN_COLOUR}
    layers = [
        pdk.Layer(
            "PathLayer",
            data=maplayers.path_records(paths, ids, np.flatnonzero(state == name)),
            id=f"crew-{name}",
            get_path="p",
            position_format=pdk.types.String("XY"),
            get_color=list(colour),
            # a finger's tap: lines a few pixels wide are hard to hit on a phone
            get_width=10 if name == "chosen" else 7,
            width_units=pdk.types.String("pixels"),
            pickable=True,
        )
        for name, colour in colours.items()
        if (state == name).any()
    ]
    middles = shapely.line_interpolate_point(day_pipes.geometry.to_numpy(), 0.5, normalized=True)
    lonlat = gpd.GeoSeries(middles, crs=pipes.crs).to_crs(4326).to_numpy()
    # Sized for a phone (the map is about 340 px wide there); no basemap is requested.
    view = maplayers.view_state(paths.bounds, width_px=320, height_px=240)
    # stops of pipes a few metres apart lay one on another: set apart, each with a line to
    # its pipe, so that each number can be read and tapped
    at_x, at_y = shapely.get_x(lonlat), shapely.get_y(lonlat)
    order = np.argsort(rows["visit_order"].to_numpy(), kind="stable")
    spread_x, spread_y = at_x.copy(), at_y.copy()
    spread_x[order], spread_y[order] = maplayers.spread_apart(at_x[order], at_y[order], view.zoom)
    stops = [
        {"lon": x, "lat": y, "id": pipe, "n": str(number), "aid": int(aid),
         "fill": STOP_FILLS[s]}
        for x, y, pipe, number, aid, s in zip(
            np.round(spread_x, 6).tolist(), np.round(spread_y, 6).tolist(),
            ids, rows["visit_order"], rows["assignment_id"], state, strict=True,
        )
    ]  # fmt: skip
    moved = np.flatnonzero((spread_x != at_x) | (spread_y != at_y))
    if len(moved):
        leaders = [
            {"from": [round(float(at_x[i]), 6), round(float(at_y[i]), 6)],
             "to": [round(float(spread_x[i]), 6), round(float(spread_y[i]), 6)]}
            for i in moved
        ]  # fmt: skip
        layers.append(
            pdk.Layer(
                "LineLayer",
                data=leaders,
                id="crew-stop-leaders",
                get_source_position="from",
                get_target_position="to",
                get_color=[40, 40, 40],
                get_width=1.5,
                width_units=pdk.types.String("pixels"),
            )
        )
    layers += [
        pdk.Layer(
            "ScatterplotLayer",
            data=stops,
            id=STOPS_LAYER,
            get_position=["lon", "lat"],
            get_fill_color="fill",
            get_line_color=[40, 40, 40],
            stroked=True,
            line_width_min_pixels=1,
            get_radius=12,
            radius_units=pdk.types.String("pixels"),
            pickable=True,
        ),
        pdk.Layer(
            "TextLayer",
            data=stops,
            id="crew-stop-numbers",
            get_position=["lon", "lat"],
            get_text="n",
            get_size=13,
            get_color=[20, 20, 20],
        ),
    ]
    return maplayers.CompactDeck(
        layers=layers,
        initial_view_state=view,
        tooltip={"text": "{id}"},
        map_provider=None,
    )


#: The crew form's fields (session keys) and their blank values; the pipe chosen
#: (``f_assignment``) and the inspection date (``f_inspected``) are set with the day.
FORM_BLANK = {
    "f_other_pipe": "",
    "f_result": None,
    "f_leak_kind": None,
    "f_flow": "",
    "f_repair": None,
    "f_notes": "",
    "f_confirm": False,
}
#: Session keys a draft of the form keeps beside its fields: the day shown and the crew.
_DRAFT_CONTEXT = ("crew_day:", "crew_choice")


def form_draft(state) -> dict | None:
    """What the crew typed in the form, from the session ``state``, when the page cannot
    save it (the sign-in ended between the form's opening and its Save: 12 hours, a password
    reset, a sign-out in another tab): every ``f_`` field but the button, the day shown and
    the crew. None when nothing was typed (no result, leak kind, flow, notes, repair date
    or other pipe): a blank form is not a draft.

    >>> form_draft({"f_assignment": 3, "f_result": None, "f_flow": ""}) is None
    True
    >>> form_draft({"f_assignment": 3, "f_result": "leak_found", "f_save": True, "user": "x"})
    {'f_assignment': 3, 'f_result': 'leak_found'}
    """
    typed = any(state.get(key) not in (None, "", False) for key in FORM_BLANK)
    if not typed:
        return None
    return {
        key: value
        for key, value in state.items()
        if (key.startswith("f_") and key not in ("f_save", "f_asked_for"))
        or key.startswith(_DRAFT_CONTEXT)
    }


#: Seconds after a save in which a submission that cannot be a new inspection (a blank form,
#: or the same findings for another pipe) is taken for an extra tap of that save.
REPEAT_TAP_S = 10.0
#: The fields that say which pipe an outcome is for (the rest is what was found).
_WHICH_PIPE = ("pipe_id", "assignment_id", "corrects_key")


def repeats_last_save(last: dict | None, outcome: dict | None, seconds_since: float | None) -> bool:
    """Whether a submission of the crew's form is an extra tap of the save just made.

    Taps of Save in quick succession reach the page one after the other; after the first
    is saved the form moves on to the next pipe, and the later taps can arrive carrying the
    next pipe with the findings typed for the first (a leak nobody found there), or an
    emptied form. Within :data:`REPEAT_TAP_S` of a save, a submission with no result
    (``outcome`` None) or with the saved findings for another pipe is that save again: the
    page sends the saved outcome once more and the store answers "already recorded".
    No crew inspects another pipe and finds the same within seconds.

    >>> saved = {"pipe_id": "P1", "assignment_id": 7, "result": "leak_found", "flow_m3_per_h": 1.5}
    >>> repeats_last_save(saved, {**saved, "pipe_id": "P2", "assignment_id": 8}, 0.6)
    True
    >>> repeats_last_save(saved, None, 1.2), repeats_last_save(saved, None, 40.0)
    (True, False)
    >>> repeats_last_save(saved, {**saved, "pipe_id": "P2", "result": "nothing_found"}, 0.6)
    False
    """
    if last is None or seconds_since is None or seconds_since > REPEAT_TAP_S:
        return False
    if outcome is None:
        return True

    def found(o: dict) -> dict:
        return {k: v for k, v in o.items() if k not in _WHICH_PIPE}

    return outcome.get("pipe_id") != last.get("pipe_id") and found(outcome) == found(last)


def recorded_before(outcomes: pd.DataFrame | None, pipe_id, day: date | None) -> pd.DataFrame:
    """The outcomes already recorded for ``pipe_id`` on ``day`` that still count
    (:func:`risk.store.counted_outcomes`), oldest first: a new result for that pipe and day
    corrects them."""
    from risk.store.corrections import counted_outcomes

    if outcomes is None or not len(outcomes) or not pipe_id or day is None:
        return pd.DataFrame(columns=getattr(outcomes, "columns", []))
    same = outcomes[
        (outcomes["pipe_id"].astype(str) == str(pipe_id))
        & (pd.to_datetime(outcomes["inspected_on"]).dt.date == day)
    ]
    return counted_outcomes(same).sort_values("outcome_id")


def saved_details(outcome: dict, lang: str = DEFAULT_LANGUAGE) -> str | None:
    """What a crew's save stored besides the result, in a few words, for the confirmation to
    repeat it (where the leak was, its flow, the days, the note): a crew member checks what
    was kept, not only that something was; the inspection day always (a wrong year or month
    shows). None when there is nothing to say.

    >>> saved_details({"result": "leak_found", "leak_kind": "joint", "flow_m3_per_h": 2.5,
    ...                "inspected_on": date(2026, 12, 4), "notes": "valve box cracked"})
    'Details: at a joint, 2.5 m³/h, inspected on Dec 4, 2026, note "valve box cracked".'
    """
    parts = [p for p in _leak_words(outcome, lang) if p]
    for key in ("inspected_on", "repair_date"):
        day = outcome.get(key)
        if day is not None and not pd.isna(day):
            parts.append(
                t(f"crew.saved.{key}", lang, day=format_date(pd.Timestamp(day).date(), lang))
            )
    notes = outcome.get("notes")
    if notes:
        notes = str(notes) if len(str(notes)) <= 60 else str(notes)[:57].rstrip() + "..."
        parts.append(t("crew.saved.notes", lang, notes=notes))
    if not parts:
        return None
    return t("crew.saved.details", lang, details=", ".join(parts))


def recorded_words(earlier: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> str:
    """Outcomes in a few words, a leak with where it was and its flow: "leak found at a joint,
    2.5 m³/h (record 11, by camille)", joined by commas (a crew correcting a flow sees the
    one recorded)."""
    return ", ".join(
        t(
            "crew.recorded_item",
            lang,
            result=_result_words(r._asdict(), lang),
            id=int(r.outcome_id),
            by=r.recorded_by,
        )
        for r in earlier.itertuples()
    )


def _leak_words(outcome: dict, lang: str) -> tuple[str | None, str | None]:
    """Where a leak was and its flow, in words (None for what is not recorded, and for both
    when the result is not a leak: a flow given with another result is not kept)."""
    if outcome.get("result") != "leak_found":
        return None, None
    kind, flow = outcome.get("leak_kind"), outcome.get("flow_m3_per_h")
    return (
        label("leak_kind", kind, lang) if isinstance(kind, str) and kind else None,
        format_flow(flow, lang) if flow is not None and not pd.isna(flow) else None,
    )


def _result_words(outcome: dict, lang: str) -> str:
    kind, flow = _leak_words(outcome, lang)
    words = label("result", outcome["result"], lang) + (f" {kind}" if kind else "")
    return words + (f", {flow}" if flow else "")


def planned_elsewhere_words(
    planned: pd.DataFrame, pipe_id, crew, lang: str = DEFAULT_LANGUAGE
) -> str | None:
    """After a crew member records a pipe typed by hand: the sentence saying it is on another
    crew's list, whose visit stays planned (a mistyped pipe number must not take a pipe off
    another crew's list; the store completes only the recording crew's own stop), and that
    they see the record when they open it. ``planned``: the store's planned assignments
    (``pipe_id``, ``crew``, ``planned_date``). None when no other crew has it planned.

    >>> planned = pd.DataFrame({"pipe_id": ["P7"], "crew": ["Sud"],
    ...                         "planned_date": pd.to_datetime(["2026-12-07"])})
    >>> planned_elsewhere_words(planned, "P7", "Nord")[:58]
    'Pipe P7 is also on the list of crew Sud for Dec 7, 2026: t'
    >>> planned_elsewhere_words(planned, "P7", "Sud") is None
    True
    """
    if planned is None or not len(planned) or not pipe_id:
        return None
    theirs = planned[
        (planned["pipe_id"].astype(str) == str(pipe_id))
        & (planned["crew"].astype(str) != str(crew))
    ].sort_values("planned_date")
    if not len(theirs):
        return None
    first = theirs.iloc[0]
    return t(
        "crew.planned_elsewhere", lang, pipe_id=str(pipe_id), crew=str(first["crew"]),
        day=format_date(pd.Timestamp(first["planned_date"]).date(), lang),
    )  # fmt: skip


def replaces_default(earlier: pd.DataFrame, username: str) -> int | None:
    """Which answer the form's "your new record replaces ..." question starts on: the last
    earlier record when the person recorded it themselves (a correction of their own); none
    when someone else did (replacing another person's finding is said, never guessed).

    >>> earlier = pd.DataFrame({"recorded_by": ["camille", "karim"]})
    >>> replaces_default(earlier, "karim"), replaces_default(earlier, "camille")
    (1, None)
    """
    if not len(earlier) or str(earlier["recorded_by"].iloc[-1]) != str(username):
        return None
    return len(earlier) - 1


def recorded_notice(
    outcomes: pd.DataFrame | None, pipe_id, day: date | None, lang: str = DEFAULT_LANGUAGE
) -> str | None:
    """What the form says before a crew records a pipe already recorded that day: the
    outcomes so far and that another result corrects them; None when there are none."""
    earlier = recorded_before(outcomes, pipe_id, day)
    if not len(earlier):
        return None
    return plural(
        "crew.recorded_before",
        len(earlier),
        lang,
        day=format_date(day, lang),
        results=recorded_words(earlier, lang),
    )
