"""Model (engineers, managers): backtest against the old ways, calibration, model versions."""

import altair as alt
import common
import pandas as pd
import streamlit as st

from risk import impact
from risk.i18n import format_number, format_percent

workspace, user = common.require("model")
lang = common.lang()
tr = common.tr


def label(method: str) -> str:
    key = impact.BASELINE_LABELS.get(method)
    return tr(key) if key else method


st.title(tr("model.title"))
report = common.load_json(common.backtest_file(workspace, "json"))
if report is None:
    st.info(tr("model.no_report"))
else:
    # -- capture curves and headline metrics --------------------------------------------
    st.subheader(tr("model.capture"))
    st.caption(tr("model.capture_help"))
    curves = impact.curves_table(report)
    if len(curves):
        curves["label"] = curves["method"].map(label)
        chart = (
            alt.Chart(curves)
            .mark_line()
            .encode(
                x=alt.X(
                    "length_share:Q", title=tr("model.length_share"), axis=alt.Axis(format="%")
                ),
                y=alt.Y(
                    "captured_share:Q", title=tr("model.captured_share"), axis=alt.Axis(format="%")
                ),
                color=alt.Color("label:N", title=tr("model.method")),
                strokeWidth=alt.condition(
                    alt.datum.method == "model", alt.value(3), alt.value(1.5)
                ),
            )
        )
        st.altair_chart(chart, width="stretch")
    else:
        st.info(tr("model.no_curves"))
    summary = report.get("summary") or {}
    if summary:
        rows = []
        for method, values in summary.items():
            row = {tr("model.method"): label(method)}
            for share in (1, 5, 10):
                value = values.get(f"capture_at_{share}pct")
                row[tr("model.captured_at", share=f"{share}%")] = format_percent(value, lang)
            row["AUC"] = format_number(values.get("roc_auc"), lang, decimals=3)
            rows.append(row)
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="summary")

    # -- calibration --------------------------------------------------------------------
    st.subheader(tr("model.calibration"))
    calibration = impact.calibration_table(report)
    if len(calibration):
        top = float(max(calibration["predicted"].max(), calibration["observed"].max(), 1e-6))
        diagonal = (
            alt.Chart(pd.DataFrame({"x": [0.0, top], "y": [0.0, top]}))
            .mark_line(strokeDash=[4, 4], color="gray")
            .encode(x="x:Q", y="y:Q")
        )
        points = (
            alt.Chart(calibration)
            .mark_circle(size=80)
            .encode(
                x=alt.X("predicted:Q", title=tr("model.predicted")),
                y=alt.Y("observed:Q", title=tr("model.observed")),
                tooltip=["predicted", "observed", "count"],
            )
        )
        st.altair_chart(diagonal + points, width="stretch")
    else:
        st.info(tr("model.no_calibration"))

    html_file = common.backtest_file(workspace, "html")
    if html_file.is_file():
        with st.expander(tr("model.full_report")):
            st.download_button(
                tr("model.download_report"),
                html_file.read_bytes(),
                file_name="backtest-report.html",
                mime="text/html",
            )
            st.iframe(html_file, height=800)

# -- model versions -------------------------------------------------------------------------
st.subheader(tr("model.versions"))
cards = common.model_cards(workspace)
if not cards:
    st.info(tr("model.no_cards"))
else:
    names = [c.parent.name if c.name == "model_card.json" else c.stem for c in cards]
    summary = []
    for name, file in zip(names, cards, strict=True):
        card = common.load_json(file) or {}
        summary.append(
            {
                tr("model.version"): name,
                tr("model.trained"): card.get("created", ""),
                tr("model.as_of"): card.get("as_of", ""),
                tr("model.horizon"): card.get("horizon_years", ""),
            }
        )
    st.dataframe(pd.DataFrame(summary), hide_index=True)
    chosen = st.selectbox(tr("model.card"), names, key="model_card")
    st.json(common.load_json(cards[names.index(chosen)]), expanded=False)
