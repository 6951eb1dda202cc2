"""Benchmark suite: wall time and peak memory of every stage at several network sizes.

    python benchmarks/run.py                       # 20k, 100k and 1M segments
    python benchmarks/run.py --sizes 20000,100000  # quicker

    python benchmarks/run.py --repeat 3            # score and floor 3 times, medians

Each stage runs in a fresh process on the sample utility (``benchmarks/stages.py``). The
``floor`` is what no pipeline can avoid: reading the inputs plus raw XGBoost training and
prediction on the model's own matrices; ``x floor`` compares the end-to-end ``risk score``
with it. With ``--repeat N``, ``score`` and ``floor`` run N times, alternating, and the
table gives their median time (each run's time in the notes): on a shared 2-core machine
one run of either can be 10-20 % off. The table is printed and written to
``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
STAGES = (
    "generate",
    "ingest",
    "features",
    "train",
    "score",
    "dispatch",
    "map",
    "backup",
    "floor",
)
#: Stages run again with --repeat: the two sides of the "x floor" ratio.
REPEATED = ("score", "floor")


def run_stage(stage: str, work: Path, segments: int) -> dict:
    command = [sys.executable, str(HERE / "stages.py"), stage, str(work), str(segments)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-5:]
        return {"stage": stage, "segments": segments, "error": " | ".join(tail)}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="20000,100000,1000000")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=HERE.parent / "docs" / "performance.md")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of score and floor (median reported)"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    sizes = [int(s) for s in args.sizes.split(",")]
    stages = args.stages.split(",")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = args.work or Path(tmp)
        for segments in sizes:
            work = base / f"n{segments}"
            work.mkdir(parents=True, exist_ok=True)
            runs = {}
            for stage in stages:
                runs[stage] = [run_stage(stage, work, segments)]
                print(json.dumps(runs[stage][-1]), file=sys.stderr, flush=True)
            for _ in range(args.repeat - 1):
                for stage in (s for s in REPEATED if s in stages):
                    runs[stage].append(run_stage(stage, work, segments))
                    print(json.dumps(runs[stage][-1]), file=sys.stderr, flush=True)
            rows += [combine(runs[stage]) for stage in stages]
    table = pd.DataFrame(rows)
    text = render(table)
    print(text)
    args.out.write_text(text + kept_notes(args.out), encoding="utf-8")
    return table


def combine(results: list[dict]) -> dict:
    """One row from runs of a stage: median seconds, largest peak memory, each run's time."""
    failed = [r for r in results if "error" in r]
    if failed or len(results) == 1:
        return failed[0] if failed else results[0]
    seconds = [r["seconds"] for r in results]
    row = dict(results[0])
    row["seconds"] = statistics.median(seconds)
    row["peak_rss_mib"] = max(r["peak_rss_mib"] for r in results)
    row["runs"] = " / ".join(f"{s:.1f}" for s in seconds)
    return row


def render(table: pd.DataFrame) -> str:
    lines = [
        "# Performance",
        "",
        f"Measured by `python benchmarks/run.py` on {date.today()}, {platform.machine()}, "
        f"{_cores()} cores, Python {platform.python_version()}. Sample utility (`risk generate`), "
        "as-of 2026-01-01, default model. Each stage runs in a fresh process; seconds exclude "
        "imports; memory is the process's peak RSS."
        + (
            " `score` and `floor`: median of several runs, alternating (each run in the notes)."
            if "runs" in table and table["runs"].notna().any()
            else ""
        ),
        "",
        "| segments | stage | seconds | peak MiB | x floor | notes |",
        "|---:|---|---:|---:|---:|---|",
    ]
    floors = (
        table[table["stage"] == "floor"].set_index("segments")["seconds"]
        if "seconds" in table
        else {}
    )
    for row in table.to_dict("records"):
        if isinstance(row.get("error"), str):
            lines.append(f"| {row['segments']:,} | {row['stage']} | failed | | | {row['error']} |")
            continue
        ratio = ""
        if row["stage"] == "score" and row["segments"] in floors:
            ratio = f"{row['seconds'] / floors[row['segments']]:.2f}"
        notes = ", ".join(
            f"{k} {v} s"
            if k == "runs"
            else f"{k} {int(v):,}"
            if float(v).is_integer()
            else f"{k} {v}"
            for k, v in row.items()
            if k not in ("stage", "segments", "seconds", "peak_rss_mib", "error") and pd.notna(v)
        )
        lines.append(
            f"| {row['segments']:,} | {row['stage']} | {row['seconds']:.1f} | "
            f"{row['peak_rss_mib']:,.0f} | {ratio} | {notes} |"
        )
    scores = table[(table["stage"] == "score") & table["seconds"].notna()].set_index("segments")[
        "seconds"
    ]
    if 100_000 in scores and 1_000_000 in scores:
        lines += [
            "",
            f"Scaling of `risk score`, 1M over 100k: {scores[1_000_000] / scores[100_000]:.1f}x "
            "(linear would be 10x).",
        ]
    return "\n".join(lines) + "\n"


def kept_notes(path: Path) -> str:
    """The hand-written ``## Notes`` part of an existing results file (kept on re-runs)."""
    if not path.exists():
        return ""
    old = path.read_text(encoding="utf-8")
    start = old.find("\n## Notes")
    return old[start:] if start >= 0 else ""


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
