"""One benchmark stage in a fresh process: prints a JSON line with seconds and peak memory.

    python benchmarks/stages.py STAGE WORK_DIR SEGMENTS

``seconds`` times the stage's own work (imports excluded); ``peak_rss_mib`` is the
process's peak resident memory. Used by ``benchmarks/run.py``.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

AS_OF = "2026-01-01"


def main(stage: str, work: Path, segments: int) -> dict:
    town, workspace = work / "town", work / "workspace"
    info: dict = {}
    if stage == "generate":
        from risk.generate import generate_utility

        start = time.perf_counter()
        generate_utility(town, n_segments=segments, seed=0)
    elif stage == "ingest":
        from risk.ingest import read_utility
        from risk.workspace import write_workspace

        start = time.perf_counter()
        write_workspace(read_utility(town), workspace)
    elif stage == "features":
        from risk.features import build_features
        from risk.workspace import load_workspace

        data = load_workspace(workspace)
        start = time.perf_counter()
        X = build_features(data, AS_OF, records_start_year=data.meta.get("records_complete_from"))
        info["features"] = X.shape[1]
    elif stage == "train":
        from risk.scoring import train_model
        from risk.workspace import load_workspace

        data = load_workspace(workspace)
        start = time.perf_counter()
        model = train_model(data, AS_OF, records_start_year=data.meta.get("records_complete_from"))
        info["training_rows"] = model.training_rows_
    elif stage == "score":
        # End to end, as a user runs it: the utility folder in, the scores file out.
        from risk.cli import main as risk

        start = time.perf_counter()
        code = risk(["score", str(town), "--as-of", AS_OF, "--out", str(work / "scores.parquet")])
        if code != 0:
            raise SystemExit(f"risk score failed with exit code {code}")
    elif stage == "dispatch":
        import pandas as pd

        from risk.dispatch import Crew, plan_inspections, working_days
        from risk.workspace import load_workspace

        data = load_workspace(workspace)
        scores = pd.read_parquet(work / "scores.parquet")
        start = time.perf_counter()
        crews = [
            Crew(f"crew {k}", working_days(pd.Timestamp("2026-01-05").date(), 5), km_per_day=5)
            for k in range(10)
        ]
        plan = plan_inspections(scores, data.pipes, crews)
        info["inspections"] = len(plan)
    elif stage == "map":
        import pandas as pd

        from risk.maplayers import lonlat_paths, make_deck, pipe_layers, risk_bands
        from risk.workspace import load_workspace

        data = load_workspace(workspace)
        scores = pd.read_parquet(work / "scores.parquet")
        start = time.perf_counter()
        pipes = data.pipes
        rank = pipes[["pipe_id"]].merge(scores, on="pipe_id", how="left")["rank"]
        paths = lonlat_paths(pipes)
        layers = pipe_layers(paths, pipes["pipe_id"].to_numpy(), risk_bands(rank, len(pipes)))
        payload = make_deck(layers, paths.bounds).to_json()
        info["payload_mib"] = round(len(payload.encode()) / 2**20, 1)
    elif stage == "backup":
        # risk backup create then check, on the workspace with a store of field records (one
        # outcome per 50 pipes, recorded before the clock starts)
        import pandas as pd

        from risk.backup import check_backup, create_backup
        from risk.store import OutcomeStore
        from risk.workspace import load_workspace

        ids = load_workspace(workspace).pipes["pipe_id"].astype(str).iloc[::50]
        rows = pd.DataFrame(
            {"pipe_id": ids, "result": "nothing_found", "inspected_on": "2026-01-05"}
        )
        with OutcomeStore(workspace / "outcomes.sqlite") as store:
            if not len(store.outcomes()):
                store.record_many(rows.to_dict("records"), user="bench", file="bench")
        start = time.perf_counter()
        made = create_backup(workspace, work / "backups", keep=1)
        info["create_s"] = round(time.perf_counter() - start, 1)
        check_backup(made.path)
        from risk.backup import store_damage

        checked = time.perf_counter()  # what risk serve runs at start (SQLite's quick check)
        assert store_damage(workspace) is None
        info["store_check_s"] = round(time.perf_counter() - checked, 2)
        info["backup_mib"] = round(made.path.stat().st_size / 2**20, 1)
        info["outcomes"] = made.records["outcomes"]
    elif stage == "floor":
        info.update(_floor(town, workspace))
        start = time.perf_counter() - info.pop("seconds")
    else:
        raise SystemExit(f"unknown stage {stage!r}")
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"stage": stage, "segments": segments, "seconds": seconds, "peak_rss_mib": peak, **info}


def _floor(town: Path, workspace: Path) -> dict:
    """Reading the inputs plus raw XGBoost training and prediction on the model's matrices.

    The training panel and the scoring features are built untimed with the model's own
    code and converted to what XGBoost reads (the model's features, float32 and category
    columns). The timed part is what no pipeline can avoid: reading the files, then XGBoost
    with the model's own parameters doing the model's two fits (on the panel dates before
    the last, for calibration, then on every date) and one prediction.
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import xgboost as xgb

    from risk.model import RiskModel, build_panel
    from risk.workspace import load_workspace

    data = load_workspace(workspace)
    model = RiskModel(
        feature_options={"records_start_year": data.meta.get("records_complete_from")}
    )
    panel = build_panel(
        data,
        AS_OF,
        panel_years=model.panel_years,
        feature_options=model.feature_options,
        max_rows=model.max_training_rows,
        random_state=model.random_state,
        verbose=False,
    )
    X = model.build_features(data, AS_OF)
    model.select_features(panel.X, panel.panel_date)
    train, offset = model.xgb_input(panel.X, with_offset=True)
    scoring, zero = model.xgb_input(X, with_offset=False)
    earlier = panel.panel_date < panel.panel_date.max()
    fits = [earlier, np.ones(len(train), dtype=bool)]
    params, rounds = model.xgb_params(), model.n_estimators

    start = time.perf_counter()
    for name in ("pipes", "breaks", "soils", "stations", "welds"):
        for path in town.glob(f"{name}.*"):
            gpd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    pd.read_csv(town / "weather.csv")
    for rows in fits:
        matrix = xgb.QuantileDMatrix(
            train[rows],
            label=panel.y[rows],
            weight=panel.weight[rows],
            base_margin=offset[rows],
            enable_categorical=True,
            nthread=model.n_jobs,
        )
        booster = xgb.train(params, matrix, num_boost_round=rounds)
    booster.predict(xgb.DMatrix(scoring, base_margin=zero, enable_categorical=True))
    return {"seconds": time.perf_counter() - start, "training_rows": len(train)}


if __name__ == "__main__":
    result = main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
    print(json.dumps(result))
