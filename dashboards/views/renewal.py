"""Renewal (managers, engineers): a budget and a number of years in; the plan, the same
money spent other ways, and the files for the GIS out.

Every figure comes from one call, :func:`risk.renewal.workspace_renewal_plan` (the same as
``risk plan``); every sentence and column from :mod:`risk.renewal.words`.
"""

import altair as alt
import common
import pandas as pd
import streamlit as st

from risk import clock, renewal
from risk.costs import cost_settings
from risk.i18n import format_number, label, plural
from risk.renewal import words
from risk.renewal.inputs import StaleScoresError
from risk.renewal.plan import suggested_budget_eur_per_year
from risk.workspace import Workspace

workspace, user = common.require("renewal")
lang = common.lang()
tr = common.tr
files = Workspace(workspace)


@st.cache_resource(show_spinner=False, max_entries=8)
def _plan(path: str, budget: float, years: int, by_unit: bool, use_consequence: bool, stamp):
    return renewal.workspace_renewal_plan(
        path, budget, years=years, by_unit=by_unit, use_consequence=use_consequence
    )


st.title(tr("renewal.title"))
st.caption(tr("renewal.intro"))
scores = common.load_scores(workspace)
if scores is None:
    st.warning(tr("renewal.no_scores"))
    st.stop()
common.scores_date(workspace)
common.settings(workspace)  # a settings.toml that cannot be used stops here, with its fix

lengths = (
    scores["length_m"] if "length_m" in scores else common.load_utility(workspace).pipes["length_m"]
)
length_m = float(pd.to_numeric(lengths, errors="coerce").fillna(0).sum())
c1, c2 = st.columns(2)
budget = c1.number_input(
    tr("renewal.budget"),
    min_value=1000.0,
    value=suggested_budget_eur_per_year(length_m, cost_settings(workspace)),
    step=100_000.0,
    format="%.0f",
    key="renewal_budget",
)
years = int(c2.number_input(tr("renewal.years"), 1, 50, 10, step=1, key="renewal_years"))
by_unit = "unit_id" in scores and scores["unit_id"].notna().any()
by_unit = st.checkbox(tr("renewal.by_unit"), key="renewal_by_unit") if by_unit else False
use_consequence = files.consequence.is_file() and st.checkbox(
    tr("renewal.use_consequence"), value=True, key="renewal_consequence"
)
stamp = tuple(
    common.modified_time(f) for f in (files.scores, files.consequence, files.settings, files.meta)
)
try:
    plan = _plan(str(workspace), float(budget), years, bool(by_unit), bool(use_consequence), stamp)
except StaleScoresError as exc:  # the network was loaded again since the scores
    command = f"risk score {workspace} --as-of {clock.today().isoformat()}"
    st.error(
        plural("renewal.stale_scores", exc.count, lang, first=", ".join(exc.first), command=command)
    )
    st.stop()

for sentence in words.plan_story(plan, lang)[:-1]:
    st.markdown(sentence)
if not plan.main.totals["pipes_renewed"]:
    st.info(tr("renewal.nothing_renewed"))

# -- the scenarios side by side ---------------------------------------------------------------
st.subheader(tr("renewal.compare"))
names = {s.key: words.scenario_label(s, lang) for s in plan.scenarios}
curves = plan.failures_by_year().assign(scenario=lambda d: d["scenario"].map(names))
chart = (
    alt.Chart(curves)
    .mark_line(point=True)
    .encode(
        x=alt.X("year:O", title=tr("renewal.chart_year"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("expected_failures:Q", title=tr("renewal.chart_failures"), scale=alt.Scale(zero=False)),
        color=alt.Color(
            "scenario:N",
            title=tr("renewal.chart_scenario"),
            sort=list(names.values()),
            legend=alt.Legend(orient="right", labelLimit=0),  # at the bottom it squashes the plot
        ),
        tooltip=[alt.Tooltip("scenario:N"), alt.Tooltip("year:O"), alt.Tooltip("expected_failures:Q", format=",.1f")],
    )
    .properties(title=tr("renewal.chart_title"), height=300)
)  # fmt: skip
st.altair_chart(common.localized(chart), width="stretch")
# A static table: its five rows wrap to the page's width, every column in sight (as a grid,
# the last columns hid beyond its right edge)
st.table(words.scenario_table(plan, lang), hide_index=True)

# -- the plan itself --------------------------------------------------------------------------
st.subheader(tr("renewal.by_year"))
st.table(words.year_table(plan.main, lang), hide_index=True)  # static: no header cut
renewed = plan.main.renewed
if len(renewed):
    st.subheader(tr("renewal.pipes_title"))
    st.dataframe(
        pd.DataFrame(
            {
                tr("renewal.col.year"): renewed["year"].astype(str),
                tr("renewal.col.pipe_id"): renewed["pipe_id"],
                tr("renewal.col.unit_id"): renewed["unit_id"].fillna("–"),
                tr("renewal.col.material"): [label("material", m, lang) for m in renewed["material"]],
                tr("renewal.col.diameter"): [format_number(d, lang) for d in renewed["diameter_mm"]],
                tr("renewal.col.install_year"): renewed["install_year"].astype("string").fillna("–"),
                tr("renewal.col.length"): [format_number(v, lang) for v in renewed["length_m"]],
                tr("renewal.col.pipe_cost"): [words.euros(v, lang) for v in renewed["cost_eur"]],
                tr("renewal.col.pipe_avoided"): [
                    format_number(v, lang, decimals=2) for v in renewed["expected_failures_avoided"]
                ],
            }
        ),
        hide_index=True,
        key="renewal_pipes",
    )  # fmt: skip
st.caption(words.assumptions(plan, lang))
d1, d2 = st.columns(2)
d1.download_button(
    tr("renewal.export_csv"), renewal.plan_csv_text(plan), "renewal_plan.csv", "text/csv",
    key="dl_renewal_csv", on_click="ignore",
)  # fmt: skip
d2.download_button(
    tr("renewal.export_geojson"), renewal.plan_geojson_text(plan), "renewal_plan.geojson",
    "application/geo+json", key="dl_renewal_geojson", on_click="ignore",
)  # fmt: skip
