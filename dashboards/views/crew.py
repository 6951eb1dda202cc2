"""Crew view (field crews, on a phone): the next pipe and its form first, then the day's list
and a small map of it.

What to show is decided in ``risk.dispatch.crewday``: the page opens on the crew's next
planned day (the date stays changeable), the next pipe to visit is chosen, and tapping a pipe
of the list or a numbered stop of the map chooses that one. After each save the form is blank
again (no result, leak kind, flow or notes) and the next pipe to visit is chosen.

Double taps and retries never record twice: the idempotency key is made when the form is
first shown and kept in the session until the store confirms; a repeat of an outcome just
recorded reuses that outcome's key, so the store answers "already recorded". A repeated
submission is read as it was sent (the form is only reset on the run after a save).
"""

import datetime
import hashlib
import json
import time
import uuid

import common
import streamlit as st

from risk import auth, clock
from risk.dispatch import crewday
from risk.errors import InputError
from risk.i18n import format_date, format_flow, label, plural, t
from risk.outcomes import writes
from risk.outcomes.form import LARGE_FLOW_M3_PER_H, leak_details_dropped, outcome_from_form
from risk.store import LEAK_KINDS, MAX_FLOW_M3_PER_H, RESULTS
from risk.textrules import MAX_NOTES_LENGTH
from risk.workspace import known_pipe_ids

workspace, user = common.require("crew")
lang = common.lang()
tr = common.tr
data = common.load_utility(workspace)
store = common.get_store(workspace)
today = clock.today()
state = st.session_state

OFF_PLAN = -1
ADDS = "__adds__"  # the new record comes beside the pipe's earlier ones (another leak)
#: The date pickers' range: wide, so that a wrong date reaches the form's own checks.
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)
DATE_FORMAT = "DD/MM/YYYY" if lang == "fr" else "YYYY-MM-DD"
#: The flows the form asks about and refuses, in the messages that say so.
LIMITS = {
    "large": format_flow(LARGE_FLOW_M3_PER_H, lang),
    "most": format_flow(MAX_FLOW_M3_PER_H, lang),
}


def choose(assignment_id: int) -> None:
    """A tap on a pipe of the list: a blank form for that pipe, brought into view."""
    state["crew_reset"] = {"choose": assignment_id}


def code_radio(label: str, field: str, codes) -> str | None:
    """One tap among the store's ``codes`` of ``field`` (``result``, ``leak_kind``), shown in
    the reader's words (``<field>.<code>`` messages), none chosen until tapped; its value is
    ``state["f_<field>"]`` (see ``crewday.FORM_BLANK``)."""
    return st.radio(
        label,
        list(codes),
        index=None,
        format_func=lambda code: t(f"{field}.{code}", lang),  # lang bound: AppTest reads it
        horizontal=True,
        key=f"f_{field}",
    )


st.title(tr("crew.title"))
# What was typed when the sign-in ended (see common.keep_draft): back in the form, as typed.
draft = common.take_draft(user)
# What was typed before the page reloaded (the phone switched to the camera): back too.
typed_back = None if draft else common.take_typed_form(user, RESULTS, LEAK_KINDS)
if typed_back:
    draft = {k: v for k, v in typed_back.items() if k != "_pipe"}
if draft:
    state.update(draft)
    state.pop("crew_reset", None)
    state.pop("crew_map_key", None)  # a tap on the last map is not a new choice
everything = auth.visible_assignments(store, user)
if user.role != "crew":
    crews = sorted(everything["crew"].unique())
    if not crews:
        st.info(tr("crew.nothing"))
        st.stop()
    crew = st.selectbox(tr("crew.crew"), crews, key="crew_choice", placeholder=tr("common.choose"))
    everything = everything[everything["crew"] == crew]
else:
    crew = user.crew

day_key = f"crew_day:{crew}"
scores = common.load_scores(workspace)
view = crewday.crew_view(
    everything, data.pipes, today=today, day=state.get(day_key), lang=lang, units=scores
)
if view.day is None:
    st.info(tr("crew.nothing"))
    st.stop()
