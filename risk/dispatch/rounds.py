"""The Dispatch page's starting point and tables: the project's crews, the first day of the
next round, the rounds already planned and a plan, in the reader's language.

>>> crews, unit, source = project_crews(workspace, assignments, users)  # doctest: +SKIP
>>> next_round_start(assignments, today=date(2026, 12, 1))  # doctest: +SKIP
datetime.date(2026, 12, 7)

Crews come from the workspace's ``crews.csv`` (read by :func:`risk.dispatch.read_crews`, as
``risk dispatch`` and ``risk demo`` do); without one, from the crews of the field accounts,
then from the crews already assigned; only then a default crew.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from risk import clock
from risk.csvsafe import write_csv
from risk.dispatch.plan import read_crews
from risk.dispatch.workdays import closed_days
from risk.errors import in_words, problem_words
from risk.i18n import (
    and_list,
    format_date,
    format_number,
    format_percent,
    format_quantity,
    format_signed_percent,
    format_weekday,
    has,
    label,
    plural,
    t,
)
from risk.workspace import Workspace

#: Capacity of a crew that has none on record.
DEFAULT_KM_PER_DAY = 3.0
DEFAULT_CHECKS_PER_DAY = 20
#: Where :func:`project_crews` found the crews (an i18n key suffix).
SOURCES = ("file", "accounts", "rounds", "default")


def _date(value, lang: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    return format_date(pd.Timestamp(value).date(), lang)


def crews_for_round(workspace, *, start: date, n_days: int, default=None) -> list:
    """The crews of the project's ``crews.csv`` for a round of ``n_days`` from ``start``
    (:func:`risk.dispatch.read_crews`). ``default`` (a table as ``crews.csv`` holds) is
    written first when the project has none: the file is a record of the project, never
    overwritten."""
    file = Workspace(workspace).crews
    if default is not None and not file.is_file():
        write_csv(pd.DataFrame(default), file)
    return read_crews(file, start=start, n_days=n_days, closed=closed_days(workspace))


def project_crews(
    workspace,
    assignments: pd.DataFrame | None = None,
    users: pd.DataFrame | None = None,
    *,
    use_file: bool = True,
) -> tuple[pd.DataFrame, str, str]:
    """The crews to plan for: ``(table, unit, source)``.

    ``table`` has ``name``, ``km_per_day`` and ``checks_per_day`` (the unit not on record is
    filled with a default, for switching units); ``unit`` is ``km_per_day`` or
    ``checks_per_day``; ``source`` is one of :data:`SOURCES`. A ``crews.csv`` that cannot be
    read raises its ``ValueError`` (naming the file and the row); ``use_file=False`` skips it.
    """
    file = Workspace(workspace).crews
    if use_file and file.is_file():
        crews = read_crews(file, start=clock.today(), n_days=1)
        by_km = crews[0].km_per_day is not None if crews else True
        table = pd.DataFrame(
            {
                "name": [c.name for c in crews],
                "km_per_day": [c.km_per_day or DEFAULT_KM_PER_DAY for c in crews],
                "checks_per_day": [c.checks_per_day or DEFAULT_CHECKS_PER_DAY for c in crews],
            }
        )
        if len(table):
            return table, "km_per_day" if by_km else "checks_per_day", "file"
    names, source = [], "default"
    if users is not None and len(users) and "crew" in users:
        active = users["active"].astype(bool) if "active" in users else True
        crews = users.loc[(users["role"] == "crew") & active, "crew"].dropna().astype(str)
        names, source = sorted(set(crews) - {""}), "accounts"
    if not names and assignments is not None and len(assignments):
        names, source = sorted(set(assignments["crew"].dropna().astype(str))), "rounds"
    if not names:
        names, source = ["Crew 1"], "default"
    table = pd.DataFrame(
        {
            "name": names,
            "km_per_day": DEFAULT_KM_PER_DAY,
            "checks_per_day": DEFAULT_CHECKS_PER_DAY,
        }
    )
    return table, "km_per_day", source


def crew_as_known(
    crew: str | None,
    *,
    crews_file: list[str],
    assignments: pd.DataFrame | None,
    users: pd.DataFrame | None,
    lang: str = "en",
) -> tuple[str | None, str | None]:
    """A new account's ``crew`` as the project writes it, and a sentence when there is
    something to say; ``(crew, None)`` otherwise. A crew's list is the rounds assigned to
    that exact name: "equipe nord" for "Equipe Nord" saw an empty list, so a name the
    crews file, a round or another account writes otherwise (case, spaces) takes their
    spelling, said; a name none of them writes, while some are named (a misspelt "Equipe
    Nrod"), is kept and said, with the closest known name.

    >>> crew_as_known("equipe  nord", crews_file=["Equipe Nord"], assignments=None, users=None)
    ('Equipe Nord', "The crew 'equipe  nord' is written 'Equipe Nord' in this project: the account joins 'Equipe Nord'.")
    >>> crew, words = crew_as_known("Equipe Nrod", crews_file=["Equipe Nord", "Equipe Sud"],
    ...                             assignments=None, users=None)
    >>> crew, "did you mean 'Equipe Nord'?" in words
    ('Equipe Nrod', True)
    """
    if not crew or not crew.strip():
        return crew, None
    crew = crew.strip()
    known = set(crews_file)
    if assignments is not None and len(assignments):
        known |= set(assignments["crew"].dropna().astype(str))
    if users is not None and len(users) and "crew" in users:
        known |= set(users["crew"].dropna().astype(str))
    known.discard("")
    if not known or crew in known:
        return crew, None

    def same(name: str) -> str:
        return " ".join(name.casefold().split())

    written = sorted(k for k in known if same(k) == same(crew))
    if written:
        return written[0], t("admin.crew_written", lang, crew=crew, known=written[0])
    import difflib

    close = difflib.get_close_matches(crew, sorted(known), n=1, cutoff=0.6)
    crews = and_list(sorted(known)[:6], lang)
    if close:
        return crew, t("admin.unknown_crew_meant", lang, crew=crew, crews=crews, meant=close[0])
    return crew, t("admin.unknown_crew", lang, crew=crew, crews=crews)


def crew_for_account(workspace, crew: str | None, lang: str = "en"):
    """:func:`crew_as_known` for ``crew`` against the workspace's crews file, rounds and
    accounts: the one rule of ``risk users add`` and the Accounts page."""
    from risk.auth import list_users, store_location
    from risk.store import OutcomeStore

    if not crew or not str(crew).strip():
        return crew, None
    file = Workspace(workspace).crews
    names = []
    if file.is_file():
        try:
            names = pd.read_csv(file, dtype=str)["name"].dropna().str.strip().tolist()
        except (ValueError, KeyError):  # a crews file dispatch refuses: said there
            names = []
    with OutcomeStore(store_location(workspace)) as store:
        assignments = store.assignments()
    return crew_as_known(
        crew, crews_file=names, assignments=assignments,
        users=list_users(store_location(workspace)), lang=lang,
    )  # fmt: skip


def last_planned_day(assignments: pd.DataFrame | None) -> date | None:
    """The last day of any round not cancelled, or None."""
    if assignments is None or not len(assignments):
        return None
    kept = assignments[assignments["status"] != "cancelled"]
    if not len(kept):
        return None
    return pd.to_datetime(kept["planned_date"]).max().date()


def next_round_start(assignments: pd.DataFrame | None, *, today: date | None = None) -> date:
    """First day of the next round: the Monday after the last planned day, or today when
    nothing is planned or that Monday is already past.

    >>> plan = pd.DataFrame({"planned_date": pd.to_datetime(["2026-12-02", "2026-12-04"]),
    ...                      "status": ["done", "planned"]})
    >>> next_round_start(plan, today=date(2026, 12, 1))
    datetime.date(2026, 12, 7)
    >>> next_round_start(plan, today=date(2027, 1, 13))
    datetime.date(2027, 1, 13)
    """
    today = today or clock.today()
    last = last_planned_day(assignments)
    if last is None:
        return today
    monday = last + timedelta(days=7 - last.weekday())
    return max(monday, today)


def rounds_records(assignments: pd.DataFrame | None) -> list[dict]:
    """The rounds already planned, one per day and crew (and round), as values: ``day``
    (a date), ``crew``, ``round_id``, ``status`` (``planned``, ``in_progress``, ``done``,
    ``cancelled``), ``pipes``, ``done`` and ``cancelled`` (counts); by day, then crew, a
    cancelled round after the others of its day. What :func:`rounds_table` says in words
    and ``risk rounds list --json`` gives.

    >>> planned = pd.DataFrame({"round_id": ["a", "b"], "crew": ["Nord", "Nord"],
    ...     "planned_date": pd.to_datetime(["2026-12-07"] * 2), "status": ["cancelled", "done"]})
    >>> [(r["round_id"], r["status"]) for r in rounds_records(planned)]
    [('b', 'done'), ('a', 'cancelled')]
    """
    if assignments is None or not len(assignments):
        return []
    table = assignments.assign(day=pd.to_datetime(assignments["planned_date"]).dt.date)
    records = []
    for (round_id, crew, day), group in table.groupby(["round_id", "crew", "day"], sort=False):
        done = int((group["status"] == "done").sum())
        cancelled = int((group["status"] == "cancelled").sum())
        total = len(group)
        if cancelled == total:
            status = "cancelled"
        elif done + cancelled == total:
            status = "done"
        else:
            status = "in_progress" if done else "planned"
        records.append(
            {"day": day, "crew": str(crew), "round_id": str(round_id), "status": status,
             "pipes": total, "done": done, "cancelled": cancelled}
        )  # fmt: skip
    records.sort(key=lambda r: (r["day"], r["crew"], r["status"] == "cancelled", r["round_id"]))
    return records


def rounds_table(assignments: pd.DataFrame | None, lang: str = "en") -> pd.DataFrame:
    """The rounds already planned (:func:`rounds_records`), in words: the status (planned,
    in progress, done, cancelled), how many pipes and how many done.

    >>> planned = pd.DataFrame({"round_id": ["a", "b"], "crew": ["Nord", "Nord"],
    ...     "planned_date": pd.to_datetime(["2026-12-07"] * 2), "status": ["cancelled", "planned"]})
    >>> rounds_table(planned)["Status"].tolist()
    ['planned', 'cancelled']
    """
    columns = [t(f"dispatch.col.{c}", lang) for c in ("day", "crew", "status", "pipes", "done")]
    columns.append(t("dispatch.col.round", lang))

    def status(r: dict) -> str:
        if r["status"] == "in_progress":
            left = r["pipes"] - r["cancelled"]
            return t("dispatch.status.in_progress", lang, done=r["done"], total=left)
        return t(f"dispatch.status.{r['status']}", lang)

    return pd.DataFrame(
        [(_date(r["day"], lang), r["crew"], status(r), format_number(r["pipes"], lang),
          format_number(r["done"], lang), r["round_id"])
         for r in rounds_records(assignments)],
        columns=columns,
    )  # fmt: skip


def rounds_summary(assignments: pd.DataFrame | None, lang: str = "en") -> str:
    """One sentence: rounds, inspections planned and done, the last planned day."""
    if assignments is None or not len(assignments):
        return t("dispatch.no_rounds", lang)
    kept = assignments[assignments["status"] != "cancelled"]  # a cancelled round is not one
    if not len(kept):
        return t("dispatch.no_rounds", lang)
    done = int((kept["status"] == "done").sum())
    return t(
        "dispatch.rounds_summary",
        lang,
        rounds=plural("dispatch.summary_rounds", kept["round_id"].nunique(), lang),
        inspections=plural("dispatch.summary_inspections", len(kept), lang),
        done=plural("dispatch.summary_done", done, lang),
        day=_date(last_planned_day(assignments), lang),
    )


def planned_warning(
    plan: pd.DataFrame, assignments: pd.DataFrame | None, *, move: bool, lang: str = "en"
) -> str | None:
    """What assigning ``plan`` would do to pipes still planned in another round
    (:func:`risk.dispatch.planned_already`): refused (``move`` False: the lists were made
    leaving them out, so they are stale) or moved to the new round; None when there are none.
    """
    from risk.dispatch.plan import planned_already

    if plan is None or not len(plan) or assignments is None:
        return None
    earlier = planned_already(assignments, plan["pipe_id"])
    if not len(earlier):
        return None
    n = earlier["pipe_id"].nunique()
    rounds = ", ".join(sorted(set(earlier["round_id"].astype(str))))
    key = "dispatch.will_move" if move else "dispatch.already_planned"
    return plural(key, n, lang, rounds=rounds, skip=t("dispatch.skip_planned", lang))


def inspections_left(assignments: pd.DataFrame | None) -> dict[str, int]:
    """Inspections still planned (not done, not cancelled) per round, newest round first;
    rounds with none left are not listed. What cancelling a round would cancel.

    >>> plan = pd.DataFrame({"round_id": ["a", "a", "b"], "status": ["done", "planned", "done"],
    ...                      "planned_date": pd.to_datetime(["2026-12-01"] * 3)})
    >>> inspections_left(plan)
    {'a': 1}
    """
    if assignments is None or not len(assignments):
        return {}
    table = assignments.sort_values("planned_date", ascending=False, kind="stable")
    left = (table["status"] == "planned").groupby(table["round_id"].astype(str), sort=False).sum()
    return {round_id: int(n) for round_id, n in left.items() if n}


def cancellable_rounds(assignments: pd.DataFrame | None, lang: str = "en") -> dict[str, str]:
    """The rounds with inspections not yet done, newest first: ``{round_id: words}``."""
    totals = {} if assignments is None else assignments["round_id"].astype(str).value_counts()
    return {
        round_id: t(
            "dispatch.cancel_option",
            lang,
            round=round_id,
            left=format_number(left, lang),
            total=format_number(int(totals[round_id]), lang),
        )
        for round_id, left in inspections_left(assignments).items()
    }


def past_start_words(start: date, today: date, lang: str = "en") -> str | None:
    """A sentence when a round's first day is already past (a round planned for last month
    was made and assigned without a word; its days cannot be visited any more); None
    otherwise.

    >>> past_start_words(date(2026, 11, 2), date(2026, 12, 4))[:38]
    'The first day, Nov 2, 2026, is already'
    >>> past_start_words(date(2026, 12, 7), date(2026, 12, 4)) is None
    True
    """
    if start >= today:
        return None
    return t("dispatch.start_past", lang, day=_date(start, lang), today=_date(today, lang))


#: Days that are public holidays in most countries (month, day): a round on them is said,
#: never moved (the product ships no country's calendar; ``closed_days`` lists a utility's).
COMMON_HOLIDAYS = ((1, 1), (5, 1), (12, 25))


def holiday_words(days, lang: str = "en") -> str | None:
    """A sentence when ``days`` (a round's working days) hold January 1st, May 1st or
    December 25th, public holidays in most countries; None otherwise.

    >>> holiday_words([date(2026, 12, 24), date(2026, 12, 25)])[:50]
    'The round works on Dec 25, 2026, public holidays i'
    """
    hits = sorted({d for d in days if (d.month, d.day) in COMMON_HOLIDAYS})
    if not hits:
        return None
    return t(
        "dispatch.holidays",
        lang,
        days=and_list([format_date(d, lang) for d in hits], lang, separator="; "),
    )


def crew_days_words(crews, start: date, today: date, lang: str = "en") -> list[str]:
    """Sentences about the days a round's ``crews`` will work, when they are not the ones
    asked for: the first day after ``start`` when ``start`` is not a working day (a
    Saturday, a closed day: the round began on Monday without a word), and days of a crews
    file's ``days`` column on a weekend or already past. Empty when there is nothing to
    say.

    >>> from risk.dispatch.plan import Crew
    >>> crews = [Crew("Nord", (date(2026, 12, 14),), km_per_day=4)]
    >>> crew_days_words(crews, date(2026, 12, 12), date(2026, 12, 4))
    ['The round starts on Dec 14, 2026: Dec 12, 2026 (Saturday) is not a working day.']
    """
    words = []
    first = min((d for c in crews for d in c.days), default=None)
    if first is not None and first > start and start >= today:
        words.append(
            t(
                "dispatch.start_moved",
                lang,
                first=format_date(first, lang),
                start=format_date(start, lang),
                weekday=format_weekday(start, lang),
            )
        )
    holidays = holiday_words([d for c in crews for d in c.days], lang)
    if holidays:
        words.append(holidays)
    for crew in crews:
        weekend = [d for d in crew.days if d.weekday() >= 5]
        past = [d for d in crew.days if d < today]
        if weekend:
            days = ", ".join(
                f"{format_date(d, lang)} ({format_weekday(d, lang)})" for d in weekend[:3]
            )
            words.append(t("dispatch.crew_weekend", lang, crew=crew.name, days=days))
        if past and start >= today:  # a past start is said once (past_start_words)
            days = ", ".join(format_date(d, lang) for d in past[:3])
            words.append(t("dispatch.crew_past", lang, crew=crew.name, days=days))
    return words


def busy_crew_words(
    assignments: pd.DataFrame | None, plan: pd.DataFrame, lang: str = "en", *, move: bool = False
) -> list[str]:
    """A sentence per crew that already has planned inspections (not done, not cancelled) on
    the days a new ``plan`` gives it (``crew``, ``date``): two rounds on one day ask twice a
    crew's capacity of it, and nothing said so. The one rule of the Dispatch page and
    ``risk dispatch``. With ``move``, the inspections the plan moves (its pipes' planned
    ones, cancelled when it is assigned) do not count.

    >>> planned = pd.DataFrame({"round_id": ["w49"] * 3, "crew": ["Crew 1"] * 3,
    ...     "pipe_id": ["P1", "P2", "P3"],
    ...     "planned_date": pd.to_datetime(["2026-12-07", "2026-12-08", "2026-12-08"]),
    ...     "status": ["planned", "planned", "done"]})
    >>> new = pd.DataFrame({"crew": ["Crew 1", "Crew 2"], "date": [date(2026, 12, 8)] * 2,
    ...                     "pipe_id": ["P2", "P3"]})
    >>> [words[:72] for words in busy_crew_words(planned, new)]
    ['Crew 1 already has 1 inspection planned on these days (round w49; Dec 8,']
    """
    if assignments is None or not len(assignments) or not len(plan):
        return []
    planned = assignments[assignments["status"] == "planned"]
    if move:
        planned = planned[~planned["pipe_id"].astype(str).isin(plan["pipe_id"].astype(str))]
    out = []
    for crew, days in pd.to_datetime(plan["date"]).groupby(plan["crew"].astype(str)):
        days = set(days)
        mine = planned[(planned["crew"].astype(str) == str(crew))]
        mine = mine[pd.to_datetime(mine["planned_date"]).isin(days)]
        if not len(mine):
            continue
        dates = sorted(pd.to_datetime(mine["planned_date"]).dt.date.unique())
        span = _date(dates[0], lang) if len(dates) == 1 else t(
            "dispatch.days_span", lang, first=_date(dates[0], lang), last=_date(dates[-1], lang)
        )  # fmt: skip
        names = sorted(set(mine["round_id"].astype(str)))
        rounds = plural("dispatch.busy_rounds", len(names), lang, names=and_list(names, lang))
        out.append(
            plural("dispatch.crew_busy", len(mine), lang, crew=str(crew), rounds=rounds, days=span)
        )
    return out


def assign_words(
    plan: pd.DataFrame, users: pd.DataFrame | None, lang: str = "en"
) -> tuple[str, list[str]]:
    """What "Assign to the crews" will do, said before the click, and a warning per crew of
    the plan that no active field account belongs to (its list would be assigned and seen by
    nobody on the crew's page). ``plan``: ``crew``, ``date``, ``pipe_id``; ``users``: the
    accounts (``role``, ``crew``, ``active``, ``username``).

    >>> plan = pd.DataFrame({"crew": ["Nord", "Nord", "Sud"], "pipe_id": ["P1", "P2", "P3"],
    ...     "date": pd.to_datetime(["2026-12-14", "2026-12-15", "2026-12-14"])})
    >>> users = pd.DataFrame({"username": ["anne"], "role": ["crew"], "crew": ["Nord"],
    ...                       "active": [True]})
    >>> what, missing = assign_words(plan, users)
    >>> what[:65]
    'Assigning puts these 3 inspections, Dec 14, 2026 to Dec 15, 2026,'
    >>> what[65:]
    " on the crews' inspection lists: Nord 2 (anne) and Sud 1."
    >>> missing[0][:52]
    'No active field account is in the crew Sud: nobody w'
    """
    days = pd.to_datetime(plan["date"])
    first, last = days.min().date(), days.max().date()
    span = _date(first, lang) if first == last else t(
        "dispatch.days_span", lang, first=_date(first, lang), last=_date(last, lang)
    )  # fmt: skip
    accounts = users if users is not None else pd.DataFrame(columns=["role", "crew", "active"])
    field = accounts[(accounts["role"] == "crew") & accounts["active"].astype(bool)]
    parts, missing = [], []
    for crew, group in plan.groupby(plan["crew"].astype(str), sort=True):
        names = sorted(field.loc[field["crew"].astype(str) == crew, "username"].astype(str))
        who = f" ({and_list(names, lang)})" if names else ""
        parts.append(f"{crew} {format_number(len(group), lang)}{who}")
        if not names:
            missing.append(t("dispatch.crew_unseen", lang, crew=crew))
    what = plural("dispatch.assign_what", len(plan), lang, days=span, crews=and_list(parts, lang))
    return what, missing


def free_round_id(base: str, assignments: pd.DataFrame | None) -> str:
    """``base``, or ``base-2``, ``base-3``... the first not taken by a stored round (a round
    re-planned from the same first day after a cancel must not be refused for its name).

    >>> taken = pd.DataFrame({"round_id": ["2026-12-14-ingrid", "2026-12-14-ingrid-2"]})
    >>> free_round_id("2026-12-14-ingrid", taken), free_round_id("2026-12-21-ingrid", taken)
    ('2026-12-14-ingrid-3', '2026-12-21-ingrid')
    """
    taken = set() if assignments is None else set(assignments["round_id"].astype(str))
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}-{k}"
    return name


def refusal_words(error, round_id, lang: str = "en") -> str:
    """A refused assignment or cancellation (``WriteRefusedError``) in the planner's
    language: the round's name taken or not valid said in words, other problems as the
    store gives them."""
    words = {
        "round_id_taken": "dispatch.refused.round_taken",
        "round_id_invalid": "dispatch.refused.round_invalid",
    }
    lines = [
        t(words[p.code], lang, round=str(round_id or "").strip()[:60])
        if p.code in words
        else problem_words(p, lang, with_file=False)
        for p in getattr(error, "problems", [])
    ] or [in_words(error, lang)]
    return t("dispatch.refused", lang) + "\n" + "\n".join(f"- {line}" for line in lines)


def _look_for(material, lang: str) -> str:
    key = f"look_for.{material}"
    return t(key, lang) if has(key) else ""


def plan_table(plan: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """A plan (:func:`risk.dispatch.plan_inspections`) for people: plain column names,
    materials and reasons in words, days without a time."""
    from risk.pipecard import reasons_in_words

    def col(name):
        return t(f"dispatch.col.{name}", lang)

    def numbers(values, decimals=0):
        return [
            "–" if pd.isna(v) else format_number(float(v), lang, decimals=decimals) for v in values
        ]

    out = pd.DataFrame(
        {
            col("crew"): plan["crew"].astype(str).to_numpy(),
            col("day"): [_date(d, lang) for d in plan["date"]],
            col("order"): plan["visit_order"].astype(int).to_numpy(),
            col("pipe"): plan["pipe_id"].astype(str).to_numpy(),
            col("rank"): numbers(plan["rank"]),
        }
    )
    if "probability" in plan:
        out[col("probability")] = [
            "–" if pd.isna(p) else format_percent(float(p), lang, decimals=1)
            for p in plan["probability"]
        ]
    if "length_m" in plan:
        out[col("length")] = numbers(plan["length_m"])
    if "material" in plan:
        out[col("material")] = [label("material", m, lang) for m in plan["material"]]
    if "diameter_mm" in plan:
        out[col("diameter")] = numbers(plan["diameter_mm"])
    if "install_year" in plan:
        out[col("laid")] = ["–" if pd.isna(y) else str(int(y)) for y in plan["install_year"]]
    if "pressure_zone" in plan:
        out[col("zone")] = ["–" if pd.isna(z) else str(z) for z in plan["pressure_zone"]]
    if "top_reasons" in plan:
        out[col("why")] = ["; ".join(reasons_in_words(r, lang)) for r in plan["top_reasons"]]
    if "material" in plan:
        out[col("look_for")] = [_look_for(m, lang) for m in plan["material"]]
    return out


def general_check(lang: str = "en") -> str | None:
    """What to check on every pipe, in ``lang`` (None when the catalogue has no such text)."""
    return t("look_for.general", lang) if has("look_for.general") else None


def days_table(plan: pd.DataFrame, capacity: dict | None = None, lang: str = "en") -> pd.DataFrame:
    """Each crew's day of a plan: its pipes and length, against what the crew can do in a
    day (``capacity``: crew name to ``(km_per_day, checks_per_day)``, as the crews were
    given). A day goes over by less than one inspection unit: units are never split between
    days (their pipes are one run of main), so the page says by how much.

    >>> plan = pd.DataFrame({"crew": ["Nord"] * 3, "date": pd.to_datetime(["2026-12-14"] * 3),
    ...                      "length_m": [1500.0, 1500.0, 1181.0]})
    >>> days_table(plan, {"Nord": (4.0, None)}).iloc[0].tolist()
    ['Nord', 'Dec 14, 2026', '3', '4.18 km', '4 km', '+5%']
    >>> days_table(plan, {"Nord": (3.5, None)}, "fr").iloc[0].tolist()[-2:]
    ['3,5\xa0km', '+19\xa0%']
    """

    def col(name):
        return t(f"dispatch.col.{name}", lang)

    capacity = capacity or {}
    rows = []
    for (crew, day), group in plan.groupby(["crew", "date"], sort=True):
        km = float(group["length_m"].fillna(0).sum()) / 1000.0
        per_day_km, per_day_checks = capacity.get(crew, (None, None))
        if per_day_km:
            decimals = next((d for d in (0, 1, 2) if round(per_day_km, d) == per_day_km), 2)
            can = format_quantity(per_day_km, "km", lang, decimals=decimals)  # 3.5 km, not 4
            used = km / per_day_km - 1
        elif per_day_checks:
            can, used = format_number(per_day_checks, lang), len(group) / per_day_checks - 1
        else:
            can, used = "–", None
        rows.append(
            {
                col("crew"): str(crew),
                col("day"): _date(day, lang),
                col("pipes"): format_number(len(group), lang),
                col("day_length"): format_quantity(km, "km", lang, decimals=2),
                col("per_day"): can,
                col("over"): format_signed_percent(used, lang) if used and used > 0.005 else "",
            }
        )
    return pd.DataFrame(rows)
