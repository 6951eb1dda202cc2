"""Map payload: vectorised reprojection, compact rows, bands, filters, basemap settings."""

import json
import urllib.parse

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString

from risk import i18n, maplayers
from risk.dispatch import inspection_exclusions
from risk.outcomes.form import outcome_from_form
from risk.savings.impact import hit_rates


def grid(n: int, crs: str = "EPSG:2154") -> gpd.GeoDataFrame:
    rng = np.random.default_rng(0)
    x = rng.uniform(840_000, 850_000, n)
    y = rng.uniform(6_510_000, 6_520_000, n)
    lines = shapely.linestrings(
        np.stack([np.column_stack([x, y]), np.column_stack([x + 80, y + 5])], 1)
    )
    return gpd.GeoDataFrame({"pipe_id": [f"P{i}" for i in range(n)]}, geometry=lines, crs=crs)


def test_paths_are_reprojected_rounded_and_split_by_part():
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["A", "B"]},
        geometry=[
            LineString([(842_000, 6_519_000), (842_050, 6_519_000), (842_100, 6_519_000)]),
            MultiLineString([[(842_000, 6_519_100), (842_100, 6_519_100)],
                             [(842_200, 6_519_100), (842_300, 6_519_100)]]),
        ],
        crs="EPSG:2154",
    )  # fmt: skip
    paths = maplayers.lonlat_paths(pipes)
    assert paths.pipe_row.tolist() == [0, 1, 1]  # the MultiLineString keeps its two parts
    assert paths.offsets.tolist() == [0, 2, 4, 6]  # the collinear middle vertex is simplified
    lon, lat = paths.coords[0]
    assert 4.7 < lon < 5.0 and 45.6 < lat < 45.9  # near Lyon
    assert np.array_equal(paths.coords, np.round(paths.coords, 5))
    rows = maplayers.path_records(paths, pipes["pipe_id"].to_numpy(), np.array([1]))
    assert [r["id"] for r in rows] == ["B", "B"] and len(rows[0]["p"]) == 4


def test_missing_crs_names_the_fix():
    with pytest.raises(ValueError, match="set_crs"):
        maplayers.lonlat_paths(grid(3).set_crs(None, allow_override=True))


def test_bands_follow_the_rank_share():
    bands = maplayers.risk_bands(pd.Series([1, 2, 10, 25, 26, 50, 51, 100, None]), 100)
    assert bands.tolist() == [
        "very_high", "very_high", "high", "medium", "low", "low", "very_low", "very_low", "unscored",
    ]  # fmt: skip


def test_deck_json_is_compact_and_requests_no_basemap():
    pipes = grid(50)
    paths = maplayers.lonlat_paths(pipes)
    bands = maplayers.risk_bands(pd.Series(np.arange(1, 51)), 50)
    deck = maplayers.make_deck(
        maplayers.pipe_layers(paths, pipes["pipe_id"].to_numpy(), bands), paths.bounds
    )
    text = deck.to_json()
    spec = json.loads(text)
    assert "\n" not in text and "mapProvider" not in spec
    # pydeck's "no style given" sentinel: Streamlit then draws no basemap (fetches nothing).
    assert spec["mapStyle"] == "__MAP_STYLE__"
    layer = spec["layers"][-1]
    assert layer["id"] == "pipes-very_high" and layer["@@type"] == "LineLayer"
    assert set(layer["data"][0]) == {"s", "t", "id"}  # no per-row colour: one layer per band
    assert sum(len(x["data"]) for x in spec["layers"]) == 50  # one segment per 2-vertex pipe


def test_segments_follow_each_pipe_path_and_skip_single_points():
    paths = maplayers.LonLatPaths(
        pipe_row=np.array([0, 1, 2, 2]),
        offsets=np.array([0, 3, 4, 6, 8]),
        coords=np.array([[0, 0], [1, 0], [1, 1], [5, 5], [2, 2], [3, 3], [7, 7], [8, 8]], float),
    )
    ids = np.array(["A", "B", "C"], dtype=object)
    rows = maplayers.segment_records(paths, ids, np.array([0, 1, 2]))
    assert rows == [
        {"s": [0.0, 0.0], "t": [1.0, 0.0], "id": "A"},
        {"s": [1.0, 0.0], "t": [1.0, 1.0], "id": "A"},
        {"s": [2.0, 2.0], "t": [3.0, 3.0], "id": "C"},  # B is a single point: no segment
        {"s": [7.0, 7.0], "t": [8.0, 8.0], "id": "C"},  # a MultiLineString's second part
    ]
    assert maplayers.segment_records(paths, ids, np.array([2]))[0]["id"] == "C"


