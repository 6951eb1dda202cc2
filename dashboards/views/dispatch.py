"""Dispatch (engineers): the rounds already planned, the project's crews and the next round's
first day in; inspection lists out; review, assign, export."""

import zlib

import common
import geopandas as gpd
import pandas as pd
import streamlit as st

from risk import auth, clock, maplayers
from risk.csvsafe import to_csv_text
from risk.dispatch import (
    Crew,
    closed_days,
    inspection_exclusions,
    plan_inspections,
    results_sheet,
    rounds,
    working_days,
)
from risk.dispatch.plan import MAX_CHECKS_PER_DAY, MAX_KM_PER_DAY, crews_named_twice
from risk.dispatch.sheets import plan_records, render_sheets
from risk.errors import InputError
from risk.i18n import format_date, format_quantity, plural, t
from risk.outcomes import writes
from risk.workspace import Workspace

workspace, user = common.require("dispatch")
lang = common.lang()
tr = common.tr
data = common.load_utility(workspace)
scores = common.load_scores(workspace)
store = common.get_store(workspace)

st.title(tr("dispatch.title"))
if scores is None:
    st.warning(tr("map.no_scores"))
    st.stop()
common.scores_date(workspace)
assignments = store.assignments()
done_message = st.session_state.pop("dispatch_done", None)  # set before the last rerun
if done_message:
    st.success(done_message)
for words in st.session_state.pop("dispatch_notes", []):  # the round's sheets not written
    st.warning(words)

# -- the rounds already planned -------------------------------------------------------------
st.subheader(tr("dispatch.planned_rounds"))
st.caption(rounds.rounds_summary(assignments, lang))
if len(assignments):
    planned = rounds.rounds_table(assignments, lang)
    st.dataframe(planned, hide_index=True, height=min(38 + 35 * len(planned), 280), key="rounds")
cancellable = rounds.cancellable_rounds(assignments, lang)
if cancellable:
    with st.expander(tr("dispatch.cancel_title"), key="cancel_round"):
        st.caption(tr("dispatch.cancel_help"))
        to_cancel = st.selectbox(
            tr("dispatch.cancel_which"),
            list(cancellable),
            format_func=cancellable.get,
            key="cancel_which",
            placeholder=tr("common.choose"),
        )
        left = rounds.inspections_left(assignments)[to_cancel]
        sure = st.checkbox(
            plural("dispatch.cancel_confirm", left, lang, round=to_cancel),
            key=f"cancel_confirm_{to_cancel}",
        )
        if st.button(tr("dispatch.cancel_button"), key="cancel_button", disabled=not sure):
            try:
                n = writes.cancel_round(workspace, user, to_cancel, store=store)
            except (InputError, PermissionError) as exc:
                st.error(rounds.refusal_words(exc, to_cancel, lang))
            else:
                st.session_state.pop("plan", None)  # its exclusions changed: make it again
                st.session_state["dispatch_fresh"] = True  # the next round's first day moves back
                st.session_state["dispatch_done"] = plural(
                    "dispatch.cancelled", n, lang, round=to_cancel
                )
                st.rerun()

