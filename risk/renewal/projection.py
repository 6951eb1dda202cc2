"""Expected failures of each pipe, year by year, with and without renewal.

The scores give each pipe's expected failures within the model's horizon ``h`` (1, 3 or 5
years) from the scoring date. A plan of ``N`` years needs them year by year, so the rate is
projected with the pipe's ageing, a power law of age as in the Weibull / LEYP models French
utilities use (Le Gat's *Yule process with ageing*)::

    rate_i(k) = r_i * ((age_i + k - 0.5) / (age_i + 0.5)) ** b        plan year k = 1 .. N

``age_i`` is the pipe's age at the scoring date (at least 1 year) and ``r_i`` its rate in
the first year, recovered from the horizon's expected failures so that the first ``h``
projected years add up to them: ``r_i = E_i / sum_{k<=h} growth_i(k)`` (``r_i = E_i`` for a
1-year model). A pipe with no install year keeps a flat rate.

The ageing exponent ``b`` (Weibull shape minus one) is estimated from the utility's own
record by :func:`estimate_ageing_exponent`: breaks per km-year against age, within material
(the materials' own levels are fitted apart, so that old cast iron against young PVC does
not pass for ageing), by Poisson maximum likelihood over ``b`` in [0, 3]. With fewer than
:data:`MIN_BREAKS_FOR_AGEING` usable breaks it is the prior :data:`PRIOR_AGEING_EXPONENT`
(b = 1: a 50-year-old pipe's rate grows about 2 % a year, within the 1-5 %/year of the
exponential ageing models of Shamir & Howard and the Weibull shapes of 1.5-2.5 reported
for cast iron and asbestos cement).

A renewed pipe fails like a **new pipe of its class**: the class is the diameter band
(the renewed main is laid in the material the utility lays today, whatever the old one was),
and a new pipe's rate per km is that of the network's young pipes (installed within
:data:`YOUNG_PIPE_YEARS` years of the scoring date) in that band, from the same scores
(all young pipes when a band has fewer than :data:`MIN_YOUNG_PIPES`; the prior
:data:`DEFAULT_NEW_PIPE_RATE_PER_KM_YEAR` when the network has fewer). It stays flat over
the plan: a pipe's first decades are the flat part of its ageing curve.

>>> growth_factors([9.5, None], 3, 1.0).round(3).tolist()
[[1.0, 1.1, 1.2], [1.0, 1.0, 1.0]]
>>> round(float(first_year_rate([2.2], [9.5], 2, 1.0)[0]), 4)
1.0476
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Ageing exponent b used when the record holds too few breaks to estimate it.
PRIOR_AGEING_EXPONENT = 1.0
#: Breaks with a known pipe age needed to estimate the ageing exponent from the record.
MIN_BREAKS_FOR_AGEING = 30
#: Range searched for the ageing exponent.
AGEING_RANGE = (0.0, 3.0)
#: Pipes at most this old at the scoring date are "new" for the renewed pipes' rate.
YOUNG_PIPE_YEARS = 15
#: Young pipes a diameter band needs for its own new-pipe rate.
MIN_YOUNG_PIPES = 20
#: Failures per km and year of a new main when the network has too few young pipes: modern
#: ductile iron and PE networks report a few breaks per 100 km a year.
DEFAULT_NEW_PIPE_RATE_PER_KM_YEAR = 0.03


@dataclass(frozen=True)
class AgeingEstimate:
    """The ageing exponent and where it comes from (``record`` or ``prior``)."""

    exponent: float
    source: str
    breaks_used: int
    km_years: float


def growth_factors(age_years, years: int, exponent: float) -> np.ndarray:
    """``(n, years)``: each pipe's rate in plan year k over its first-year rate (age at the
    scoring date, None or NaN for unknown: flat)."""
    age = pd.to_numeric(pd.Series(age_years, dtype="object"), errors="coerce").to_numpy(float)
    known = np.isfinite(age)
    a = np.where(known, np.maximum(age, 1.0), 1.0)[:, None]
    k = np.arange(1, years + 1, dtype=float)[None, :]
    factors = ((a + k - 0.5) / (a + 0.5)) ** float(exponent)
    return np.where(known[:, None], factors, 1.0)


def first_year_rate(expected_failures, age_years, horizon_years: int, exponent: float):
    """Each pipe's expected failures in the first year, from those within the horizon."""
    total = growth_factors(age_years, int(horizon_years), exponent).sum(axis=1)
    return np.asarray(expected_failures, dtype=float) / total