def test_selection_event_gives_the_pipe_id():
    event = {
        "selection": {"indices": {"pipes-high": [3]}, "objects": {"pipes-high": [{"id": "P-7"}]}}
    }
    assert maplayers.selected_pipe_id(event) == "P-7"
    assert maplayers.selected_pipe_id({"selection": {"indices": {}, "objects": {}}}) is None
    assert maplayers.selected_pipe_id(None) is None


def test_filters_combine():
    table = pd.DataFrame(
        {"material": ["pvc", "cast_iron", "pvc"], "pressure_zone": ["a", "b", None],
         "band": ["high", "low", "high"], "age_years": pd.array([10.0, 80.0, None], dtype="Float64")}
    )  # fmt: skip
    assert maplayers.filter_mask(table).tolist() == [True, True, True]
    assert maplayers.filter_mask(table, materials=["pvc"]).tolist() == [True, False, True]
    assert maplayers.filter_mask(table, zones=["a"]).tolist() == [True, False, False]
    assert maplayers.filter_mask(table, age_years=(50, 90)).tolist() == [False, True, False]


def test_basemap_only_when_configured(monkeypatch):
    monkeypatch.delenv("RISK_MAP_TILE_URL", raising=False)
    monkeypatch.delenv("RISK_MAP_STYLE_URL", raising=False)
    assert maplayers.basemap_style({}) is None
    url = maplayers.basemap_style({"map": {"tile_url": "http://tiles.local/{z}/{x}/{y}.png"}})
    style = json.loads(urllib.parse.unquote(url.split(",", 1)[1]))
    assert style["sources"]["utility"]["tiles"] == ["http://tiles.local/{z}/{x}/{y}.png"]
    monkeypatch.setenv("RISK_MAP_STYLE_URL", "http://tiles.local/style.json")
    assert maplayers.basemap_style({}) == "http://tiles.local/style.json"
    deck = maplayers.make_deck(
        [], (4.8, 45.7, 4.9, 45.8), style_url="http://tiles.local/style.json"
    )
    assert json.loads(deck.to_json())["mapStyle"] == "http://tiles.local/style.json"


def test_pipe_card_reasons_and_history():
    table = maplayers.map_table(
        pd.DataFrame({"pipe_id": ["A"], "material": ["pvc"], "diameter_mm": [100.0],
                      "install_year": [1970], "length_m": [50.0]}),
        pd.DataFrame({"pipe_id": ["A"], "probability": [0.1], "expected_failures": [0.1],
                      "rank": [1], "top_reasons": ['["old", "clay soil"]']}),
        year=2026,
    )  # fmt: skip
    breaks = pd.DataFrame(
        {"pipe_id": ["A", None], "date": pd.to_datetime(["2020-01-01", "2021-01-01"])}
    )
    card = maplayers.pipe_card(table, breaks, "A")
    assert card["top_reasons"] == ["old", "clay soil"] and len(card["failures"]) == 1
    assert card["attributes"]["age_years"] == 56
    assert maplayers.reasons_list("a; b") == ["a", "b"]


@pytest.mark.slow
def test_100k_segments_make_a_small_payload():
    # speed is measured by benchmarks/run.py (the map stage), not asserted here
    pipes = grid(100_000)
    paths = maplayers.lonlat_paths(pipes)
    bands = maplayers.risk_bands(pd.Series(np.arange(1, 100_001)), 100_000)
    deck = maplayers.make_deck(
        maplayers.pipe_layers(paths, pipes["pipe_id"].to_numpy(), bands), paths.bounds
    )
    assert maplayers.payload_size(deck) < 70 * 100_000  # under 70 bytes a two-vertex pipe


def test_numbers_follow_the_language():
    assert i18n.format_quantity(1234.5, "m³", "fr", decimals=1) == "1\u202f234,5\u00a0m³"
    assert i18n.format_quantity(1234.5, "m³", "en", decimals=1) == "1,234.5 m³"
    assert i18n.format_percent(0.125, "fr", decimals=1) == "12,5\u00a0%"
    assert i18n.format_number(float("nan"), "fr") == "–"
    assert i18n.t("impact.title", "de") == "Impact"  # unknown language: English
    assert i18n.t("no.such.key", "fr") == "no.such.key"


