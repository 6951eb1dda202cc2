"""Impact (managers): leaks found, the old ways compared, water saved to date and projected.

Every figure comes from one call, :func:`risk.savings.impact.workspace_impact` (the same as
``risk savings``), and every sentence from :func:`risk.savings.words.impact_texts`.
"""

import altair as alt
import common
import pandas as pd
import streamlit as st

from risk.csvsafe import to_csv_text
from risk.dispatch.crewday import markdown_safe
from risk.i18n import format_month
from risk.savings import impact, night_flow, words

workspace, user = common.require("impact")
lang = common.lang()
tr = common.tr
summary = impact.workspace_impact(
    workspace,
    store=common.get_store(workspace),
    pipes=common.load_utility(workspace).pipes,
    report=common.load_json(common.backtest_file(workspace, "json")) or {},  # {}: none, read
    known_lengths=common.load_known_lengths(workspace),
)
texts = words.impact_texts(summary, lang)


st.title(tr("impact.title"))
st.caption(texts["as_of"])

c1, c2, c3, c4 = st.columns(4)
c1.metric(tr("impact.leaks_found"), texts["leaks_found"])
c2.metric(tr("impact.km_inspected"), texts["km_inspected"])
c3.metric(tr("impact.inspections"), texts["inspections"])
if texts["no_access"]:  # done on the Dispatch page, not an inspection here: said
    c3.caption(texts["no_access"])
c4.metric(tr("impact.hit_rate"), texts["hit_rate"])

# -- water saved: to date (recorded repairs) and projected over a year ----------------------
st.subheader(tr("impact.water"))
if texts["largest_leak"]:  # one record drives every figure below: named for checking
    st.warning(texts["largest_leak"])
w1, w2, w3 = st.columns(3)
w1.metric(tr("impact.saved_to_date"), texts["saved_to_date"])
w2.metric(tr("impact.projected_year"), texts["projected_year"])
w3.metric(tr("impact.households"), texts["households"])
for sentence in (texts["to_date"], texts["projected"]):
    if sentence:
        st.markdown(sentence)
if texts["repairs"]:
    st.info(texts["repairs"])

# -- the water saved, checked against the meters: the zones' night flows -------------------
st.subheader(tr("impact.night"))
st.caption(tr("impact.night_help"))
pipes = common.load_utility(workspace).pipes
said = st.session_state.pop("night_said", None)  # the load of the last run, said once
if said:
    st.success(said)
try:
    check = night_flow.workspace_night_flow(workspace, summary["leaks"], pipes)
except ValueError as exc:  # kept from an earlier load, no longer fits the network: said
    st.warning(common.said(exc))
else:
    for sentence in night_flow.night_flow_words(check, lang):
        st.markdown(markdown_safe(sentence))
with st.expander(tr("impact.night_format")):
    st.markdown(tr("impact.night_format_help"))
    st.code(night_flow.EXAMPLE, language=None)
order = common.date_order("night_day_first")
upload = st.file_uploader(tr("impact.night_upload"), type=["csv"], key="night_upload")
if common.new_upload(upload, order, "night_file"):
    had = night_flow.night_flow_file(workspace).is_file()
    try:
        load = night_flow.save_night_flow(
            workspace, upload.getvalue(), pipes, by=user.username, name=upload.name,
            day_first=order,
        )  # fmt: skip
    except ValueError as exc:  # InputError and DataContractError: the file, rows and fix
        st.error(tr("impact.night_refused", error=common.said(exc)))
    else:
        said = load.words(lang)
        st.session_state["night_said"] = said + (f" {tr('impact.night_replaced')}" if had else "")
        st.rerun()

# -- money: what the rounds cost and what the leaks found are worth ([costs] settings) --------
if texts["money"]:
    st.subheader(tr("impact.money"))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(tr("impact.money_cost"), texts["cost"])
    m2.metric(tr("impact.money_water"), texts["water_value"])
    m2.caption(tr("impact.money_water_volume", m3=texts["water_value_m3"]))
    m3.metric(tr("impact.money_repairs"), texts["repairs_avoided"])
    m4.metric(tr("impact.money_return"), texts["return"])
    if texts.get("return_caution"):
        m4.caption(texts["return_caution"])
    st.markdown(texts["money"])

