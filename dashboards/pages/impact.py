"""Impact (managers): leaks found, hit rate against the old ways, water saved, export."""

import datetime as dt

import altair as alt
import common
import streamlit as st

from risk import impact
from risk.csvsafe import to_csv_text
from risk.i18n import format_number, format_quantity
from risk.savings import SavingsSettings

workspace, user = common.require("impact")
lang = common.lang()
tr = common.tr
data = common.load_utility(workspace)
store = common.get_store(workspace)
report = common.load_json(common.backtest_file(workspace, "json"))
savings_settings = SavingsSettings(**common.settings(workspace).get("savings", {}))

st.title(tr("impact.title"))
summary = impact.impact_summary(
    store.outcomes(), data.pipes, report=report, settings=savings_settings, as_of=dt.date.today()
)
savings = summary["savings"]

c1, c2, c3, c4 = st.columns(4)
c1.metric(tr("impact.leaks_found"), format_number(summary["leaks_found"], lang))
c2.metric(
    tr("impact.km_inspected"), format_quantity(summary["km_inspected"], "km", lang, decimals=1)
)
rates = summary["hit_rates"]
field_rate = rates.loc[rates["method"] == "field", "leaks_per_km"].iloc[0]
c3.metric(tr("impact.hit_rate"), format_quantity(field_rate, tr("impact.per_km"), lang, decimals=2))
c4.metric(
    tr("impact.saved_to_date"),
    format_quantity(savings["saved_m3_to_date"] or 0.0, "m³", lang),
)
c1, c2, c3 = st.columns(3)
c1.metric(tr("impact.inspections"), format_number(summary["inspections"], lang))
c2.metric(tr("impact.saved_total"), format_quantity(savings["saved_m3_total"], "m³", lang))
c3.metric(
    tr("impact.households"), format_number(savings["households_for_a_year"], lang, decimals=1)
)

# -- hit rate against the baselines ---------------------------------------------------------
st.subheader(tr("impact.against_baselines"))
if len(rates) > 1:
    shown = rates.assign(
        label=rates["method"].map(
            lambda m: tr("impact.field") if m == "field" else tr(impact.BASELINE_LABELS.get(m, m))
        )
    )
    chart = (
        alt.Chart(shown)
        .mark_bar()
        .encode(
            x=alt.X("leaks_per_km:Q", title=tr("impact.hit_rate_axis")),
            y=alt.Y("label:N", sort="-x", title=None),
            color=alt.Color("observed:N", legend=None),
        )
    )
    st.altair_chart(chart, width="stretch")
    st.caption(tr("impact.baselines_help"))
else:
    st.info(tr("impact.no_baselines"))

# -- water saved per month ------------------------------------------------------------------
st.subheader(tr("impact.monthly"))
monthly = summary["monthly"]
if len(monthly):
    base = alt.Chart(monthly).encode(x=alt.X("month:O", title=tr("impact.month")))
    bars = base.mark_bar().encode(y=alt.Y("saved_m3:Q", title=tr("impact.saved_m3")))
    line = base.mark_line(color="black", point=True).encode(
        y=alt.Y("cumulative_m3:Q", title=tr("impact.cumulative_m3"))
    )
    st.altair_chart(alt.layer(bars, line).resolve_scale(y="independent"), width="stretch")
    table = monthly.rename(
        columns={
            "month": tr("impact.month"),
            "leaks_repaired": tr("impact.leaks_repaired"),
            "saved_m3": tr("impact.saved_m3"),
            "cumulative_m3": tr("impact.cumulative_m3"),
            "households": tr("impact.households_col"),
        }
    )
    st.dataframe(table, hide_index=True)
else:
    st.info(tr("impact.no_leaks"))

st.caption(
    tr(
        "impact.assumptions",
        years=format_number(savings_settings.survey_interval_years, lang, decimals=1),
        days=format_number(savings_settings.repair_days, lang),
        household=format_quantity(savings_settings.household_m3_per_year, "m³", lang),
        flow=format_quantity(savings_settings.default_flow_m3_per_h, "m³/h", lang, decimals=1),
    )
)
d1, d2 = st.columns(2)
d1.download_button(
    tr("impact.export_monthly"), to_csv_text(monthly), "water-saved-by-month.csv",
    "text/csv", key="dl_monthly",
)  # fmt: skip
d2.download_button(
    tr("impact.export_leaks"), to_csv_text(summary["leaks"]), "leaks-found.csv",
    "text/csv", key="dl_leaks",
)  # fmt: skip
