"""Model (engineers, managers): the model in words, its backtest against the old ways,
calibration, and its versions."""

import altair as alt
import common
import pandas as pd
import streamlit as st

from risk import auth, clock, modelcard, scoring
from risk.i18n import format_number, format_percent
from risk.savings import backtest_report
from risk.workspace import Workspace

workspace, user = common.require("model")
lang = common.lang()
tr = common.tr


def label(method: str) -> str:
    key = backtest_report.BASELINE_LABELS.get(method)
    return tr(key) if key else method


def calibration_chart(table: pd.DataFrame):
    """Predicted against observed failure frequency, with the diagonal of a perfect model."""
    top = float(max(table["predicted"].max(), table["observed"].max(), 1e-6))
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0.0, top], "y": [0.0, top]}))
        .mark_line(strokeDash=[4, 4], color="gray")
        .encode(x="x:Q", y="y:Q")
    )
    points = (
        alt.Chart(table)
        .mark_circle(size=80)
        .encode(
            x=alt.X("predicted:Q", title=tr("model.predicted"), axis=alt.Axis(format="%")),
            y=alt.Y("observed:Q", title=tr("model.observed"), axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("predicted:Q", title=tr("model.predicted"), format=".1%"),
                alt.Tooltip("observed:Q", title=tr("model.observed"), format=".1%"),
                alt.Tooltip("count:Q", title=tr("model.pipes"), format=","),
            ],
        )
    )
    return diagonal + points


def deciles_chart(rows: list[dict]):
    """Expected and observed failures side by side for each decile of expected failures."""
    expected, observed = tr("model.col.expected"), tr("model.col.observed")
    table = pd.DataFrame(
        [
            {"decile": int(r["decile"]), "series": name, "failures": float(r[key])}
            for r in rows
            for name, key in ((expected, "predicted"), (observed, "observed"))
        ]
    )
    return (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=alt.X("decile:O", title=tr("model.deciles_axis")),
            xOffset="series:N",
            y=alt.Y("failures:Q", title=tr("model.failures")),
            color=alt.Color("series:N", title=None, sort=[expected, observed]),
            tooltip=[
                alt.Tooltip("decile:O", title=tr("model.col.decile")),
                alt.Tooltip("series:N", title=" "),
                alt.Tooltip("failures:Q", title=tr("model.failures"), format=",.1f"),
            ],
        )
    )


st.title(tr("model.title"))
report = common.load_json(common.backtest_file(workspace, "json"))
files = common.model_cards(workspace)
cards = [(modelcard.card_name(f), common.load_json(f, "risk score") or {}) for f in files]
in_use = Workspace(workspace).read_scores_basis().get("model")  # made the current scores

# -- the model in words ---------------------------------------------------------------------
card = {}
if not cards:
    st.info(tr("model.no_cards"))
else:
    names = [name for name, _ in cards]
    labels = modelcard.version_labels(cards, lang)
    chosen = st.selectbox(
        tr("model.version_shown"),
        names,
        index=names.index(in_use) if in_use in names else 0,  # the one behind the scores
        format_func=lambda name, labels=labels: labels[name],  # bound: AppTest
        key="model_card",
        placeholder=tr("common.choose"),
    )
    card = dict(cards[names.index(chosen)][1])
    page = modelcard.describe_card(card, lang, report=report)
    st.subheader(tr("model.what_predicts"))
    st.markdown(page["predicts"])
    if page["trained"] or page["method"]:
        st.subheader(tr("model.learned"))
        st.markdown(" ".join(p for p in (page["trained"], page["method"]) if p))
    # the crews' records: those it learnt from, and those since (score again to use them)
    records = modelcard.field_records_words(
        card,
        common.get_store(workspace).outcomes(counted=True),
        lang,
        command=scoring.score_again_command(workspace, clock.today())
        if user.role in auth.PLANNING_ROLES
        else None,
    )
    if records:
        st.markdown(records)
    if page["backtest"]:
        st.subheader(tr("model.how_well"))
        st.markdown("\n".join(f"- {sentence}" for sentence in page["backtest"]))

if report is None:
    st.info(common.backtest_notice(workspace) or tr("model.no_report"))