# -- results typed from the printed sheets ---------------------------------------------------
with st.expander(tr("dispatch.import_title"), key="import_results"):
    sheets = results_sheet.sheet_crews(assignments)
    if sheets:  # a crew's inspections still planned, to fill in from its paper sheets
        st.caption(tr("dispatch.sheet_help"))
        choices = {f"{r}\x1f{c}": (r, c, n) for r, c, n in sheets}
        keys = list(choices)
        kept = st.session_state.get("sheet_chosen")  # the person's choice, kept across imports
        counts = zlib.crc32("|".join(f"{k}:{n}" for k, (_, _, n) in choices.items()).encode())
        chosen = st.selectbox(
            tr("dispatch.sheet_which"),
            keys,
            index=keys.index(kept) if kept in keys else 0,
            format_func=lambda k, c=choices, lang=lang: plural(
                "dispatch.sheet_option", c[k][2], lang, round=c[k][0], crew=c[k][1]
            ),  # bound: AppTest
            key=f"sheet_which_{counts}",  # counts changed: drawn anew (a label is not redrawn)
        )
        st.session_state["sheet_chosen"] = chosen
        sheet_round, sheet_crew, _ = choices[chosen]
        sheet = results_sheet.results_sheet(assignments, sheet_round, sheet_crew, lang)
        st.download_button(
            tr("dispatch.sheet_download"),
            results_sheet.sheet_csv(sheet, lang),
            results_sheet.sheet_file_name(sheet_round, sheet_crew, lang),
            "text/csv",
            key="dl_results_sheet",
            on_click="ignore",
        )
    st.caption(tr("dispatch.import_help"))
    st.code(tr("dispatch.import_example"), language=None)  # as a person types it
    order = common.date_order("results_day_first")
    upload = st.file_uploader(tr("dispatch.import_upload"), type=["csv"], key="results_upload")
    if common.new_upload(upload, order, "results_tried"):
        try:
            results = writes.import_outcome_upload(
                workspace, user, upload.getvalue(), upload.name, store=store, day_first=order
            )
        except (ValueError, PermissionError) as exc:  # the file, rows and fix, in words
            st.error(tr("dispatch.import_refused", error=common.said(exc)))
        else:
            st.session_state["dispatch_done"] = writes.imported_words(results, upload.name, lang)
            st.session_state.pop("plan", None)  # the pipes inspected now leave the next list
            st.rerun()

# -- crews, dates, exclusions ---------------------------------------------------------------
st.subheader(tr("dispatch.crews"))
accounts = auth.list_users(store)
try:
    crews_default, unit_default, source = rounds.project_crews(workspace, assignments, accounts)
except InputError as exc:  # a crews.csv that cannot be read: say why, plan without it
    st.error(tr("dispatch.crews_bad_file", error=common.said(exc)))
    crews_default, unit_default, source = rounds.project_crews(
        workspace, assignments, accounts, use_file=False
    )
st.caption(tr(f"dispatch.crews_from.{source}", names=", ".join(crews_default["name"])))
units = ["km_per_day", "checks_per_day"]
unit = st.radio(
    tr("dispatch.capacity"),
    units,
    index=units.index(unit_default),
    format_func=lambda u, lang=lang: t(f"dispatch.{u}", lang),  # bound: AppTest
    horizontal=True,
    key="capacity_unit",
)
crews_table = st.data_editor(
    crews_default[["name", unit]],
    num_rows="dynamic",
    key=f"crews_{unit}",
    hide_index=True,
    column_config={
        "name": st.column_config.TextColumn(tr("dispatch.crew_name"), required=True),
        "km_per_day": st.column_config.NumberColumn(
            tr("dispatch.km_per_day"), min_value=0.1, max_value=MAX_KM_PER_DAY
        ),
        "checks_per_day": st.column_config.NumberColumn(
            tr("dispatch.checks_per_day"), min_value=1, max_value=MAX_CHECKS_PER_DAY, step=1
        ),
    },
)
next_start = rounds.next_round_start(assignments, today=clock.today())
if st.session_state.pop("dispatch_fresh", False):
    # After a round is assigned or cancelled: the next free week and a free name. Set, not
    # deleted: a browser keeps showing a widget's last value when its state is only deleted.
    st.session_state["start"] = next_start
    st.session_state["round_id"] = rounds.free_round_id(
        f"{next_start:%Y-%m-%d}-{user.username}", assignments
    )
last_day = rounds.last_planned_day(assignments)
c1, c2, c3 = st.columns(3)
st.session_state.setdefault("start", next_start)  # the widget reads its value from the state
start = c1.date_input(
    tr("dispatch.start"),
    key="start",
    format="DD/MM/YYYY" if lang == "fr" else "YYYY-MM-DD",  # as the crew's page writes it
    help=tr("dispatch.start_help", day=format_date(last_day, lang)) if last_day else None,
)
n_days = c2.number_input(tr("dispatch.days"), 1, 60, 5, key="n_days")
past = rounds.past_start_words(start, clock.today(), lang)
if past:
    st.warning(past)