# -- against the old ways: the backtest, then the field when enough was inspected ----------
st.subheader(tr("impact.against_baselines"))
if texts["backtest"]:
    st.markdown(texts["backtest"])
else:
    st.info(common.backtest_notice(workspace) or texts["no_backtest"])
if texts["no_outcomes"]:
    st.info(texts["no_outcomes"])
elif texts["small_sample"]:
    st.warning(texts["small_sample"])
rates = words.hit_rate_table(summary, lang)
# Too little inspected (said above): bars of the old ways scaled from one or two finds drew a
# comparison the sentence refuses (all at 0.00 /km after a first "nothing found").
if len(rates) and summary["enough_to_compare"]:
    top = float(rates["leaks_per_km"].max()) or 1.0
    bars = (
        alt.Chart(rates)
        .mark_bar()
        .encode(
            x=alt.X("leaks_per_km:Q", axis=None, scale=alt.Scale(domain=[0, top * 1.35])),
            y=alt.Y("method:N", sort=None, title=None, axis=alt.Axis(labelLimit=0)),
            color=alt.Color(
                "observed:N",
                legend=None,
                scale=alt.Scale(domain=[True, False], range=["#1f6fb2", "#a9b4c2"]),
            ),
            tooltip=[alt.Tooltip("method:N", title=" "), alt.Tooltip("value:N", title=" ")],
        )
    )
    labels = bars.mark_text(align="left", dx=4).encode(text="value:N", color=alt.value("#333"))
    st.altair_chart(
        common.localized((bars + labels).properties(height=36 * len(rates) + 10)), width="stretch"
    )
    st.caption(tr("impact.baselines_help"))

# -- water saved per month, to date ---------------------------------------------------------
st.subheader(tr("impact.monthly"))
monthly = summary["monthly"]
if len(monthly) and monthly["saved_m3"].sum() > 0:
    # One scale for both (two axes would make the line and the bars look unrelated).
    saved, cumulative = tr("impact.saved_m3"), tr("impact.cumulative_m3")
    months = [format_month(m, lang) for m in monthly["month"]]  # "Dec 2026", as the table
    long = pd.concat(
        [
            pd.DataFrame({"month": months, "what": saved, "m3": monthly["saved_m3"]}),
            pd.DataFrame({"month": months, "what": cumulative, "m3": monthly["cumulative_m3"]}),
        ]
    )
    colour = alt.Color(
        "what:N",
        title=None,
        scale=alt.Scale(domain=[saved, cumulative], range=["#1f6fb2", "#333333"]),
        legend=alt.Legend(orient="top", labelLimit=0),
    )
    base = alt.Chart(long).encode(
        x=alt.X("month:O", title=None, sort=months, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("m3:Q", title="m³", axis=alt.Axis(format=",.0f")),
        color=colour,
    )
    bars = base.transform_filter(alt.datum.what == saved).mark_bar(size=28)
    line = base.transform_filter(alt.datum.what == cumulative).mark_line(point=True)
    st.altair_chart(common.localized(alt.layer(bars, line).properties(height=260)), width="stretch")
    st.dataframe(words.monthly_table(summary, lang), hide_index=True)
else:
    st.info(tr("impact.no_repairs_yet") if summary["leaks_found"] else tr("impact.no_leaks"))

st.caption(texts["assumptions"])
d1, d2, d3 = st.columns(3)
d1.download_button(
    tr("impact.export_monthly"), to_csv_text(monthly), "water-saved-by-month.csv",
    "text/csv", key="dl_monthly", on_click="ignore",
)  # fmt: skip
d2.download_button(
    tr("impact.export_leaks"), to_csv_text(words.leaks_export(summary)), "leaks-found.csv",
    "text/csv", key="dl_leaks", on_click="ignore",
)  # fmt: skip
# every field record, nothing found and no access too: the file of 'risk outcomes export'
d3.download_button(
    tr("impact.export_records"), to_csv_text(common.get_store(workspace).export_table()),
    "field-records.csv", "text/csv", key="dl_records", help=tr("impact.export_records_help"),
    on_click="ignore",
)  # fmt: skip
