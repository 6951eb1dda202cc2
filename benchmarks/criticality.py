"""Benchmark ``risk criticality``: wall time and peak memory by network size and processes.

    python benchmarks/criticality.py                          # 2,000 and 5,000 segments
    python benchmarks/criticality.py --sizes 2000 --processes 1 2
    python benchmarks/criticality.py --sizes 2000 --valves yes no   # by segment, pipes alone

For each size, the sample utility (with its EPANET model) is generated and ingested once;
then each run of ``risk criticality`` happens in a fresh Python process, which reports its
wall time (imports included), its own peak resident memory and the largest peak of its
worker processes (``resource.getrusage``; ``RUSAGE_CHILDREN`` holds the largest child once
the workers have exited). Every pipe in service is closed: bridges are computed from the
graph, the others simulated over a peak day (and an average day when the peak leaves water
unserved). With ``--valves yes`` (the default) the sample's isolation valves
(``valves.geojson``) make the closures valve segments, one simulation per segment; ``no``
runs ``--no-valves`` (every pipe alone). Files go to a temporary folder that is removed
afterwards.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from risk.cli import main
code = main(["criticality", sys.argv[1], "--processes", sys.argv[2], "--json", *sys.argv[3:]])
wall_s = time.perf_counter() - t0
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"code": code, "wall_s": wall_s, "peak_rss_mib": own,
                  "worker_peak_rss_mib": workers}))
"""


def prepare(n_segments: int, seed: int, folder: Path) -> Path:
    """Generate and ingest the sample town; returns the workspace."""
    from risk.generate import generate_utility
    from risk.ingest import read_utility
    from risk.workspace import write_workspace

    town = generate_utility(folder / "town", n_segments=n_segments, seed=seed)
    workspace = folder / "workspace"
    write_workspace(read_utility(town), workspace)
    return workspace


def run_one(workspace: Path, processes: int, valves: bool = True) -> dict:
    """One ``risk criticality`` in a child process; its JSON summary plus time and memory."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(workspace), str(processes)]
        + ([] if valves else ["--no-valves"]),
        check=True,
        capture_output=True,
        text=True,
    )
    lines = result.stdout.strip().splitlines()
    measured = json.loads(lines[-1])
    if measured["code"] != 0:
        raise RuntimeError(f"risk criticality failed:\n{result.stderr}")
    summary = json.loads(lines[-2])
    return {**measured, **summary}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 5_000])
    parser.add_argument("--processes", type=int, nargs="+", default=[2])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--valves",
        nargs="+",
        choices=["yes", "no"],
        default=["yes"],
        help="close valve segments (yes) or every pipe alone (no)",
    )
    parser.add_argument(
        "--summaries", type=Path, help="folder to keep each run's consequence.json in"
    )
    args = parser.parse_args(argv)
    print(
        "| segments | valves | pipes closed | closures | simulated | days simulated | processes "
        "| wall s "
        "| s per simulated closure | peak RSS MiB | worker peak MiB | Spearman proxy |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            workspace = prepare(n, args.seed, Path(tmp))
            for valves in args.valves:
                for processes in args.processes:
                    r = run_one(workspace, processes, valves == "yes")
                    if args.summaries:
                        args.summaries.mkdir(parents=True, exist_ok=True)
                        name = f"consequence-{n}-{processes}-valves-{valves}.json"
                        target = args.summaries / name
                        target.write_text((workspace / "consequence.json").read_text())
                    rho = r["agreement"].get("proxy_cof_score", {}).get("cof_score")
                    per = r["wall_s"] / max(r["simulated"], 1)
                    by = "segments" if "valves" in r else "pipes alone"
                    print(
                        f"| {n:,} | {by} | {r['pipes_in_service']:,} | {r['closures']:,} "
                        f"| {r['simulated']:,} | {r.get('days_simulated', 0):,} | {processes} "
                        f"| {r['wall_s']:.0f} | {per:.3f} "
                        f"| {r['peak_rss_mib']:,.0f} | {r['worker_peak_rss_mib']:,.0f} "
                        f"| {rho:.2f} |"
                    )
                    sys.stdout.flush()


if __name__ == "__main__":
    main()
