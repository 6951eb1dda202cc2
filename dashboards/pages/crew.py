"""Crew view (field crews, on a phone): today's list in visiting order, a small map, the form.

Double taps and retries never record twice: the idempotency key is made when the form is
first shown and kept in the session until the store confirms; a repeat of an outcome just
recorded reuses that outcome's key, so the store answers "already recorded".
"""

import datetime as dt
import hashlib
import json
import uuid

import common
import geopandas as gpd
import pandas as pd
import streamlit as st

from risk import auth, impact, maplayers, writes
from risk.contract import DataContractError
from risk.dispatch import GENERAL_CHECK, LOOK_FOR
from risk.i18n import format_date, format_quantity
from risk.store import LEAK_KINDS, RESULTS, IdempotencyConflictError
from risk.textrules import MAX_NOTES_LENGTH

workspace, user = common.require("crew")
lang = common.lang()
tr = common.tr
data = common.load_utility(workspace)
store = common.get_store(workspace)
today = dt.date.today()

st.title(tr("crew.title"))
everything = auth.visible_assignments(store, user)
if user.role != "crew":
    crews = sorted(everything["crew"].unique())
    if not crews:
        st.info(tr("crew.nothing"))
        st.stop()
    crew = st.selectbox(tr("crew.crew"), crews, key="crew_choice")
    everything = everything[everything["crew"] == crew]
else:
    crew = user.crew

planned_days = sorted(everything["planned_date"].dt.date.unique())
upcoming = [
    d for d in planned_days if d >= today and (everything["planned_date"].dt.date == d).any()
]
default_day = today if today in planned_days or not upcoming else upcoming[0]
day = st.date_input(tr("crew.day"), default_day, key="crew_day")
todays = everything[everything["planned_date"].dt.date == day].sort_values("visit_order")
attributes = ["pipe_id", "material", "diameter_mm", "install_year", "length_m"]
todays = todays.merge(
    pd.DataFrame(data.pipes[[c for c in attributes if c in data.pipes]]).astype({"pipe_id": str}),
    on="pipe_id",
    how="left",
)
pending = todays[todays["status"] == "planned"]
st.caption(
    tr("crew.summary", crew=crew, day=format_date(day, lang), n=len(todays), left=len(pending))
)

# -- the list in visiting order -------------------------------------------------------------
if not len(todays):
    st.info(tr("crew.nothing_today"))
for row in todays.itertuples(index=False):
    done = row.status == "done"
    # Material icons are bundled with Streamlit (emoji fonts are not on every device).
    mark = {"done": ":material/check_circle:", "cancelled": ":material/cancel:"}.get(
        row.status, ":material/radio_button_unchecked:"
    )
    diameter = format_quantity(row.diameter_mm, "mm", lang) if pd.notna(row.diameter_mm) else "–"
    length = format_quantity(row.length_m, "m", lang) if pd.notna(row.length_m) else "–"
    st.markdown(
        f"{mark} **{row.visit_order}** · `{row.pipe_id}` — {row.material}, {diameter}, {length}"
    )
    if not done:
        st.caption(f"{LOOK_FOR.get(row.material, GENERAL_CHECK)}")

# -- a small map of the day -----------------------------------------------------------------
if len(todays) and data.has_geometry:
    day_pipes = data.pipes.assign(pipe_id=data.pipes["pipe_id"].astype(str))
    day_pipes = day_pipes.set_index("pipe_id").loc[todays["pipe_id"]].reset_index()
    day_pipes = gpd.GeoDataFrame(day_pipes, geometry="geometry", crs=data.pipes.crs)
    paths = maplayers.lonlat_paths(day_pipes)
    layers = maplayers.group_layers(
        paths, day_pipes["pipe_id"].to_numpy(), pd.Series(["day"] * len(day_pipes))
    )
    layers += maplayers.stops_layers(day_pipes, todays["visit_order"].tolist())
    st.pydeck_chart(maplayers.make_deck(layers, paths.bounds), height=300, key="crew_map")

