"""Files a utility hands over, read as it writes them: seconds and peak memory.

    python benchmarks/bench_files.py [--zones 20] [--outcomes 10000]

- **night flows from readings**: a year of a meter's readings every 15 minutes for each zone
  (``zone,date,flow_m3_per_h``), read (:func:`risk.csvsafe.read_table`) and turned into each
  night's minimum (:func:`risk.savings.water.check_night_flow`);
- **outcome import**: a crew's spreadsheet on a French computer (semicolons, day/month/year,
  decimal commas, the sheet's words), checked row by row
  (:func:`risk.store.validation.check_outcomes`), nothing written.

Prints a Markdown table; each case runs in this process, after a warm-up.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _night_flows(folder: Path, zones: int) -> tuple[float, str]:
    from risk.csvsafe import read_table
    from risk.savings.water import check_night_flow

    names = [f"Z{i:02d}" for i in range(zones)]
    times = pd.date_range("2025-12-01", "2026-12-01", freq="15min")[:-1]
    table = pd.DataFrame(
        {
            "zone": np.repeat(names, len(times)),
            "date": np.tile(times.strftime("%Y-%m-%d %H:%M"), zones),
            "flow_m3_per_h": np.random.default_rng(0).uniform(5, 40, len(times) * zones).round(2),
        }
    )
    path = folder / "readings.csv"
    table.to_csv(path, index=False)
    pipes = pd.DataFrame({"pipe_id": names, "zone": names})
    start = time.perf_counter()
    nights = check_night_flow(read_table(path), pipes, source=path)
    seconds = time.perf_counter() - start
    size = path.stat().st_size / 1e6
    return seconds, f"{len(table):,} readings ({size:.0f} MB) -> {len(nights):,} nights"


def _outcomes(rows: int) -> tuple[float, str]:
    from risk.store.validation import check_outcomes

    rng = np.random.default_rng(0)
    days = pd.Timestamp("2026-11-01") + pd.to_timedelta(rng.integers(0, 30, rows), unit="D")
    leak = rng.random(rows) < 0.1
    table = [
        {
            "pipe_id": f"P{i:07d}",
            "result": "Fuite trouvée" if leak[i] else "Rien trouvé",
            "inspected_on": days[i].strftime("%d/%m/%Y"),
            "leak_kind": "vanne" if leak[i] else "",
            "flow_m3_per_h": "0,8" if leak[i] else "",
            "notes": "",
        }
        for i in range(rows)
    ]
    start = time.perf_counter()
    clean, problems = check_outcomes(
        table, file="tournée.csv", today=pd.Timestamp("2026-12-01").date()
    )
    seconds = time.perf_counter() - start
    assert not problems and len(clean) == rows, problems[:3]
    return seconds, f"{rows:,} rows, all read"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=20)
    parser.add_argument("--outcomes", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        _night_flows(Path(scratch), 1)  # warm-up: imports, caches
        night = _night_flows(Path(scratch), args.zones)
    _outcomes(100)
    outcome = _outcomes(args.outcomes)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("| case | size | seconds |")
    print("|---|---|---|")
    print(
        f"| night flows from a year of 15-minute readings, {args.zones} zones | {night[1]} | {night[0]:.2f} |"
    )
    print(f"| outcome import check (French spreadsheet) | {outcome[1]} | {outcome[0]:.2f} |")
    print(f"\npeak memory of the process: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
