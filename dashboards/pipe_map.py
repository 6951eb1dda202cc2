"""The risk map's map view: a small Streamlit component around pydeck's own deck.gl bundle.

Why not ``st.pydeck_chart``: its click is deck.gl's GPU picking, done when the mouse button
goes down; in a browser without a GPU, picking 20,000 pipes takes 0.6-1.9 s, longer than
deck.gl's 250 ms click window, so the click is dropped and the server never hears of it.
Here no layer is pickable: the browser sends the clicked place (longitude, latitude, zoom and
a tolerance in pixels) and the server picks the nearest shown pipe
(:func:`risk.maplayers.nearest_pipe`), in a few milliseconds whatever the network's size.

The component's page (``components/pipe_map/index.html``) and deck.gl (pydeck's
``nbextension/static/index.js``, the same library Streamlit draws maps with) are copied
once into a private folder under the temporary directory, which the app serves; the map's
data goes there too, as a file with an unguessable name per network and filters, fetched
once by the browser instead of being re-sent with every rerun of the page. Nothing is
fetched from the internet.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

import streamlit.components.v1 as components

HERE = Path(__file__).parent / "components" / "pipe_map"
#: Map data files kept in the served folder (the newest; older ones are deleted).
KEEP_SPECS = 24


def _deck_bundle() -> Path | None:
    """pydeck's deck.gl bundle, or None when this pydeck does not ship one."""
    try:
        import pydeck
    except ImportError:  # pragma: no cover - pydeck is a dependency
        return None
    bundle = Path(pydeck.__file__).parent / "nbextension" / "static" / "index.js"
    return bundle if bundle.is_file() else None


def _served_folder() -> Path | None:
    """A private folder with ``index.html`` and ``deck.js`` for Streamlit to serve, made once
    per version of either file (a copy: Streamlit serves no file outside the folder)."""
    bundle = _deck_bundle()
    page = HERE / "index.html"
    if bundle is None or not page.is_file():
        return None
    stat = bundle.stat()
    digest = hashlib.sha256(page.read_bytes())
    digest.update(f"{bundle}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = Path(tempfile.gettempdir()) / f"risk-pipe-map-{uid}-{digest.hexdigest()[:12]}"
    folder.mkdir(mode=0o700, exist_ok=True)  # the network's layout is not for other users
    for source, name in ((page, "index.html"), (bundle, "deck.js")):
        if not (folder / name).is_file():
            partial = folder / f".{name}.{os.getpid()}"
            shutil.copyfile(source, partial)
            os.replace(partial, folder / name)  # atomic: two app processes may start together
    return folder


_FOLDER = _served_folder()
_component = components.declare_component("pipe_map", path=str(_FOLDER)) if _FOLDER else None
_specs: dict[str, str] = {}
_lock = threading.Lock()


def available() -> bool:
    """True when the component can be served (pydeck ships its deck.gl bundle)."""
    return _component is not None


def _spec_file(spec: str, spec_key: str) -> str:
    """The served file holding ``spec`` (written once per ``spec_key`` by this process)."""
    with _lock:
        if not (_FOLDER / "deck.js").is_file():  # the temporary folder was cleaned meanwhile
            _served_folder()
        name = _specs.get(spec_key)
        if name is None or not (_FOLDER / name).is_file():
            name = f"map-{secrets.token_urlsafe(18)}.json"
            partial = _FOLDER / f".{name}"
            partial.write_text(spec, encoding="utf-8")
            os.replace(partial, _FOLDER / name)
            _specs[spec_key] = name
            files = sorted(_FOLDER.glob("map-*.json"), key=lambda f: f.stat().st_mtime)
            for old in files[:-KEEP_SPECS]:
                old.unlink(missing_ok=True)
                _specs.pop(next((k for k, v in _specs.items() if v == old.name), None), None)
        return name


def pipe_map(
    spec: str,
    *,
    spec_key: str,
    height: int,
    labels: dict,
    selected: dict | None = None,
    view: dict | None = None,
    tiles: dict | None = None,
    key: str = "map",
) -> dict | None:
    """Draw the map; returns the last click ``{"lon", "lat", "zoom", "tolerance_px",
    "nonce"}`` (a new ``nonce`` per click), or None before the first click.

    Parameters
    ----------
    spec : str
        The deck's JSON (:func:`risk.maplayers.make_deck`), pipe layers named ``pipes-*``
        with ``s``, ``t`` and ``id`` per segment.
    spec_key : str
        Identifies ``spec`` (network, scores, filters, layers): the browser fetches the
        map's data again only when it changes.
    labels : dict
        Texts in the user's language: ``bands`` (band -> words, for the hover label),
        ``loading``, ``reload``, ``zoom_in``, ``zoom_out``, ``home``.
    selected : dict, optional
        The selected pipe, drawn on top: ``key`` (its id), ``paths`` (flat lon/lat lists)
        and ``centre`` (:func:`risk.maplayers.selection_outline`).
    view : dict, optional
        ``longitude``, ``latitude``, ``zoom`` and a ``key``: the map moves there once per key.
    tiles : dict, optional
        The utility's raster tiles (``url``, ``tile_size``, ``attribution``).
    """
    if _component is None:
        raise RuntimeError("pydeck's deck.gl bundle is missing: pip install pydeck")
    return _component(
        spec_url=_spec_file(spec, spec_key),
        spec_key=spec_key,
        height=height,
        labels=labels,
        selected=selected,
        view=view,
        tiles=tiles,
        tolerance={"mouse": 8, "touch": 18},
        key=key,
        default=None,
    )