closed = closed_days(workspace)  # [dispatch] closed_days of settings.toml
skipped = [d for d in closed if start <= d <= working_days(start, int(n_days), closed)[-1]]
if skipped:
    st.caption(
        plural(
            "dispatch.closed_skipped",
            len(skipped),
            lang,
            days="; ".join(format_date(d, lang) for d in skipped),  # "Dec 25, 2026" has a comma
        )
    )
holidays = rounds.holiday_words(working_days(start, int(n_days), closed), lang)
if holidays:
    st.caption(holidays)
recent_days = c3.number_input(tr("dispatch.recent_days"), 0, 3650, 365, key="recent_days")
skip_planned = st.checkbox(
    tr("dispatch.skip_planned"),
    value=True,
    key="skip_planned",
    help=tr("dispatch.skip_planned_help"),
)

if st.button(tr("dispatch.generate"), type="primary", key="generate"):
    crews = []
    try:
        named = crews_table.dropna(subset=["name"])
        twice = crews_named_twice(named["name"])
        if twice:  # one crew on two rows: planned as one crew of twice the capacity
            raise InputError(tr("dispatch.crew_twice", crew=twice[0][0]))
        for row in named.itertuples(index=False):
            capacity = pd.to_numeric(getattr(row, unit), errors="coerce")
            if not capacity > 0:  # empty, or letters typed in the number cell
                raise InputError(tr("dispatch.capacity_missing", crew=str(row.name)))
            crews.append(
                Crew(
                    str(row.name),
                    working_days(start, int(n_days), closed),
                    km_per_day=float(capacity) if unit == "km_per_day" else None,
                    checks_per_day=int(capacity) if unit == "checks_per_day" else None,
                )
            )
        exclude = inspection_exclusions(
            store.outcomes(counted=True),
            assignments,
            start=start,
            recent_days=int(recent_days),
            exclude_planned=skip_planned,
        )
        plan = plan_inspections(scores, data.pipes, crews, exclude=exclude)
    except (InputError, TypeError) as exc:
        st.error(common.said(exc))
    else:
        st.session_state["plan"] = plan
        st.session_state["plan_excluded"] = len(exclude)
        st.session_state["plan_capacity"] = {
            c.name: (c.km_per_day, c.checks_per_day) for c in crews
        }
        st.session_state["plan_moves_planned"] = not skip_planned
        st.session_state.pop("plan_round", None)
        # a new plan gets a free name for its first day, not the last one (set: see above)
        st.session_state["round_id"] = rounds.free_round_id(
            f"{start:%Y-%m-%d}-{user.username}", assignments
        )

plan = st.session_state.get("plan")
if plan is None:
    st.stop()

# -- review ---------------------------------------------------------------------------------
st.subheader(tr("dispatch.review"))
km = plan["length_m"].sum() / 1000 if len(plan) else 0.0
st.caption(
    tr(
        "dispatch.summary",
        pipes=plural("count.pipes", len(plan), lang),
        km=format_quantity(km, "km", lang, decimals=1),
        excluded=plural("dispatch.excluded", st.session_state.get("plan_excluded", 0), lang),
    )
)
if isinstance(plan, gpd.GeoDataFrame) and len(plan):
    paths = maplayers.lonlat_paths(plan)
    groups = [
        f"{crew} · {format_date(pd.Timestamp(day).date(), lang)}"
        for crew, day in zip(plan["crew"], plan["date"], strict=True)
    ]
    deck = maplayers.make_deck(
        maplayers.group_layers(paths, plan["pipe_id"].to_numpy(), pd.Series(groups)), paths.bounds
    )
    st.pydeck_chart(deck, height=420, key="plan_map")
    st.markdown(
        f"<small>{tr('dispatch.legend')}</small><br>"
        + " &nbsp; ".join(
            f"<span style='white-space:nowrap'><span style='color:rgb{colour}'>■</span> "
            f"{group}</span>"
            for group, colour in maplayers.group_legend(groups)
        ),
        unsafe_allow_html=True,
    )
