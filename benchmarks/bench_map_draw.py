"""Benchmark the risk map's first draw: bare pydeck HTML vs the Streamlit risk map page.

    python benchmarks/bench_map_draw.py                          # 100,000 segments, 3 runs
    python benchmarks/bench_map_draw.py --segments 20000 --runs 5 --work /tmp/mapbench

Data: a sample town from ``risk.generate.generate_utility`` (seed 0), ingested with
``read_utility``/``write_workspace``, plus a SYNTHETIC ``scores.parquet`` (rank by age with a
random tie-break; no model is trained: only drawing is measured) and one engineer account,
cached in ``--work`` (default ``/tmp/bench_map_draw``) per network size.

Pages (same layers and data, everything served from 127.0.0.1):

* bare pydeck: ``make_deck(pipe_layers(lonlat_paths(pipes), ...))`` with bands from
  ``map_table``/``risk_bands``, written by ``deck.to_html(offline=True)`` (deck.gl bundle
  inlined, ``map_provider=None``), served by ``http.server`` in a thread, in a viewport the
  size of the product's map canvas;
* product: ``streamlit run dashboards/app.py`` (as ``risk serve``) in a 1400x1000 viewport.
  Each run opens the app, signs in (an engineer lands on the risk map), then also times a
  signed-in page switch (sidebar Model -> Risk map, from the click). A first, uncounted run
  warms the server's caches (network, lon/lat paths) and is reported apart.

First draw: an init script (every frame) wraps ``getContext`` so WebGL canvases keep their
drawing buffer (``preserveDrawingBuffer``) and are remembered. On each animation frame it
copies every WebGL canvas into a 96x96 2D canvas and counts non-transparent pixels (deck.gl
clears to transparent; there is no basemap); the first frame with >= 20 drawn pixels stamps
``performance.timeOrigin + performance.now()``, minus the navigation start (``timeOrigin`` of
the top frame) or the click. The copy waits until the GPU has finished that frame, so this is
when the pixels exist. "draw issued" is when deck.gl issued its first draw call to the screen
(JavaScript side): headless Chromium renders WebGL in software (SwiftShader), so the time
between the two is CPU rasterisation that a real GPU would do in milliseconds. Requests that
are not to 127.0.0.1/localhost (or data:/blob:) are aborted and listed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
USER, PASSWORD = "bench", "bench-map-draw-password"
PROBE_JS = """(() => {
  const gl = [], getContext = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (type, attrs) {
    if (String(type).startsWith('webgl')) {
      attrs = Object.assign({}, attrs, {preserveDrawingBuffer: true});
      if (!gl.includes(this)) gl.push(this);
    }
    return getContext.call(this, type, attrs);
  };
  const stamp = () => performance.timeOrigin + performance.now();
  let issued = null, probe = null;
  for (const name of ['drawArrays', 'drawElements', 'drawArraysInstanced', 'drawElementsInstanced']) {
    const draw = WebGL2RenderingContext.prototype[name];
    WebGL2RenderingContext.prototype[name] = function (...args) {
      if (issued === null && this.getParameter(this.FRAMEBUFFER_BINDING) === null) issued = stamp();
      return draw.apply(this, args);
    };
  }
  function poll() {
    probe = probe || document.createElement('canvas').getContext('2d', {willReadFrequently: true});
    probe.canvas.width = probe.canvas.height = 96;
    for (const c of gl) {
      if (!c.isConnected || !c.width || !c.height) continue;
      probe.clearRect(0, 0, 96, 96);
      probe.drawImage(c, 0, 0, 96, 96);
      const px = probe.getImageData(0, 0, 96, 96).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
      if (n >= 20) return (window.__firstDraw = {t: stamp(), issued, w: c.clientWidth, h: c.clientHeight});
    }
    requestAnimationFrame(poll);
  }
  window.__arm = () => { window.__firstDraw = null; issued = null; requestAnimationFrame(poll); };
  window.__glCanvases = () => gl.filter((c) => c.isConnected).length;
  window.__arm();
})();"""


def build_workspace(work: Path, n: int) -> Path:
    """Generated town -> ingested workspace + synthetic scores + an engineer account (cached)."""
    from risk.auth import create_user, store_location
    from risk.generate import generate_utility
    from risk.ingest import read_utility
    from risk.workspace import write_workspace

    workspace = work / f"workspace-{n}"
    if (workspace / "scores.parquet").is_file():
        return workspace
    town = generate_utility(work / f"town-{n}", n_segments=n, seed=0)
    data = read_utility(town)
    write_workspace(data, workspace)
    create_user(store_location(workspace), USER, PASSWORD, "engineer", created_by="bench")
    # SYNTHETIC scores: oldest pipes first (random tie-break). Only drawing is measured.
    pipes = data.pipes
    rng = np.random.default_rng(0)
    age = dt.date.today().year - pd.to_numeric(pipes["install_year"], errors="coerce").fillna(1990)
    risk = age.to_numpy(dtype=float) + rng.random(len(pipes))
    length = pipes["length_m"].to_numpy(dtype=float)
    expected = risk / risk.max() * 0.05 * length / 100
    scores = pd.DataFrame(
        {
            "pipe_id": pipes["pipe_id"].astype("string").to_numpy(),
            "probability": 1 - np.exp(-expected),
            "expected_failures": expected,
            "rank": (-risk).argsort().argsort() + 1,
            "top_reasons": pd.array(["synthetic score (age)"] * len(pipes), dtype="string"),
            "expected_failures_per_km": expected / np.maximum(length, 1) * 1000,
            "length_m": length,
        }
    ).sort_values("rank")
    scores.to_parquet(workspace / "scores.parquet", index=False)
    return workspace


def bare_page(workspace: Path, folder: Path) -> tuple[Path, int]:
    """The risk map's deck (no filters) as pydeck's own offline HTML; returns (file, JSON bytes)."""
    from risk import maplayers
    from risk.workspace import load_workspace

    data = load_workspace(workspace)
    scores = pd.read_parquet(workspace / "scores.parquet")
    table = maplayers.map_table(data.pipes, scores, year=dt.date.today().year)  # risk_bands()
    paths = maplayers.lonlat_paths(data.pipes)
    layers = maplayers.pipe_layers(paths, table["pipe_id"].to_numpy(), table["band"])
    deck = maplayers.make_deck(layers, paths.bounds)  # map_provider=None, no map_style
    file = folder / "bare.html"
    deck.to_html(str(file), offline=True, notebook_display=False)
    return file, maplayers.payload_size(deck)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_folder(folder: Path) -> str:
    """A quiet static http server on 127.0.0.1 in a daemon thread; returns its URL."""
    quiet = type("Quiet", (http.server.SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    handler = functools.partial(quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def start_streamlit(workspace: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"),
         "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--", "--workspace", str(workspace)],
        cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"streamlit did not start; see {log}")


def wait_drawn(page, since: float) -> dict:
    """Wait for the probe (any frame); seconds from ``since`` (epoch ms) to issue and pixels."""
    deadline, drawn = time.monotonic() + 300, None
    while drawn is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no map drawn at {page.url} within 300 s")
        time.sleep(0.2)
        for frame in page.frames:  # the deck may be in an iframe
            try:
                drawn = drawn or frame.evaluate("window.__firstDraw || null")
            except PlaywrightError:  # a frame detached meanwhile
                continue
    issued = (drawn["issued"] or drawn["t"]) - since
    return {"s": (drawn["t"] - since) / 1000, "issued": issued / 1000, "w": drawn["w"],
            "h": drawn["h"]}  # fmt: skip


def first_draw(browser, url: str, viewport: dict, offhost: set, app: bool) -> dict:
    """Open ``url`` in a fresh context and time the first drawn map from navigation start.

    For the app, sign in first; then also time a signed-in page switch (Model -> Risk map,
    from the click), as ``switch``."""
    context = browser.new_context(viewport=viewport)
    context.add_init_script(PROBE_JS)
    local = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:", "blob:")

    def route(r):
        if r.request.url.startswith(local):
            return r.continue_()
        offhost.add(r.request.url)
        return r.abort()

    context.route("**/*", route)
    page, received = context.new_page(), [0]
    page.on("websocket", lambda ws: ws.on("framereceived", lambda p: add(received, p)))
    page.on("requestfinished", lambda r: add(received, r.sizes()["responseBodySize"]))
    page.goto(url, wait_until="commit")
    if app:
        page.get_by_role("textbox", name="User name").fill(USER)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
    result = wait_drawn(page, page.evaluate("performance.timeOrigin"))
    result["mib"] = received[0] / 2**20
    if app:
        nav = page.get_by_test_id("stSidebarNav")
        nav.get_by_text("Model", exact=True).click()
        page.get_by_role("heading", name="Model").first.wait_for()
        page.wait_for_function("window.__glCanvases() === 0")
        page.evaluate("window.__arm()")
        before = received[0]
        clicked = page.evaluate("performance.timeOrigin + performance.now()")
        nav.get_by_text("Risk map", exact=True).click()
        result["switch"] = wait_drawn(page, clicked)
        result["switch"]["mib"] = (received[0] - before) / 2**20
    context.close()
    return result


def add(total: list, payload) -> None:
    total[0] += payload if isinstance(payload, int) else len(payload)


def row(name: str, n: int, mib: tuple[float, float], runs: list[dict]) -> str:
    s, issued = [r["s"] for r in runs], statistics.median(r["issued"] for r in runs)
    return (f"| {name} | {n:,} | {mib[0]:.1f} | {mib[1]:.1f} | {issued:.2f} "
            f"| **{statistics.median(s):.2f}** | {min(s):.2f} | {max(s):.2f} |")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_map_draw"))
    args = parser.parse_args(argv)

    n, work = args.segments, args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    workspace = build_workspace(work, n)
    html, json_bytes = bare_page(workspace, work)
    bare_url = f"{serve_folder(work)}/{html.name}"
    process, app_url = start_streamlit(workspace, work / f"streamlit-{n}.log")
    offhost = {"bare": set(), "product": set()}
    load = [open("/proc/loadavg").read().split()[0]]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-background-networking"],
            )
            big = {"width": 1400, "height": 1000}
            cold = first_draw(browser, app_url, big, offhost["product"], True)  # uncounted
            product = [first_draw(browser, app_url, big, offhost["product"], True)
                       for _ in range(args.runs)]  # fmt: skip
            same = {"width": product[0]["w"], "height": product[0]["h"]}
            first_draw(browser, bare_url, same, offhost["bare"], False)  # warm-up, uncounted
            bare = [first_draw(browser, bare_url, same, offhost["bare"], False)
                    for _ in range(args.runs)]  # fmt: skip
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    load.append(open("/proc/loadavg").read().split()[0])
    mib = (json_bytes / 2**20, statistics.median(r["mib"] for r in bare))
    product_mib = (mib[0], statistics.median(r["mib"] for r in product))
    print(f"1-min load average {load[0]} before, {load[1]} after ({os.cpu_count()} CPUs); map "
          f"canvas {same['width']}x{same['height']} CSS px in both pages\n")  # fmt: skip
    print("| page | segments | map JSON MiB | received MiB | draw issued s | first draw s "
          "(median) | min | max |\n|---|---:|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    print(row("bare pydeck (to_html), from navigation", n, mib, bare))
    print(row("product: open app + sign in, from navigation", n, product_mib, product))
    switch = [r["switch"] for r in product]
    switch_mib = (mib[0], statistics.median(r["mib"] for r in switch))
    print(row("product: signed in, Model -> Risk map click", n, switch_mib, switch))
    medians = [statistics.median(r["s"] for r in runs) for runs in (bare, product, switch)]
    print(f"\nproduct - bare (medians): {medians[1] - medians[0]:+.2f} s with sign-in, "
          f"{medians[2] - medians[0]:+.2f} s signed-in page switch")  # fmt: skip
    print(f"product with cold server caches (first run, uncounted): {cold['s']:.2f} s")
    for name, urls in offhost.items():
        print(f"off-host requests ({name}, aborted): {sorted(urls) or 'none'}")


if __name__ == "__main__":
    main()