state.setdefault(day_key, view.day)
options = view.options()
if typed_back and state.get("f_assignment") not in options:  # no longer on the day's list
    state["f_assignment"], state["f_other_pipe"] = OFF_PLAN, typed_back["_pipe"]

# -- which pipe the form is for, and a blank form when asked -----------------------------------
# The map is drawn anew (its own key) for each chosen pipe: its selection is that map's
# alone. With one key, a pipe chosen in the list after a tap on the map snapped back to the
# tapped one (the redrawn map sent its old selection again).
map_key = state.get("crew_map_key")
picked = crewday.picked_assignment(state.get(map_key) if map_key else None, view)
if picked is not None and (map_key, picked) != state.get("crew_map_seen"):  # a new tap
    state["crew_map_seen"] = (map_key, picked)
    state["crew_reset"] = {"choose": picked}
if draft:  # the kept form is for this day
    state["crew_form_day"] = (crew, view.day)
if state.get("crew_form_day") != (crew, view.day):  # another day: its next pipe, blank form
    state["crew_form_day"] = (crew, view.day)
    state.setdefault("crew_reset", {})
reset = state.pop("crew_reset", None)
# A submission read as sent: a double tap after a save repeats the saved outcome.
if reset is not None and not state.get("f_save"):
    state["crew_auto"] = view.next_assignment(after=reset.get("after"))
    chosen = reset["choose"] if reset.get("choose") is not None else state["crew_auto"]
    if reset.get("choose") is not None and state.get("last_outcome"):
        state["last_outcome"]["hidden"] = True  # another pipe: the last save is not news
    state["f_assignment"] = chosen if chosen in options else OFF_PLAN
    state.update(crewday.FORM_BLANK)
    state.pop("f_checks", None)  # nothing to confirm on a blank form
    state["f_inspected"] = crewday.inspection_date(view.day, today)
    state["crew_scroll"] = bool(reset)
if state.get("f_assignment") not in (*options, OFF_PLAN):
    state["crew_auto"] = view.next_assignment()
    state["f_assignment"] = state["crew_auto"] or OFF_PLAN
if "crew_auto" not in state:  # a form put back: still the next pipe when it is
    state["crew_auto"] = view.next_assignment()
if state.get("crew_form_lang") != lang:  # set again, or the select keeps the old words shown
    state["crew_form_lang"] = lang
    state["f_assignment"] = state["f_assignment"]
state.setdefault("f_inspected", crewday.inspection_date(view.day, today))
state.setdefault("outcome_key", uuid.uuid4().hex)

# -- the day ------------------------------------------------------------------------------------
st.date_input(tr("crew.day"), key=day_key, format=DATE_FORMAT)
st.caption(
    tr(
        "crew.summary",
        crew=crew,
        day=format_date(view.day, lang),
        pipes=plural("count.pipes", len(view.rows), lang),
        left=plural("crew.left", len(view.pending), lang),
    )
)
if view.day == view.opening_day and view.opening in ("last", "done"):
    st.info(tr(f"crew.opened_{view.opening}", day=format_date(view.day, lang)))
if not len(view.rows):
    st.info(tr("crew.nothing_today"))
    if view.next_day is not None:
        st.caption(tr("crew.next_day", day=format_date(view.next_day, lang)))
elif not len(view.pending):
    st.success(tr("crew.all_done"))

