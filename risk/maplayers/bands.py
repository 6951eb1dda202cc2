"""Risk bands by inspection rank and their colours: the one rule of the maps, legends and tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Risk bands by inspection rank: (name, share of the network up to this band, RGB colour).
RISK_BANDS: tuple[tuple[str, float, tuple[int, int, int]], ...] = (
    ("very_high", 0.02, (165, 0, 38)),
    ("high", 0.10, (230, 70, 50)),
    ("medium", 0.25, (245, 160, 40)),
    ("low", 0.50, (230, 210, 90)),
    ("very_low", 1.0, (120, 150, 165)),
)


#: Colour of pipes that have no score.
UNSCORED_COLOUR = (150, 150, 150)


#: Line width of each band, in pixels (riskier pipes are drawn wider).
BAND_WIDTH_PX = {"very_high": 4, "high": 3, "medium": 2, "low": 2, "very_low": 1, "unscored": 1}


#: Layer id prefix of the pipe layers; the selection event is keyed by layer id.
PIPE_LAYER_PREFIX = "pipes-"


#: Bands in the order their layers are drawn: the riskiest last, on top.
DRAW_ORDER = ("unscored", *[name for name, _, _ in RISK_BANDS][::-1])


def risk_bands(rank: pd.Series, n_pipes: int) -> pd.Series:
    """Band name of each pipe from its inspection rank (1 = riskiest); missing rank: 'unscored'.

    >>> risk_bands(pd.Series([1, 5, 20, 40, 90, None]), 100).tolist()
    ['very_high', 'high', 'medium', 'low', 'very_low', 'unscored']
    """
    share = pd.to_numeric(rank, errors="coerce").to_numpy(dtype=float) / max(n_pipes, 1)
    limits = np.array([limit for _, limit, _ in RISK_BANDS])
    names = np.array([name for name, _, _ in RISK_BANDS] + ["unscored"], dtype=object)
    position = np.searchsorted(limits, share, side="left")
    position = np.where(np.isnan(share), len(RISK_BANDS), np.minimum(position, len(RISK_BANDS)))
    return pd.Series(names[position], index=rank.index, dtype=object)


def band_colour(band: str) -> tuple[int, int, int]:
    """RGB colour of a risk band."""
    for name, _, colour in RISK_BANDS:
        if name == band:
            return colour
    return UNSCORED_COLOUR


#: Colours of crews and days on the dispatch map: a colour-blind-safe palette first, then
#: darker and lighter tones, so that two weeks of two crews never share a colour.
GROUP_COLOURS = (
    (0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167),
    (230, 159, 0), (86, 180, 233), (120, 94, 240), (100, 100, 100),
    (0, 60, 110), (140, 50, 0), (0, 95, 70), (150, 60, 110),
    (160, 110, 0), (30, 120, 170), (70, 40, 160), (40, 40, 40),
    (120, 170, 215), (240, 150, 100), (110, 200, 170), (235, 175, 210),
)  # fmt: skip