st.markdown(f"**{tr('dispatch.days_title')}**")
st.dataframe(
    rounds.days_table(plan, st.session_state.get("plan_capacity"), lang),
    hide_index=True,
    key="plan_days",
)
st.caption(tr("dispatch.days_help"))
st.dataframe(rounds.plan_table(plan, lang), hide_index=True, key="plan_table")
check = rounds.general_check(lang)
if check:
    st.caption(tr("dispatch.every_pipe", what=check))

# -- assign and export ----------------------------------------------------------------------
# The files as `export_plan` writes them: reasons as scored and in words (plan_records).
shown = plan_records(plan, lang=lang)
# Lists once assigned stay shown (to download) but are not assigned again.
assigned_as = st.session_state.get("plan_round")
move = st.session_state.get("plan_moves_planned", False)
warning = None if assigned_as else rounds.planned_warning(plan, assignments, move=move, lang=lang)
if assigned_as:
    st.info(tr("dispatch.assigned_already", round=assigned_as))
elif warning:
    (st.info if move else st.warning)(warning)
busy = [] if assigned_as else rounds.busy_crew_words(assignments, plan, lang, move=move)
for words in busy:
    st.warning(words)
# two rounds on a crew's day only when the engineer says so (an urgent extra round)
anyway = bool(busy) and st.checkbox(tr("dispatch.assign_anyway"), key="assign_anyway")
blocked = (
    not len(plan)
    or bool(assigned_as)
    or (bool(warning) and not move)
    or (bool(busy) and not anyway)
)
if len(plan) and not assigned_as:  # what the click will do, and who would see nothing
    what, unseen = rounds.assign_words(plan, accounts, lang)
    st.caption(what)
    for words in unseen:
        st.warning(words)
c1, c2 = st.columns([2, 1])
if "round_id" not in st.session_state:
    # the widget reads its value from the state alone (a default beside it warns)
    st.session_state["round_id"] = rounds.free_round_id(
        f"{start:%Y-%m-%d}-{user.username}", assignments
    )
if assigned_as:  # its name, not the next round's (set for after the next plan)
    c1.text_input(
        tr("dispatch.round"), value=assigned_as, disabled=True, key=f"round_of_{assigned_as}"
    )
else:
    round_id = c1.text_input(tr("dispatch.round"), key="round_id")
if c2.button(tr("dispatch.assign"), type="primary", key="assign", disabled=blocked):
    try:
        stored, _, unwritten = writes.assign_round(
            workspace, user, plan, round_id=round_id,
            folder=Workspace(workspace).plan_folder(round_id), lang=lang, store=store,
            move_planned=move,
        )  # fmt: skip
    except (InputError, PermissionError) as exc:
        st.error(rounds.refusal_words(exc, round_id, lang))
    else:
        st.session_state["plan_round"] = round_id
        st.session_state["dispatch_fresh"] = True  # the next round starts after this one
        st.session_state["dispatch_done"] = tr("dispatch.assigned", n=len(stored), round=round_id)
        st.session_state["dispatch_notes"] = unwritten
        st.rerun()

csv = to_csv_text(shown)
d1, d2, d3 = st.columns(3)
d1.download_button(tr("dispatch.csv"), csv, "plan.csv", "text/csv", key="dl_csv", on_click="ignore")
if isinstance(plan, gpd.GeoDataFrame) and len(plan):
    geojson = gpd.GeoDataFrame(shown, geometry=plan.geometry.values, crs=plan.crs).to_crs(4326)
    d2.download_button(
        tr("dispatch.geojson"), geojson.to_json(), "plan.geojson", "application/geo+json",
        key="dl_geojson", on_click="ignore",
    )  # fmt: skip
d3.download_button(
    tr("dispatch.sheets"),
    render_sheets(plan, lang=lang),
    "sheets.html",
    "text/html",
    key="dl_html",
    on_click="ignore",
)