# -- the chosen pipe and its form ---------------------------------------------------------------
with st.container(key="crew-pipe"):
    last = state.get("last_outcome")
    saved_box = st.empty()  # emptied below when the next save is refused
    if last and not last.get("hidden"):
        shown = saved_box.container()
        message = shown.success if last["created"] else shown.info
        key = "crew.saved" if last["created"] else "crew.already"
        key = "crew.corrected" if last.get("corrects") else key
        result = label("result", last["result"], lang)
        details = crewday.saved_details(last["outcome"], lang)  # what was kept, in words
        message(
            tr(
                key,
                pipe_id=last["pipe_id"],
                outcome_id=last["outcome_id"],
                result=result,
                before=last.get("corrects"),
            )
            + (f" {details}" if details else "")
        )
        if last.get("dropped"):
            shown.caption(tr("crew.dropped", result=result))
        if last.get("elsewhere"):
            shown.info(last["elsewhere"])
    with st.container(border=True):
        is_next = state["f_assignment"] == state.get("crew_auto")
        st.markdown(f"**{tr('crew.next_pipe' if is_next else 'crew.chosen_pipe')}**")
        assignment = st.selectbox(
            tr("crew.pipe"),
            [*options, OFF_PLAN],
            format_func=lambda a, lang=lang: options.get(a, t("crew.off_plan", lang)),
            label_visibility="collapsed",
            key="f_assignment",
            placeholder=tr("common.choose"),
        )
        row = view.row(assignment)
        if row is not None:
            st.markdown(crewday.markdown_safe(row["details"]))
            if row["unit_line"]:
                st.caption(crewday.markdown_safe(row["unit_line"]))
            if row["look_for"]:
                st.caption(tr("crew.look_for", what=row["look_for"]))
        shown_pipe = str(row["pipe_id"]) if row is not None else state.get("f_other_pipe")
        # what the form asked about when the crew last saw it (a typed pipe with records
        # that day gets the replaces/adds question only after a first tap)
        asked_for = state.get("f_asked_for")
        state["f_asked_for"] = (shown_pipe, state.get("f_inspected"))
        outcomes = store.outcomes()
        earlier = crewday.recorded_before(outcomes, shown_pipe, state.get("f_inspected"))
        notice = crewday.recorded_notice(outcomes, shown_pipe, state.get("f_inspected"), lang)
        if notice:
            st.warning(notice)
        if draft:
            st.warning(tr("crew.typed_back") if typed_back else tr("crew.draft_back"))
        # Save is a tap: the phone keyboard's Enter (after the flow) does not save half a form
        with st.form("outcome", clear_on_submit=False, border=False, enter_to_submit=False):
            if row is None:  # inside the form: typing then tapping Save is one submission
                st.text_input(tr("crew.other_pipe"), key="f_other_pipe")
            result = code_radio(tr("crew.result"), "result", RESULTS)
            # A form cannot hide the leak's questions until "Leak found" is tapped (nothing
            # changes before Save; a result outside the form would cost a rerun per tap, and
            # taps made meanwhile on a slow network are lost): they say whom they are for.
            st.caption(tr("crew.if_leak"))
            leak_kind = code_radio(tr("crew.leak_kind"), "leak_kind", LEAK_KINDS)
            # Text, read by outcome_from_form: a number field drops a French decimal comma
            # ("2,5" became 25) and empties "abc" without a word; the form names each problem
            # in the crew's language.
            flow = st.text_input(tr("crew.flow"), key="f_flow", placeholder=tr("crew.flow_example"))
            replaces = None
            if len(earlier):  # a correction or one more leak: said, never guessed
                choices = {r.idempotency_key: r for r in earlier.itertuples()}
                replaces = st.radio(
                    tr("crew.new_record"),
                    [*choices, ADDS],
                    index=crewday.replaces_default(earlier, user.username),
                    format_func=lambda k, lang=lang, earlier=earlier: (  # bound: AppTest
                        t("crew.adds", lang)
                        if k == ADDS
                        else t(
                            "crew.replaces",
                            lang,
                            record=crewday.recorded_words(
                                earlier[earlier["idempotency_key"] == k], lang
                            ),
                        )
                    ),
                    key=f"f_replaces_{int(earlier['outcome_id'].max())}",
                )
            with st.expander(tr("crew.more"), expanded=bool(draft)):  # a kept note is seen
                inspected_on = st.date_input(
                    tr("crew.inspected_on"),
                    min_value=FIRST_DAY,
                    max_value=LAST_DAY,
                    key="f_inspected",
                    format=DATE_FORMAT,
                )
                repair_date = st.date_input(
                    tr("crew.repair_date"),
                    None,
                    min_value=FIRST_DAY,
                    max_value=LAST_DAY,
                    key="f_repair",
                    format=DATE_FORMAT,
                )
                notes = st.text_area(
                    tr("crew.notes"), key="f_notes", height=80, max_chars=MAX_NOTES_LENGTH
                )
            # values possible but rarely right (a flow in l/h, a wrong year), asked about
            # after a first tap: saved as they are only when the crew says they are right
            confirm_drawn = bool(state.get("f_checks"))
            if confirm_drawn:
                st.checkbox(tr("crew.confirm"), key="f_confirm")
            submitted = st.form_submit_button(
                tr("crew.save"), type="primary", width="stretch", key="f_save"
            )
        problems_box = st.empty()
        asked = state.pop("f_problems", None)  # the problems of the tap that drew the box
        if asked:
            problems_box.error("\n".join(f"- {tr(p, **LIMITS)}" for p in asked))

