"""Regenerate the tables and the map of ``docs/sample-utility.md``.

    python benchmarks/sample_summary.py            # default town (20,000 segments, seed 0)
    python benchmarks/sample_summary.py --segments 5000 --seed 3 --no-write

Generates the town in a temporary folder, prints the Markdown tables, and (unless
``--no-write``) replaces the block between the ``<!-- summary:start -->`` and
``<!-- summary:end -->`` markers of the doc and saves ``docs/img/sample-town.png``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from risk.sample import generate_utility

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "sample-utility.md"
IMAGE = ROOT / "docs" / "img" / "sample-town.png"
START, END = "<!-- summary:start -->", "<!-- summary:end -->"
MATERIAL_ORDER = [
    "cast_iron",
    "galvanized_steel",
    "steel",
    "asbestos_cement",
    "concrete",
    "ductile_iron",
    "pvc",
    "pe",
    "unknown",
]


def load(folder: Path) -> dict:
    """Pipes, breaks, truth tables and per-pipe record-period exposure of a sample folder."""
    pipes = gpd.read_parquet(folder / "pipes.parquet")
    cov = pd.read_parquet(folder / "truth" / "pipe_covariates.parquet")
    expected = pd.read_parquet(folder / "truth" / "expected_failures.parquet")
    expected["pipe_id"] = expected["pipe_id"].astype(str)
    record_start = int(gpd.read_parquet(folder / "breaks.parquet")["date"].dt.year.min())
    record = expected[expected["year"] >= record_start]
    per_pipe = record.groupby("pipe_id").agg(
        failures=("failures", "sum"), service_years=("in_service", "sum")
    )
    table = pipes.drop(columns="geometry").merge(cov, on="pipe_id").join(per_pipe, on="pipe_id")
    table["km_years"] = table["length_m"] / 1000.0 * table["service_years"]
    return {"pipes": pipes, "table": table, "expected": expected, "record_start": record_start}


def rate_table(table: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """Failures per km per year (record period) and km of mains by group."""
    g = table.groupby(by, observed=True).agg(
        km=("length_m", "sum"), km_years=("km_years", "sum"), failures=("failures", "sum")
    )
    g["km"] = g["km"] / 1000.0
    g["failures_per_km_year"] = g["failures"] / g["km_years"]
    return g


def markdown_tables(data: dict) -> str:
    t = data["table"]
    decade = (t["install_year"] // 10 * 10).clip(lower=1910)
    t["decade"] = np.where(decade < 1920, "<1920", decade.astype(str) + "s")
    km = t.pivot_table(
        index="material", columns="decade", values="length_m", aggfunc="sum", fill_value=0
    )
    km = km[sorted(km.columns, key=lambda c: "0" if c.startswith("<") else c)]
    km = (km / 1000.0).reindex([m for m in MATERIAL_ORDER if m in km.index])
    km["total"] = km.sum(axis=1)
    km.loc["total"] = km.sum(axis=0)
    by_material = rate_table(t, "true_material").reindex(
        [m for m in MATERIAL_ORDER if m in set(t["true_material"])]
    )
    t["pipe_kind"] = np.where(
        t["true_material"].isin(["asbestos_cement", "cast_iron"]), "rigid (AC, CI)", "other"
    )
    by_clay = rate_table(t, ["alea_argile", "pipe_kind"])["failures_per_km_year"].unstack()
    by_clay = by_clay.reindex(["faible", "moyen", "fort"])
    metal = t[t["true_material"].isin(["cast_iron", "ductile_iron", "steel", "galvanized_steel"])]
    bands = pd.cut(
        metal["corrosivity"], [0, 3, 5, 7, 10.01], right=False, labels=["0-3", "3-5", "5-7", "7-10"]
    )
    by_corrosion = rate_table(metal.assign(corrosivity_band=bands), "corrosivity_band")
    dn = pd.cut(
        t["true_diameter_mm"], [0, 80, 125, 200, 1000], labels=["<=80", "81-125", "126-200", ">200"]
    )
    by_dn = rate_table(t.assign(diameter_band_mm=dn), "diameter_band_mm")
    total = rate_table(t.assign(all="all"), "all")

    return "\n\n".join(
        [
            f"Whole network: **{total['km'].iloc[0]:,.0f} km**, "
            f"{len(t):,} pipes, {int(total['failures'].iloc[0]):,} failures recorded "
            f"{data['record_start']}-{int(data['expected']['year'].max())}, "
            f"**{total['failures_per_km_year'].iloc[0]:.3f} failures per km per year**.",
            "**Km of mains by published material and installation decade**\n\n"
            + markdown(km, "{:,.0f}"),
            "**Failures per km per year by true material** (record period)\n\n"
            + markdown(by_material[RATE_COLUMNS], *RATE_FORMATS),
            "**Failures per km per year by clay shrink-swell class** (`alea_argile`)\n\n"
            + markdown(by_clay, "{:.3f}"),
            "**Metal pipes: failures per km per year by soil corrosivity**\n\n"
            + markdown(by_corrosion[RATE_COLUMNS], *RATE_FORMATS),
            "**Failures per km per year by diameter (mm)**\n\n"
            + markdown(by_dn[RATE_COLUMNS], *RATE_FORMATS),
        ]
    )


RATE_COLUMNS = ["km", "failures", "failures_per_km_year"]
RATE_FORMATS = ("{:,.0f}", "{:,.0f}", "{:.3f}")


def markdown(df: pd.DataFrame, *formats: str) -> str:
    """A Markdown table; ``formats`` apply to the columns in turn (the last one repeats)."""
    index_name = " / ".join(str(n) for n in df.index.names if n) or ""
    header = [index_name] + [str(c) for c in df.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for idx, row in df.iterrows():
        cells = [str(idx)]
        for i, value in enumerate(row):
            cells.append(formats[min(i, len(formats) - 1)].format(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def draw_map(pipes: gpd.GeoDataFrame, path: Path) -> None:
    """Pipes coloured by installation decade, line width by diameter; a small PNG."""
    coords = shapely.get_coordinates(pipes.geometry.values).reshape(len(pipes), -1, 2)
    decade = (pipes["install_year"].to_numpy() // 10 * 10).clip(1900, 2020)
    cmap = matplotlib.colormaps["viridis"].resampled(13)
    colors = cmap((decade - 1900) / 120.0)
    width = np.where(pipes["diameter_mm"].fillna(100).to_numpy() >= 200, 1.1, 0.35)
    fig = Figure(figsize=(6.4, 6.4), dpi=100)
    ax = fig.add_subplot()
    ax.add_collection(LineCollection(coords, colors=colors, linewidths=width))
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set_axis_off()
    handles = [
        Line2D([], [], color=cmap((d - 1900) / 120.0), lw=2, label=f"{d}s")
        for d in range(1900, 2021, 20)
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=7, title="installed", frameon=False)
    ax.set_title("Sample town: pipes by installation decade (thick: trunk mains)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    with Image.open(path) as image:  # a 64-colour palette keeps the file small
        image.convert("RGB").quantize(colors=64).save(path, optimize=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate_utility(Path(tmp) / "town", n_segments=args.segments, seed=args.seed)
        data = load(folder)
        tables = markdown_tables(data)
        print(tables)
        if not args.no_write:
            IMAGE.parent.mkdir(parents=True, exist_ok=True)
            draw_map(data["pipes"], IMAGE)
            text = DOC.read_text()
            head, rest = text.split(START, 1)
            _, tail = rest.split(END, 1)
            DOC.write_text(f"{head}{START}\n{tables}\n{END}{tail}")
            print(f"wrote {DOC} and {IMAGE} ({IMAGE.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
