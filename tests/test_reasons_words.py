"""Reasons speak an engineer's words, in the reader's language, with the number behind them,
also for column names and codes the product has never seen (issue #16, item 3).

The ``renamed`` sample utility (``risk generate OUT --variant renamed``) names its context
columns as a French utility might: soil ``code_sol``, ``classe_rga`` (A1-A3),
``agressivité``, ``ph_eau``, ``nature``, ``resistivite_ohm_cm``; weather ``RR``, ``TN``,
``TX``; weld grades ``BON`` ... ``MAUVAIS`` and joint types ``PLOMB`` .... One small town
(1,500 segments) is generated, ingested with its mapping and scored by a small model once for
the module; the word functions are also tried on names no sample has.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from risk.cli import main
from risk.explain import column_label
from risk.features import build_features, clean_name, source_names
from risk.generate import generate_utility
from risk.maplayers import map_table
from risk.pipecard import column_words, grade_words, pipe_card, reason_words, value_words
from risk.sample import renamed
from risk.scoring import score_utility, train_model
from risk.workspace import load_workspace

ROOT = Path(__file__).parent.parent
SEGMENTS = 1_500
FAST = {"n_estimators": 30, "max_depth": 3, "learning_rate": 0.2, "panel_years": 5, "n_jobs": 1}
AS_OF = "2025-01-01"
#: A word cut where an accent was ("agressivit"), a raw feature name, the English name of a
#: Météo-France column: none of these may reach a person.
UNREAD = re.compile(r"_|agressivit\b|resistivit\b|\b(rr|tn|tx) mean\b")
NBSP_COLON = "\u00a0: "


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("words") / "renamed"
    generate_utility(folder, n_segments=SEGMENTS, seed=1, variant="renamed")
    ws = tmp_path_factory.mktemp("words_ws") / "renamed"
    mapping = ROOT / renamed.MAPPING
    code = main(["ingest", str(folder), "--mapping", str(mapping), "--workspace", str(ws)])
    assert code == 0
    return ws


@pytest.fixture(scope="module")
def data(workspace):
    return load_workspace(workspace)


@pytest.fixture(scope="module")
def model(data):
    start = data.meta["records_complete_from"]
    return train_model(data, AS_OF, records_start_year=start, model_params=FAST)


@pytest.fixture(scope="module")
def scores(data, model) -> pd.DataFrame:
    return score_utility(data, AS_OF, model=model)


def phrases(scores: pd.DataFrame) -> list[str]:
    return [p for r in scores["top_reasons"].dropna() for p in str(r).split("; ")]


# --- feature names keep the letters of accented names --------------------------------------


def test_accents_are_taken_off_letters_not_the_letters_off():
    assert clean_name("agressivité") == "agressivite"
    assert clean_name("résistivité") == "resistivite"
    assert clean_name("Teneur en eau (%)") == "teneur_en_eau"
    assert clean_name("MÉDIOCRE") == "mediocre"


def test_features_of_the_variant_know_the_names_they_come_from(data):
    X = build_features(data, AS_OF, verbose=False)
    assert {"soil_agressivite", "soil_resistivite_ohm_cm", "weather_rr_mean"} <= set(X)
    assert not [c for c in X if c.endswith("_agressivit")]
    names = X.attrs["source_names"]
    assert names["soil_agressivite"] == "agressivité"
    assert names["weather_rr_mean"] == "RR" and names["weather_tn_mean"] == "TN"
    assert names["welds_grade_mauvais"] == "MAUVAIS"
    assert "soil_code_sol" not in names  # left out of the model: it names polygons
    assert names.items() <= source_names(data).items()
    assert column_label("soil_agressivite", "soil", names) == "agressivité"
    assert column_label("weather_rr_mean", "weather", names) == "RR mean"


# --- words for names the catalogues do not hold --------------------------------------------


@pytest.mark.parametrize(
    ("name", "en", "fr"),
    [
        ("soil_agressivité", "soil agressivité", "agressivité du sol"),
        ("soil_agressivite", "soil agressivite", "agressivite du sol"),  # from a feature name
        ("soil_resistivite_ohm_cm", "soil resistivite (Ω·cm)", "resistivite du sol (Ω·cm)"),
        ("soil_ph_eau", "soil pH eau", "pH eau du sol"),
        ("soil_classe_rga", "soil classe rga", "classe rga du sol"),
        ("weather_RR_mean", "mean rainfall", "pluie moyenne"),
        # a temperature is read in °C whatever its column's name says
        ("weather_tn_mean", "mean lowest temperature (°C)", "température minimale moyenne (°C)"),
        ("weather_TX_mean", "mean highest temperature (°C)", "température maximale moyenne (°C)"),
        ("weather_PRCP_mm_mean", "mean rainfall (mm)", "pluie moyenne (mm)"),
        ("weather_Tmoy_C_mean", "mean temperature (°C)", "température moyenne (°C)"),
        ("soil_classe_c", "soil classe c", "classe c du sol"),  # "c" is Celsius in weather only
        ("weather_Humidité_pct_mean", "weather Humidité (%)", "Humidité (climat, %)"),
        ("soil_Teneur_sulfates_mg_l", "soil Teneur sulfates (mg/l)", "Teneur sulfates du sol (mg/l)"),
        ("welds_grade_mauvais", "welds and joints recorded as bad", "assemblages : mauvais"),
        ("welds_grade_plomb", "welds and joints recorded as lead-caulked joint", "assemblages : joint au plomb"),
        ("welds_grade_x9", "welds and joints recorded as X9", "assemblages : X9"),
        # the default sample's names keep their catalogue words
        ("soil_resistivite_ohm_m", "soil resistivity (Ω·m)", "résistivité du sol (Ω·m)"),
        ("weather_tmin_c_mean", "mean lowest temperature (°C)", "température minimale moyenne (°C)"),
    ],
)  # fmt: skip
def test_unknown_columns_read_as_words(name, en, fr):
    assert column_words(name, "en") == en
    assert column_words(name, "fr") == fr


def test_common_french_codes_have_plain_words():
    assert value_words("MAUVAIS", "en") == "bad"
    assert value_words("MEDIOCRE", "en") == "poor"
    assert value_words("MEDIOCRE", "fr") == "médiocre"
    assert value_words("BON", "en") == "good"
    assert value_words("argile", "en") == "clay"
    assert value_words("limon", "fr") == "limon"
    assert value_words("A3", "en") == "A3 (high clay shrink-swell hazard)"
    assert value_words("A1", "fr") == "A1 (aléa retrait-gonflement faible)"
    assert value_words("fort", "en") == "high"  # the default sample's words still hold
    assert value_words("S0042", "fr") == "S0042"  # an unknown code stays the data's own
    assert grade_words("PLOMB", "fr") == "joint au plomb"
    assert grade_words("B", "en") == "B"


@pytest.mark.parametrize(
    ("phrase", "lang", "words"),
    [
        ("soil agressivité high (6.0)", "en", "soil agressivité: high (6.0)"),
        ("soil agressivité high (6.0)", "fr", "agressivité du sol : valeur élevée (6,0)"),
        ("weather RR mean low (1.9)", "en", "mean rainfall: low (1.9)"),
        ("weather TN mean high (6.3)", "fr", "température minimale moyenne (°C) : valeur élevée (6,3)"),
        ("soil resistivite ohm cm low (2,090.0)", "en", "soil resistivite (Ω·cm): low (2,090.0)"),
        ("soil classe rga: A3 (raises the risk)", "en", "soil classe rga: A3 (high clay shrink-swell hazard)"),
        ("soil classe rga: A3", "fr", f"classe rga du sol{NBSP_COLON}A3 (aléa retrait-gonflement fort)"),
        ("soil nature: argile (raises the risk)", "en", "soil nature: clay"),
        # a code no catalogue knows: the data's own, with what it does
        ("soil nature: tuf (raises the risk)", "en", "soil nature: tuf (raises the risk)"),
        ("soil nature: tuf (raises the risk)", "fr", f"nature du sol{NBSP_COLON}tuf (augmente le risque)"),
        ("soil Classe RGA: Z9", "en", "soil Classe RGA: Z9 (raises the risk)"),
        # reasons written before this change read as before
        ("soil alea argile: fort", "en", "clay shrink-swell hazard: high"),
        ("soil resistivite ohm m low (20.9)", "en", "soil resistivity (Ω·m): low (20.9)"),
        # an install year unknown: the rate is the material's, not "of this material and age"
        ("cast iron, age unknown (LEYP rate 3.76/km)", "en",
         "cast iron, age unknown (pipes of this material: 3.76 failures per km expected)"),
        ("cast iron, age unknown (LEYP rate 3.76/km)", "fr",
         "fonte grise, âge inconnu (conduites de ce matériau : 3,76 casses par km attendues)"),
    ],
)  # fmt: skip
def test_reasons_read_as_words(phrase, lang, words):
    assert reason_words(phrase, lang) == words


# --- the variant, end to end ----------------------------------------------------------------


def test_the_variant_reasons_read_without_codes_or_cut_words(scores):
    raw = phrases(scores)
    context = [p for p in raw if p.startswith(("soil ", "weather "))]
    assert context, "the variant's soil and weather explain some pipes"
    assert not [p for p in raw if UNREAD.search(p)]
    assert any("agressivité" in p for p in context) or not any("agressiv" in p for p in raw)
    # a category without plain words says what it does
    for phrase in context:
        if ": " in phrase:
            assert phrase.endswith(" (raises the risk)"), phrase
    for lang in ("en", "fr"):
        words = [reason_words(p, lang) for p in context]
        assert not [w for w in words if UNREAD.search(w)], lang
        assert not [w for w in words if re.search(r"\b(rr|RR|TN|TX|tn|tx)\b", w)], lang
        for phrase, word in zip(context, words, strict=True):
            if ": " in phrase:  # a category: plain words, or the code and what it does
                coded = reason_words(phrase, "en").endswith(" (raises the risk)")
                assert word.endswith(")") or not coded, word
            else:  # a level: the number behind it
                assert re.search(r"\(-?\d", word), word


def test_the_variant_pipe_card_speaks_the_data_words_and_leaves_out_the_polygon_code(data, scores):
    table = map_table(data.pipes, scores, year=2025)
    pipe_id = str(scores["pipe_id"].iloc[0])
    english = pipe_card(table, data, pipe_id, lang="en")
    french = pipe_card(table, data, pipe_id, lang="fr")
    for card in (english, french):
        text = " | ".join(card["soils"] + card["welds"] + card["reasons"])
        assert card["soils"], "the first pipe lies on the soil layer"
        assert "code sol" not in text and not re.search(r"\bS\d{4}\b", text), text
        assert not UNREAD.search(text), text
    assert any(s.startswith("agressivité du sol") for s in french["soils"]), french["soils"]
    assert any(s.startswith("soil resistivite (Ω·cm): ") for s in english["soils"])
    assert not re.search(r"\b(BON|MOYEN|MEDIOCRE|MAUVAIS|PLOMB)\b", " ".join(english["welds"]))


def test_the_ingestion_report_does_not_call_used_weather_columns_unused(data, workspace):
    ignored = data.meta["report"]["ignored_columns"]
    assert not ignored.get("weather"), ignored  # RR, TN and TX are features
    assert ignored["stations"] == ["NOM_USUEL", "ALTI"]  # ... the stations' names are not
    report = (workspace / "report.md").read_text()
    unread = report.split("## Columns not read", 1)[1].split("## Warnings", 1)[0]
    assert "weather" not in unread and "`RR`" not in unread, unread
    assert "`NOM_USUEL`" in unread


def test_a_joint_type_in_the_grade_column_is_said_as_a_joint_not_as_a_grade():
    from types import SimpleNamespace

    from risk.pipecard import _weld_phrases

    welds = pd.DataFrame(
        {"pipe_id": ["P1"] * 3 + ["P2"], "grade": ["PLOMB", "PLOMB", "B", "C"],
         "condition": ["MAUVAIS", None, None, None]}
    )  # fmt: skip
    data = SimpleNamespace(welds=welds)
    assert _weld_phrases(data, "P1", "en") == [
        "3 welds or joints", "lead-caulked joint (2)", "grade: B (1)", "condition: bad (1)",
    ]  # fmt: skip
    assert _weld_phrases(data, "P2", "en") == ["1 weld or joint", "grade: C (1)"]
    assert _weld_phrases(data, "P1", "fr")[1] == "joint au plomb (2)"


def test_one_failure_nearby_is_one_failure_in_the_stored_reasons_and_in_words():
    """risk.csv's top_reasons said "1 failures on other pipes nearby"; reasons stored
    before read as before."""
    import pandas as pd

    from risk.explain import _phrases

    X = pd.DataFrame({"neighbour_failures_last_10y": [1.0, 3.0]})
    phrases = _phrases("neighbour_failures", X, X, None, {}).tolist()
    assert phrases == [
        "1 failure on other pipes nearby in the last 10 years",
        "3 failures on other pipes nearby in the last 10 years",
    ]
    words = reason_words(phrases[0], "en")
    assert words == reason_words("1 failures on other pipes nearby in the last 10 years", "en")
    assert "1 failure " in words and "_" not in words and "reason." not in words


def test_the_model_page_names_the_variants_columns_as_the_data_spells_them(model, tmp_path):
    """The Model page's table of what the model uses said "soil agressivite" (the feature's
    name, accents off) for the column ``agressivité``; a saved and reloaded model keeps the
    spelling."""
    import json

    from risk.modelcard import features_table
    from risk.scoring import load_model, save_model

    folder = save_model(model, tmp_path)
    card = json.loads((folder / "model_card.json").read_text(encoding="utf-8"))
    assert card["source_names"]["soil_agressivite"] == "agressivité"
    assert load_model(folder).source_names_ == card["source_names"]
    for lang, soil in (("en", "soil agressivité"), ("fr", "agressivité du sol")):
        details = " ".join(features_table(card, lang).iloc[:, 1])
        assert soil in details, details
        assert "agressivite" not in details and not UNREAD.search(details), details