def estimate_ageing_exponent(
    pipes: pd.DataFrame,
    breaks: pd.DataFrame | None,
    *,
    start_year: int,
    end_year: int,
) -> AgeingEstimate:
    """The ageing exponent ``b`` of the utility's record (see the module docstring).

    ``pipes`` needs ``pipe_id``, ``material``, ``install_year``, ``length_m`` (optional
    ``removed_year``); ``breaks`` ``pipe_id`` and ``date``. Years ``start_year`` to
    ``end_year`` (inclusive) are used: the years whose break record is complete.
    """
    prior = AgeingEstimate(PRIOR_AGEING_EXPONENT, "prior", 0, 0.0)
    if breaks is None or not len(breaks) or end_year < start_year or not len(pipes):
        return prior
    install = pd.to_numeric(pipes["install_year"], errors="coerce").to_numpy(float)
    removed = (
        pd.to_numeric(pipes["removed_year"], errors="coerce").to_numpy(float)
        if "removed_year" in pipes
        else np.full(len(pipes), np.nan)
    )
    km = pd.to_numeric(pipes["length_m"], errors="coerce").to_numpy(float) / 1000.0
    material = pipes["material"].astype(str).fillna("unknown").to_numpy()
    usable = np.isfinite(install) & np.isfinite(km) & (km > 0)
    years = np.arange(start_year, end_year + 1)
    # exposure: km in service in each year, by (material, age in whole years)
    age = years[None, :] - install[:, None]
    alive = usable[:, None] & (age >= 1)
    alive &= ~(np.isfinite(removed)[:, None] & (years[None, :] >= removed[:, None]))
    rows, cols = np.nonzero(alive)
    exposure = pd.DataFrame(
        {"material": material[rows], "age": age[rows, cols].astype(int), "km": km[rows]}
    )
    exposure = exposure.groupby(["material", "age"], as_index=False)["km"].sum()
    index = pd.Series(np.arange(len(pipes)), index=pipes["pipe_id"].astype(str))
    index = index[~index.index.duplicated()]
    when = pd.to_datetime(breaks["date"], errors="coerce")
    row = index.reindex(breaks["pipe_id"].astype(str)).to_numpy()
    year = when.dt.year.to_numpy(float)
    ok = np.isfinite(row) & (year >= start_year) & (year <= end_year)
    row = row[ok].astype(int)
    break_age = (year[ok] - install[row]).astype(float)
    keep = np.isfinite(break_age) & (break_age >= 1) & usable[row]
    counts = pd.DataFrame(
        {"material": material[row][keep], "age": break_age[keep].astype(int), "n": 1}
    )
    counts = counts.groupby(["material", "age"], as_index=False)["n"].sum()
    table = exposure.merge(counts, on=["material", "age"], how="left").fillna({"n": 0})
    n_breaks = int(table["n"].sum())
    if n_breaks < MIN_BREAKS_FOR_AGEING:
        return AgeingEstimate(PRIOR_AGEING_EXPONENT, "prior", n_breaks, float(table["km"].sum()))
    log_age = np.log(table["age"].to_numpy(float) + 0.5)
    n = table["n"].to_numpy(float)
    exposure_km = table["km"].to_numpy(float)
    groups = table["material"].to_numpy()
    best, best_ll = PRIOR_AGEING_EXPONENT, -np.inf
    for b in np.arange(AGEING_RANGE[0], AGEING_RANGE[1] + 1e-9, 0.02):
        expected = exposure_km * np.exp(b * log_age)
        # each material's level at its maximum-likelihood value (profile likelihood)
        level = (
            pd.Series(n).groupby(groups).transform("sum").to_numpy()
            / pd.Series(expected).groupby(groups).transform("sum").to_numpy()
        )
        mean = np.maximum(level * expected, 1e-300)
        ll = float(np.sum(n * np.log(mean) - mean))
        if ll > best_ll:
            best, best_ll = float(b), ll
    return AgeingEstimate(round(best, 2), "record", n_breaks, float(exposure_km.sum()))


def diameter_band(diameter_mm, bounds) -> np.ndarray:
    """The band (index into ``bounds``; ``len(bounds)`` for larger) of each diameter;
    unknown diameters in the band of 150 mm."""
    d = pd.to_numeric(pd.Series(diameter_mm, dtype="object"), errors="coerce").to_numpy(float)
    d = np.where(np.isfinite(d) & (d > 0), d, 150.0)
    return np.searchsorted(np.asarray(bounds, dtype=float), d, side="left")


def new_pipe_rates(
    rate_per_km_year, age_years, band, length_m
) -> tuple[np.ndarray, dict[int, float]]:
    """Failures per km-year of a new pipe of each pipe's band: the young pipes' rate (total
    failures over total km) of the band, else of every young pipe, else the prior.

    Returns the rate of each pipe and the rate of each band that has enough young pipes.
    """
    rate = np.asarray(rate_per_km_year, dtype=float)
    age = pd.to_numeric(pd.Series(age_years, dtype="object"), errors="coerce").to_numpy(float)
    km = np.asarray(length_m, dtype=float) / 1000.0
    band = np.asarray(band)
    young = np.isfinite(age) & (age <= YOUNG_PIPE_YEARS) & np.isfinite(rate) & (km > 0)

    def pooled(mask) -> float:
        return float(np.sum(rate[mask] * km[mask]) / np.sum(km[mask]))

    overall = pooled(young) if young.sum() >= MIN_YOUNG_PIPES else DEFAULT_NEW_PIPE_RATE_PER_KM_YEAR
    by_band = {
        int(b): pooled(young & (band == b))
        for b in np.unique(band)
        if (young & (band == b)).sum() >= MIN_YOUNG_PIPES
    }
    return np.array([by_band.get(int(b), overall) for b in band], dtype=float), by_band