def test_the_catalogues_have_every_key_the_dashboards_build():
    import re
    from pathlib import Path

    root = Path(__file__).parents[1]
    sources = [
        *root.joinpath("dashboards").rglob("*.py"),
        *root.joinpath("risk", "savings").glob("*.py"),
    ]
    sources.append(root / "risk" / "outcomes" / "form.py")
    used = set()
    for file in sources:
        used |= set(re.findall(r"\btr?\(\s*\"([a-z_]+\.[a-z_.]+)\"", file.read_text()))
        used |= set(re.findall(r"\"((?:form\.error|method|page)\.[a-z_]+)\"", file.read_text()))
    dynamic = [f"band.{b}" for b, _, _ in maplayers.RISK_BANDS] + ["band.unscored"]
    dynamic += [f"role.{r}" for r in ("engineer", "crew", "manager", "admin")]
    dynamic += [f"result.{r}" for r in ("leak_found", "nothing_found", "no_access")]
    dynamic += [f"dispatch.{u}" for u in ("km_per_day", "checks_per_day")]
    # every language has every key: tests/test_translations.py
    missing = sorted(key for key in used | set(dynamic) if not i18n.has(key))
    assert not missing, f"the catalogues lack {missing}"


def test_outcome_form_checks_everything_at_once():
    today = pd.Timestamp("2026-11-23").date()
    outcome, problems = outcome_from_form(
        pipe_id="", assignment_id=None, result="leak_found", leak_kind=None, flow_m3_per_h=-1.0,
        repair_date=pd.Timestamp("2026-11-01").date(), inspected_on=pd.Timestamp("2026-11-20").date(),
        notes="  ", today=today,
    )  # fmt: skip
    assert problems == [
        "form.error.pipe",
        "form.error.leak_kind",
        "form.error.flow",
        "form.error.repair_before",
    ]
    outcome, problems = outcome_from_form(
        pipe_id="P1", assignment_id=3, result="nothing_found", leak_kind="joint", flow_m3_per_h=2.0,
        repair_date=None, inspected_on=today, notes="", today=today,
    )  # fmt: skip
    assert not problems and outcome["leak_kind"] is None and outcome["flow_m3_per_h"] is None


def test_exclusions_and_hit_rates():
    outcomes = pd.DataFrame(
        {"pipe_id": ["A", "B", "C"], "result": ["leak_found", "no_access", "nothing_found"],
         "inspected_on": pd.to_datetime(["2026-10-01", "2026-10-01", "2020-01-01"])}
    )  # fmt: skip
    assignments = pd.DataFrame({"pipe_id": ["D", "E"], "status": ["planned", "done"]})
    excluded = inspection_exclusions(outcomes, assignments, start=pd.Timestamp("2026-11-23").date())
    assert excluded.to_dict("list") == {
        "pipe_id": ["A", "D"],
        "reason": ["inspected_recently", "already_planned"],
    }
    report = {"curves": {"shares": [0.0, 0.1, 1.0],
                         "capture": {"model": [0.0, 0.5, 1.0], "age": [0.0, 0.25, 1.0],
                                     "oracle": [0.0, 0.9, 1.0], "weibull_leyp": [None] * 3}}}  # fmt: skip
    rates = hit_rates(4, 10.0, 100.0, report).set_index("method")["leaks_per_km"]
    assert rates["field"] == pytest.approx(0.4) and rates["age"] == pytest.approx(0.2)
    assert "oracle" not in rates and "weibull_leyp" not in rates  # no curve: left out


def test_the_card_says_which_breaks_are_older_than_the_complete_record():
    """A network whose record is complete from 2016 listed a 1998 break as any other."""
    from types import SimpleNamespace

    from risk.pipecard import pipe_card

    table = pd.DataFrame({"pipe_id": ["A", "B"], "rank": [1, 2], "band": "high"})
    breaks = pd.DataFrame(
        {"pipe_id": ["A", "A", "A", "B"],
         "date": pd.to_datetime(["1998-03-01", "2012-01-05", "2019-06-01", "2020-01-01"])}
    )  # fmt: skip
    data = SimpleNamespace(breaks=breaks, meta={"records_complete_from": 2016})
    card = pipe_card(table, data, "A")
    assert len(card["breaks"]) == 3
    assert card["breaks_note"].startswith(
        "2 of these breaks are from before 2016, the year the network's break record is taken "
        "as complete from"
    )
    assert (
        "1 de ces casses date d'avant 2016"
        in pipe_card(
            table, SimpleNamespace(breaks=breaks.iloc[[0, 3]], meta=data.meta), "A", lang="fr"
        )["breaks_note"]
    )
    assert pipe_card(table, data, "B")["breaks_note"] is None
    assert pipe_card(table, SimpleNamespace(breaks=breaks, meta={}), "A")["breaks_note"] is None
