"""Benchmark the sample-utility generator: wall time and peak memory by network size.

    python benchmarks/bench_generate.py                    # 20k, 100k and 1M segments
    python benchmarks/bench_generate.py --sizes 20000 50000

Each size runs in a fresh Python process (so imports and memory do not carry
over), which reports its own wall time and peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``). Output files go to a temporary
folder that is removed afterwards; their total size is reported too.
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
from pathlib import Path
t0 = time.perf_counter()
from risk.sample import generate_utility
out = generate_utility(sys.argv[1], n_segments=int(sys.argv[2]), seed=int(sys.argv[3]))
wall_s = time.perf_counter() - t0
size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
print(json.dumps({"wall_s": wall_s, "peak_rss_mib": peak_kib / 1024, "size_mib": size / 2**20}))
"""


def run_one(n_segments: int, seed: int, folder: Path) -> dict:
    """Generate one town in a child process; returns wall_s, peak_rss_mib, size_mib."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), str(n_segments), str(seed)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print("| segments | wall s | peak RSS MiB | output MiB |")
    print("|---:|---:|---:|---:|")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            r = run_one(n, args.seed, Path(tmp) / "town")
        print(f"| {n:,} | {r['wall_s']:.1f} | {r['peak_rss_mib']:,.0f} | {r['size_mib']:,.0f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