common.keep_typed_form(
    user,
    {
        "c": crew,
        "d": view.day.isoformat(),
        "a": int(assignment) if assignment is not None else OFF_PLAN,
        "p": shown_pipe or "",
        "k": state["outcome_key"],
    },
)
if submitted:
    on_plan = assignment in options
    pipe_id = str(row["pipe_id"]) if on_plan else (state.get("f_other_pipe") or "").strip()
    outcome, problems = outcome_from_form(
        pipe_id=pipe_id,
        assignment_id=int(assignment) if on_plan else None,
        result=result,
        leak_kind=leak_kind,
        flow_m3_per_h=flow,
        repair_date=repair_date,
        inspected_on=inspected_on,
        notes=notes,
        today=today,
        corrects_key=None if replaces in (None, ADDS) else replaces,
        adds_to=list(earlier["result"]) if replaces == ADDS else None,
        confirmed=confirm_drawn and bool(state.get("f_confirm")),
    )
    if pipe_id and not on_plan and pipe_id not in known_pipe_ids(workspace):
        problems.append("form.error.unknown_pipe")
    if not on_plan and len(earlier) and asked_for != (shown_pipe, state.get("f_inspected")):
        problems.append("crew.say_replaces")  # typed with this tap: the question was not shown
    elif len(earlier) and replaces is None and result is not None:
        problems.append("crew.say_replaces")  # another person's record: not replaced unasked
    since = time.monotonic() - last["saved_at"] if last and "saved_at" in last else None
    typed = None if result is None else outcome  # no result: nothing a crew would save
    if crewday.repeats_last_save(last and last["outcome"], typed, since):
        # an extra tap of the save just made, arriving with the next pipe (or a blank form):
        # that save again, never the findings of one pipe recorded on another
        outcome, problems = last["outcome"], []
        pipe_id, result, inspected_on = last["pipe_id"], last["result"], outcome["inspected_on"]
        on_plan, assignment = outcome["assignment_id"] is not None, outcome["assignment_id"]
    checks = [p for p in problems if p.startswith("form.check.")]
    if checks:
        problems.append("crew.confirm_help")
    if checks and not confirm_drawn:  # draw the box to tick inside the form, then say why
        state["f_checks"], state["f_problems"] = checks, problems
        if state.get("last_outcome"):
            state["last_outcome"]["hidden"] = True  # as for any refused save
        st.rerun()
    if problems:
        saved_box.empty()
        problems_box.error("\n".join(f"- {tr(p, **LIMITS)}" for p in problems))
    else:
        # a leak's kind or flow given with another result is not kept: said, not silent
        dropped = leak_details_dropped(result, leak_kind, flow)
        found = {k: v for k, v in outcome.items() if k != "corrects_key"}  # what was found
        content = hashlib.sha256(
            json.dumps(found, default=str, sort_keys=True).encode()
        ).hexdigest()
        # A repeat of what was just recorded (a double tap, or the same again after the page
        # showed the pipe as recorded) is sent as it was saved: nothing new is stored.
        key = state["outcome_key"]
        if last and last["content"] == content:
            key, outcome = last["key"], last["outcome"]
        try:
            stored = writes.record_outcome(
                workspace, user, outcome, idempotency_key=key, store=store
            )
        except (InputError, PermissionError, LookupError) as exc:
            problems_box.error(tr("crew.not_saved", error=common.said(exc)))
        else:
            # what counted for the pipe and day before this save and no longer does
            before = crewday.recorded_before(outcomes, pipe_id, inspected_on)
            now = crewday.recorded_before(store.outcomes(), pipe_id, inspected_on)
            corrects = before[~before["outcome_id"].isin(now["outcome_id"])]
            corrects = corrects if stored.created else corrects.iloc[:0]
            state["last_outcome"] = {
                "key": key,
                "content": content,
                "outcome": outcome,
                "pipe_id": pipe_id,
                "result": result,
                "outcome_id": stored.outcome_id,
                "created": stored.created,
                "corrects": crewday.recorded_words(corrects, lang) if len(corrects) else None,
                "dropped": last["dropped"] if key == (last or {}).get("key") else dropped,
                # a pipe typed by a crew member that another crew has planned: their visit
                # stays (the store completes only the recording crew's own stop)
                "elsewhere": None
                if on_plan or user.role != "crew"
                else crewday.planned_elsewhere_words(
                    store.assignments(status="planned"), pipe_id, crew, lang
                ),
                "saved_at": time.monotonic(),
            }
            state["outcome_key"] = uuid.uuid4().hex
            common.draft_saved(user)  # a kept form put back and now saved is done with
            state["crew_reset"] = {"after": int(assignment) if on_plan else None}
            st.rerun()

