"""Project folders and AppTest helpers of the dashboard tests (not a test module).

``build_workspace`` writes a small project folder in code: 36 pipes on a street grid near
Lyon (Lambert-93), a few breaks and welds, scores, a backtest report, a model card, and an
outcome store with one account per role (``USERS``, all with ``PASSWORD``) and today's
assignments for crews "Nord" and "Sud". ``add_account`` adds an account to any project
folder's store; ``app_as`` runs ``dashboards/app.py`` in Streamlit's AppTest signed in as
one of ``USERS``; ``texts`` is what a page says.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, box
from streamlit.testing.v1 import AppTest

from risk import auth, clock
from risk.store import OutcomeStore
from risk.utility import UtilityData
from risk.workspace import write_workspace

APP = str(Path(__file__).parents[1] / "dashboards" / "app.py")
PASSWORD = "correct horse battery"
USERS = {
    "erin": ("engineer", None),
    "nadia": ("crew", "Nord"),
    "sam": ("crew", "Sud"),
    "marc": ("manager", None),
    "ada": ("admin", None),
}
TODAY = clock.today()


def build_workspace(
    root: Path, *, n_side: int = 6, geometry: bool = True, planned_date: dt.date | None = None
) -> Path:
    """A small project folder: network, scores, backtest, model card, store with accounts.

    Crews Nord and Sud have three inspections each on ``planned_date`` (default: today).
    """
    rng = np.random.default_rng(1)
    n = n_side * n_side
    x0, y0 = 842_000.0, 6_519_000.0
    lines = [
        LineString([(x0 + 100 * (i % n_side), y0 + 100 * (i // n_side)),
                    (x0 + 100 * (i % n_side) + 95, y0 + 100 * (i // n_side))])
        for i in range(n)
    ]  # fmt: skip
    ids = [f"P-{i:04d}" for i in range(n)]
    attributes = pd.DataFrame(
        {
            "pipe_id": ids,
            "material": rng.choice(["cast_iron", "pvc", "ductile_iron", "asbestos_cement"], n),
            "diameter_mm": rng.choice([100.0, 150.0, 200.0], n),
            "install_year": pd.array(rng.integers(1930, 2015, n), dtype="Int64"),
            "length_m": 95.0,
            "pressure_zone": rng.choice(["haut", "bas"], n),
            "lined": False,
            "removed_year": pd.array([pd.NA] * n, dtype="Int64"),
        }
    )
    pipes = (
        gpd.GeoDataFrame(attributes, geometry=lines, crs="EPSG:2154") if geometry else attributes
    )
    breaks = pd.DataFrame(
        {
            "break_id": [f"B{i}" for i in range(6)],
            "date": pd.to_datetime(["2015-02-03", "2018-01-20", "2019-12-11", "2021-03-05",
                                    "2022-07-14", "2023-11-30"]),
            "pipe_id": ["P-0000", "P-0000", "P-0001", "P-0007", "P-0012", None],
            "kind": "break",
            "flow_m3_per_h": np.nan,
            "link_method": ["pipe_id"] * 5 + ["unlinked"],
            "link_distance_m": np.nan,
            "unlinked_reason": [None] * 5 + ["no pipe_id and no location"],
        }
    )  # fmt: skip
    if geometry:
        breaks = gpd.GeoDataFrame(breaks, geometry=[None] * len(breaks), crs="EPSG:2154")
    welds = pd.DataFrame(
        {"weld_id": ["W1", "W2"], "pipe_id": ["P-0003", "P-0004"], "kind": "weld",
         "grade": "B", "condition": None, "year": pd.array([1962, 1970], dtype="Int64"),
         "link_method": "pipe_id"}
    )  # fmt: skip
    soils = (
        gpd.GeoDataFrame(
            {"alea_argile": ["fort", "faible"]},
            geometry=[box(x0 - 10, y0 - 10, x0 + 300, y0 + 600), box(x0 + 300, y0 - 10, x0 + 610, y0 + 600)],
            crs="EPSG:2154",
        )
        if geometry
        else None
    )  # fmt: skip
    data = UtilityData(
        pipes=pipes, breaks=breaks, soils=soils, welds=welds, crs="EPSG:2154" if geometry else None
    )
    workspace = write_workspace(data, root / "town")

    probability = np.sort(rng.uniform(0.01, 0.4, n))[::-1]
    pd.DataFrame(
        {
            "pipe_id": ids,
            "probability": probability,
            "expected_failures": probability * 1.1,
            "rank": np.arange(1, n + 1),
            "top_reasons": ["cast iron; 2 breaks in 5 years; clay soil"] * n,
        }
    ).to_parquet(workspace / "scores.parquet", index=False)

    # As written by risk.backtest.evaluate_utility (the parts the pages read).
    shares = [0.0, 0.05, 0.1, 0.25, 0.5, 1.0]
    report = {
        "horizon_years": 1,
        "years": [{"year": 2025, "methods": {"model": {"capture_at_5pct": 0.3},
                                             "age": {"capture_at_5pct": 0.1}},
                   "pipes": n, "length_km": 3.4, "failures": 4}],
        "curves": {
            "shares": shares,
            "capture": {
                "model": [0.0, 0.3, 0.45, 0.7, 0.88, 1.0],
                "age": [0.0, 0.1, 0.2, 0.4, 0.65, 1.0],
                "random": shares,
            },
        },
        "summary": {
            "model": {"capture_at_1pct": 0.1, "capture_at_5pct": 0.3, "capture_at_10pct": 0.45,
                      "roc_auc": 0.81},
            "age": {"capture_at_1pct": 0.02, "capture_at_5pct": 0.1, "capture_at_10pct": 0.2,
                    "roc_auc": 0.62},
        },
        "reliability": [
            {"predicted": 0.02, "observed": 0.025, "count": 20},
            {"predicted": 0.2, "observed": 0.18, "count": 16},
        ],
    }  # fmt: skip
    (workspace / "backtest").mkdir()
    # The file names of risk.backtest.write_backtest, and a card of risk.scoring.save_model.
    (workspace / "backtest" / "backtest.json").write_text(json.dumps(report))
    (workspace / "backtest" / "backtest.html").write_text("<html><h1>Backtest</h1></html>")
    card_dir = workspace / "models" / "2026-01-01_h1_abc"
    card_dir.mkdir(parents=True)
    card = {"created": "2026-11-01T10:00:00+00:00", "as_of": "2026-01-01", "horizon_years": 1}
    (card_dir / "model_card.json").write_text(json.dumps(card))

    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        for name, (role, crew) in USERS.items():
            auth.create_user(store, name, PASSWORD, role, crew)
        plan = pd.DataFrame(
            {
                "pipe_id": ids[:6],
                "crew": ["Nord"] * 3 + ["Sud"] * 3,
                "date": pd.Timestamp(planned_date or TODAY),
                "visit_order": [1, 2, 3, 1, 2, 3],
            }
        )
        store.add_assignments(plan, user="erin", round_id="round-1")
    return workspace


def add_account(workspace: Path, username: str, role: str, crew: str | None = None) -> None:
    """An account of the workspace's store with ``PASSWORD``, as 'risk users add' makes it."""
    auth.create_user(auth.store_location(workspace), username, PASSWORD, role, crew)


def app_as(workspace: Path, username: str | None, page: str | None = None, **state) -> AppTest:
    """The app signed in as ``username``, switched to ``page``, after one run."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state  # noqa: B018 - create the session state before setting it
    os.environ["RISK_WORKSPACE"] = str(workspace)
    if username is not None:
        role, crew = USERS[username]
        at.session_state["user"] = auth.User(username, role, crew)
        at.session_state["lang"] = state.pop("lang", "en")
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page is not None:
        at.switch_page(str(Path(APP).parent / "views" / f"{page}.py"))
        at.run()
    return at


def texts(at: AppTest) -> str:
    """What the page says: markdown, captions, titles, subheaders and alerts (info, success,
    warning, error), one a line."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [x.value for x in at.title] + [x.value for x in at.subheader]
    parts += (
        [x.value for x in at.info] + [x.value for x in at.success] + [x.value for x in at.error]
    )
    parts += [x.value for x in at.warning]
    return "\n".join(str(p) for p in parts)
