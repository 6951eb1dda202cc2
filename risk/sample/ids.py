"""Identifiers such as ``P000001``, built without Python loops."""

from __future__ import annotations

import numpy as np


def make_ids(prefix: str, n: int, *, min_width: int = 6) -> np.ndarray:
    """``n`` identifiers ``prefix`` + zero-padded 1..n, at least ``min_width`` digits.

    >>> make_ids("P", 3).tolist()
    ['P000001', 'P000002', 'P000003']
    """
    width = max(min_width, len(str(n)))
    digits = np.strings.zfill(np.arange(1, n + 1).astype(np.str_), width)
    return np.strings.add(prefix, digits)