# -- the day's list (foldable) and its map ------------------------------------------------------
ICONS = {
    "done": ":material/check_circle:",
    "cancelled": ":material/cancel:",
    "planned": ":material/radio_button_unchecked:",
}
if len(view.rows):
    with st.expander(
        tr(
            "crew.list",
            pipes=plural("count.pipes", len(view.rows), lang),
            left=plural("crew.left_short", len(view.pending), lang),
        ),
        expanded=True,
        key="crew_list",
    ):
        st.caption(tr("crew.list_help"))
        for r in view.rows.itertuples(index=False):
            chosen_row = r.assignment_id == assignment
            st.button(
                r.button,
                key=f"crew_pick_{r.assignment_id}",
                icon=":material/arrow_forward:" if chosen_row else ICONS.get(r.status),
                type="primary" if chosen_row else "secondary",
                disabled=r.status == "cancelled",
                width="stretch",
                on_click=choose,
                args=(int(r.assignment_id),),
            )
        st.caption(tr("crew.every_pipe", what=crewday.general_check(lang)))
    deck = crewday.day_deck(view, data.pipes, chosen=assignment)
    if deck is not None:
        st.caption(tr("crew.map_help"))
        st.pydeck_chart(
            deck,
            height=280,
            on_select="rerun",
            selection_mode="single-object",
            key=f"crew_map_{assignment}",
        )
        state["crew_map_key"] = f"crew_map_{assignment}"

# The list's rows read left-aligned; after a tap or a save, the form is brought into view.
st.html(
    "<style>.st-key-crew_list button > div { justify-content: flex-start; width: 100%; }"
    ".st-key-crew-pipe { scroll-margin-top: 4rem; }</style>"
)
if state.pop("crew_scroll", False):
    st.html(
        f"<script data-n='{uuid.uuid4().hex}'>document.querySelector('.st-key-crew-pipe')"
        "?.scrollIntoView({block: 'start'});</script>",
        unsafe_allow_javascript=True,
    )
