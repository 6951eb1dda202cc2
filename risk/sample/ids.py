"""Identifiers such as ``P000001``, built without Python loops."""

from __future__ import annotations

import numpy as np


def make_ids(prefix: str, n: int, *, min_width: int = 6) -> np.ndarray:
    """``n`` identifiers ``prefix`` + zero-padded 1..n, at least ``min_width`` digits.

    >>> make_ids("P", 3).tolist()
    ['P000001', 'P000002', 'P000003']
    >>> make_ids("L", 0).tolist()
    []
    """
    width = max(min_width, len(str(n)))
    if n == 0:  # (np.strings.zfill fails on an empty array)
        return np.empty(0, dtype=f"<U{len(prefix) + width}")
    digits = np.strings.zfill(np.arange(1, n + 1).astype(np.str_), width)
    return np.strings.add(prefix, digits)