# -- the outcome form -----------------------------------------------------------------------
st.subheader(tr("crew.form"))
last = st.session_state.get("last_outcome")
if last:
    if last["created"]:
        st.success(tr("crew.saved", pipe_id=last["pipe_id"], outcome_id=last["outcome_id"]))
    else:
        st.info(tr("crew.already", pipe_id=last["pipe_id"], outcome_id=last["outcome_id"]))
st.session_state.setdefault("outcome_key", uuid.uuid4().hex)

OFF_PLAN = -1
# Done assignments stay selectable: a double tap re-sends the same choice, which must still
# mean the same pipe (the store then answers "already recorded").
listed = todays[todays["status"] != "cancelled"]
options = listed["assignment_id"].tolist() + [OFF_PLAN]
labels = {
    int(r.assignment_id): f"{'✓ ' if r.status == 'done' else ''}{r.visit_order} · {r.pipe_id}"
    for r in listed.itertuples(index=False)
}
if st.session_state.pop("advance", False) or st.session_state.get("f_assignment") not in options:
    # After a save, or on a new day: the next pipe still to do.
    st.session_state["f_assignment"] = (
        int(pending["assignment_id"].iloc[0]) if len(pending) else OFF_PLAN
    )
with st.form("outcome", clear_on_submit=False):
    assignment = st.selectbox(
        tr("crew.pipe"),
        options,
        format_func=lambda a: labels.get(a, tr("crew.off_plan")),
        key="f_assignment",
    )
    other_pipe = st.text_input(tr("crew.other_pipe"), key="f_other_pipe")
    result = st.radio(
        tr("crew.result"), list(RESULTS), format_func=lambda r: tr(f"result.{r}"), key="f_result"
    )
    leak_kind = st.selectbox(
        tr("crew.leak_kind"),
        list(LEAK_KINDS),
        index=None,
        format_func=lambda k: tr(f"leak_kind.{k}"),
        key="f_leak_kind",
    )
    flow = st.number_input(
        tr("crew.flow"), min_value=0.0, value=None, step=0.1, format="%.1f", key="f_flow"
    )
    inspected_on = st.date_input(tr("crew.inspected_on"), today, max_value=today, key="f_inspected")
    repair_date = st.date_input(tr("crew.repair_date"), None, max_value=today, key="f_repair")
    notes = st.text_area(tr("crew.notes"), key="f_notes", height=80, max_chars=MAX_NOTES_LENGTH)
    submitted = st.form_submit_button(tr("crew.save"), type="primary", width="stretch")

if submitted:
    on_plan = assignment != OFF_PLAN and assignment is not None
    pipe_id = (
        str(listed.loc[listed["assignment_id"] == assignment, "pipe_id"].iloc[0])
        if on_plan
        else other_pipe.strip()
    )
    outcome, problems = impact.outcome_from_form(
        pipe_id=pipe_id,
        assignment_id=int(assignment) if on_plan else None,
        result=result,
        leak_kind=leak_kind,
        flow_m3_per_h=flow,
        repair_date=repair_date,
        inspected_on=inspected_on,
        notes=notes,
        today=today,
    )
    if problems:
        st.error("\n".join(f"- {tr(p)}" for p in problems))
    else:
        content = hashlib.sha256(
            json.dumps(outcome, default=str, sort_keys=True).encode()
        ).hexdigest()
        # A repeat of what was just recorded (double tap) reuses its key: nothing new is stored.
        key = (
            last["key"] if last and last["content"] == content else st.session_state["outcome_key"]
        )
        try:
            stored = writes.record_outcome(
                workspace, user, outcome, idempotency_key=key, store=store
            )
        except (DataContractError, IdempotencyConflictError, PermissionError, LookupError) as exc:
            st.error(tr("crew.not_saved", error=str(exc)))
        else:
            st.session_state["last_outcome"] = {
                "key": key,
                "content": content,
                "pipe_id": pipe_id,
                "outcome_id": stored.outcome_id,
                "created": stored.created,
            }
            st.session_state["outcome_key"] = uuid.uuid4().hex
            st.session_state["advance"] = True
            st.rerun()