else:
    # -- capture curves and headline metrics --------------------------------------------
    st.subheader(tr("model.capture"))
    st.caption(tr("model.capture_help"))
    curves = backtest_report.curves_table(report)
    if len(curves):
        curves["label"] = curves["method"].map(label)
        shown = set(curves["method"])
        known = backtest_report.METHOD_COLOURS
        colours = {m: c for m, c in known.items() if m in shown}
        colours |= {m: "#999999" for m in sorted(shown - set(known))}
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
                color=alt.Color(
                    "label:N",
                    title=tr("model.method"),
                    scale=alt.Scale(
                        domain=[label(m) for m in colours], range=list(colours.values())
                    ),
                    sort=[label(m) for m in colours],
                ),
                strokeWidth=alt.condition(
                    alt.datum.method == "model", alt.value(3), alt.value(1.5)
                ),
            )
        )
        st.altair_chart(common.localized(chart), width="stretch")
    else:
        st.info(tr("model.no_curves"))
    if report.get("install_year_known_share") is not None and "age" not in (
        report.get("summary") or {}
    ):  # the backtest left "oldest first" out (risk.baselines.age_rule_applies)
        st.caption(
            tr("model.no_age_rule", share=format_percent(report["install_year_known_share"], lang))
        )
    summary = report.get("summary") or {}
    if summary:
        rows = []
        for method, values in summary.items():
            row = {tr("model.method"): label(method)}
            for share in (1, 5, 10):
                value = values.get(f"capture_at_{share}pct")
                row[tr("model.captured_at", share=format_percent(share / 100, lang))] = (
                    format_percent(value, lang)
                )
            row["AUC"] = format_number(values.get("roc_auc"), lang, decimals=3)
            rows.append(row)
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="summary")

if card:
    features = modelcard.features_table(card, lang)
    if len(features):
        st.subheader(tr("model.looks_at"))
        st.caption(tr("model.looks_at_help"))
        st.markdown(
            "\n".join(
                f"- **{what}**{f' ({weight})' if weight != '–' else ''}{tr('punct.colon')}{details}"
                for what, details, weight in features.itertuples(index=False)
            )
        )

# -- calibration ----------------------------------------------------------------------------
# Two calibrations with two headings: the current model's (its held-out years), or else the
# backtest's (its test years, as its report shows them)
calibration = modelcard.reliability_table(card)
heading = tr("model.calibration") if len(calibration) else tr("model.calibration_backtest")
st.subheader(heading)
sentence = modelcard.describe_card(card, lang)["calibration"] if card else None
if sentence:
    st.markdown(sentence)
if not len(calibration):
    calibration = backtest_report.calibration_table(report)
if len(calibration):
    st.altair_chart(common.localized(calibration_chart(calibration)), width="stretch")
else:
    st.info(tr("model.no_calibration"))

# the forecast of the current scores, and the backtest's forecasts, the weather unknown
forecast = modelcard.current_forecast_sentence(workspace, lang)
if forecast:
    st.markdown(forecast)
forecasts = modelcard.forecast_table(report, lang)
if len(forecasts):
    st.subheader(tr("model.forecast"))
    st.caption(tr("model.forecast_help"))
    for line in modelcard.forecast_sentences(report, lang):
        st.warning(line)
    st.dataframe(forecasts, hide_index=True, key="forecasts")

# expected against observed failures per decile: the backtest's years, else the card's
deciles, where = modelcard.calibration_deciles(card, report)
if deciles:
    st.subheader(tr("model.deciles"))
    st.caption(tr("model.deciles_help"))
    st.markdown(" ".join(modelcard.deciles_sentences(deciles, where, lang)))
    for line in modelcard.beyond_training_sentences(report, lang):
        st.info(line)
    st.altair_chart(common.localized(deciles_chart(deciles)), width="stretch")
    # A static table: its ten rows wrap to the page's width, every word of the first and
    # last columns read ("1 (least risky" and "plus de 20 % d'écart," were cut in a grid)
    st.table(modelcard.deciles_table(deciles, lang), hide_index=True)

if report is not None:
    html = common.backtest_report_html(workspace, lang)
    if html is not None:
        with st.expander(tr("model.full_report")):
            st.download_button(
                tr("model.download_report"),
                html,
                file_name="backtest-report.html",
                mime="text/html",
                on_click="ignore",
            )
            st.iframe(html, height=800)

# -- model versions -------------------------------------------------------------------------
if cards:
    st.subheader(tr("model.versions"))
    st.dataframe(
        modelcard.versions_table(cards, lang, in_use=in_use), hide_index=True, key="versions"
    )
    with st.expander(tr("model.raw_card")):
        st.json(card, expanded=False)
