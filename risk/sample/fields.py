"""Random helpers shared by the sample generator: smooth spatial fields and sampling.

Everything is vectorised over numpy arrays; no per-element Python loops.
"""

from __future__ import annotations

import numpy as np


def smooth_field(
    x_m: np.ndarray,
    y_m: np.ndarray,
    rng: np.random.Generator,
    *,
    wavelength_m: tuple[float, float] = (2_000.0, 8_000.0),
    n_waves: int = 8,
) -> np.ndarray:
    """A smooth random field with mean 0 and standard deviation about 1.

    The field is a sum of ``n_waves`` plane waves with random directions, phases
    and wavelengths drawn log-uniformly in ``wavelength_m``. It is cheap to
    evaluate anywhere, so the same field can be sampled at pipes, soil cells and
    stations consistently.

    Parameters
    ----------
    x_m, y_m : ndarray
        Coordinates in metres (any projected CRS).
    rng : numpy.random.Generator
        Source of randomness; the field is fixed by the draws made here.
    wavelength_m : (float, float)
        Smallest and largest wavelength in metres.
    n_waves : int
        Number of plane waves.

    Returns
    -------
    ndarray of float
        Field values, same shape as ``x_m``.
    """
    low, high = np.log(wavelength_m[0]), np.log(wavelength_m[1])
    wavelengths = np.exp(rng.uniform(low, high, n_waves))
    angles = rng.uniform(0.0, np.pi, n_waves)
    phases = rng.uniform(0.0, 2.0 * np.pi, n_waves)
    kx = 2.0 * np.pi * np.cos(angles) / wavelengths
    ky = 2.0 * np.pi * np.sin(angles) / wavelengths
    x = np.asarray(x_m, dtype=float)
    y = np.asarray(y_m, dtype=float)
    out = np.zeros(np.broadcast_shapes(x.shape, y.shape))
    for i in range(n_waves):  # a handful of waves, each vectorised over all points
        out += np.cos(kx[i] * x + ky[i] * y + phases[i])
    return out * np.sqrt(2.0 / n_waves)


def sample_categories(probabilities: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Pick one category index per row of a (rows, categories) probability matrix.

    Rows need not be normalised; each is divided by its sum.

    Parameters
    ----------
    probabilities : ndarray, shape (n, k)
        Non-negative weights.
    u : ndarray, shape (n,)
        Uniform draws in [0, 1); rows sharing a draw make correlated choices.

    Returns
    -------
    ndarray of int, shape (n,)
        Index of the chosen category for each row.
    """
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    choice = (u[:, None] > cumulative).sum(axis=1)
    return np.minimum(choice, probabilities.shape[1] - 1)


def interpolate_weights(
    years: np.ndarray, knots: np.ndarray, table: dict[str, list[float]]
) -> np.ndarray:
    """Weights of each category at each year, linearly interpolated between knot years.

    Parameters
    ----------
    years : ndarray
        Years at which to evaluate, shape (n,).
    knots : ndarray
        Knot years, increasing, shape (m,).
    table : dict
        Category name -> m weights at the knots (in the dict's order).

    Returns
    -------
    ndarray, shape (n, len(table))
    """
    return np.column_stack([np.interp(years, knots, weights) for weights in table.values()])
