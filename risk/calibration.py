"""Calibration of expected failures: predicted against observed per decile, and the rule
for "off".

- **The counts are not scaled.** The model's expected failures are checked on panel years
  held out in time (:meth:`risk.model.RiskModel.calibrate_years`), and the check is kept
  with the model, but the counts are not multiplied by the held-out ratio. A year's
  failures carry that year's weather, and a booster fitted on the earlier years alone
  learns the weather's effect too weakly to take it out: a run of harsh held-out years
  looks like a steady bias. A pooled, shrunk scale (``exp(beta * max(0, 1 - se2 /
  beta**2))`` over the held-out years) did so, and was withdrawn: measured walk-forward,
  it put the sample's 3-year forecasts 16-26 % under the truth, its 2016 forecast 23 %
  over, and Kitchener's 2015-2019 forecasts 12 % over the observed failures (8 % without).

- **Is it calibrated** (:func:`decile_table`, :func:`off_deciles`,
  :func:`calibration_warnings`). Pipes are sorted by predicted expected failures and cut
  into ten groups of equal pipe count; per group, the sum of expected failures is set
  against the failures observed (and the true expected counts of a synthetic sample).

The rule for "off" (:func:`off_deciles`): a decile is off when its predicted sum differs
from the reference by more than ``tolerance`` (20 %) of the reference, and it is judged
only when the larger of the two holds at least ``min_failures`` (20) failures, so that a
decile of 2 failures never raises a warning. Against *observed* counts the gap must also
exceed three Poisson standard deviations of the prediction (``3 * sqrt(predicted)``),
which chance alone passes about 3 times in 1,000 (with two, a calibrated model would
raise a false warning or two in every five-year backtest); against true expected counts
(no sampling noise) it need not.

>>> rows = decile_table([1.0, 2.0, 3.0, 4.0], [1, 2, 2, 5], bins=2)
>>> [(r["decile"], r["predicted"], r["observed"]) for r in rows]
[(1, 3.0, 3.0), (2, 7.0, 7.0)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from risk.i18n import DEFAULT_LANGUAGE, format_number, format_percent, format_signed_percent, t

#: Share by which a decile's predicted failures may differ from the reference.
TOLERANCE = 0.20
#: Fewest failures (predicted or reference, the larger) for a decile to be judged.
MIN_FAILURES = 20.0
#: Poisson standard deviations a gap to observed counts must exceed to count.
NOISE_SD = 3.0
#: Number of groups of :func:`decile_table`.
DECILES = 10


# ------------------------------------------------------------------ deciles
def decile_table(
    expected,
    observed,
    *,
    truth=None,
    sample_weight=None,
    bins: int = DECILES,
) -> list[dict]:
    """Sum of expected against observed failures per decile of predicted risk.

    Parameters
    ----------
    expected : array-like of float
        Expected failures of each pipe (the model's ``expected_failures``).
    observed : array-like of float
        Failures observed in the same window.
    truth : array-like of float, optional
        True expected failures (a synthetic sample's truth); missing values count as 0.
    sample_weight : array-like of float, optional
        Weight of each row (a sampled training panel): sums are weighted, ``pipes`` is the
        number of pipes the rows stand for.
    bins : int
        Number of groups (10: deciles).

    Returns
    -------
    list of dict
        One row per group, lowest predicted first (``decile`` 1) to riskiest (``decile``
        ``bins``): ``pipes``, ``predicted``, ``observed`` and, with ``truth``, ``truth``.
        Groups hold equal numbers of pipes (equal weight), in order of expected failures
        (ties by row order). The ``predicted`` column sums to the total expected failures
        and ``observed`` to the total observed.
    """
    expected = np.nan_to_num(np.asarray(expected, dtype=float), nan=0.0)
    observed = np.nan_to_num(np.asarray(observed, dtype=float), nan=0.0)
    if observed.shape != expected.shape:
        raise ValueError(
            f"expected and observed must have one value per pipe; got {expected.shape} "
            f"and {observed.shape}"
        )
    if truth is not None:
        truth = np.nan_to_num(np.asarray(truth, dtype=float), nan=0.0)
        if truth.shape != expected.shape:
            raise ValueError(f"truth must have one value per pipe ({len(expected)})")
    w = np.ones(len(expected)) if sample_weight is None else np.asarray(sample_weight, float)
    if len(expected) == 0 or w.sum() <= 0:
        return []
    order = np.argsort(expected, kind="mergesort")
    cum = np.cumsum(w[order])
    # the group of each row: where the middle of its weight falls among `bins` equal parts
    group = np.minimum((bins * (cum - w[order] / 2) / cum[-1]).astype(int), bins - 1)
    rows = []
    for k in range(bins):
        chunk = order[group == k]
        if len(chunk) == 0:
            continue
        row = {
            "decile": k + 1,
            "pipes": round(float(w[chunk].sum())),
            "predicted": float(np.sum(w[chunk] * expected[chunk])),
            "observed": float(np.sum(w[chunk] * observed[chunk])),
        }
        if truth is not None:
            row["truth"] = float(np.sum(w[chunk] * truth[chunk]))
        rows.append(row)
    return rows


def pool_tables(tables: Iterable[list[dict]]) -> list[dict]:
    """Decile tables of several years added decile by decile (decile k of every year)."""
    pooled: dict[int, dict] = {}
    for table in tables:
        for row in table:
            into = pooled.setdefault(row["decile"], {"decile": row["decile"]})
            for key, value in row.items():
                if key != "decile" and isinstance(value, int | float) and value is not None:
                    into[key] = into.get(key, 0) + value
    return [pooled[k] for k in sorted(pooled)]


def total_row(table: list[dict]) -> dict:
    """The sums of a decile table (``decile`` ``"all"``)."""
    keys = [k for k in ("pipes", "predicted", "observed", "truth") if any(k in r for r in table)]
    return {"decile": "all", **{k: sum(r.get(k, 0) for r in table) for k in keys}}


def is_off(
    predicted: float,
    reference: float,
    *,
    noisy: bool,
    tolerance: float = TOLERANCE,
    min_failures: float = MIN_FAILURES,
) -> bool:
    """The rule of the module: more than ``tolerance`` apart, judged from ``min_failures``
    on, and (``noisy``: observed counts) beyond ``NOISE_SD`` Poisson standard deviations.

    >>> is_off(2.0, 6.0, noisy=True)  # a tiny decile: not judged
    False
    >>> is_off(130.0, 100.0, noisy=False), is_off(110.0, 100.0, noisy=False)
    (True, False)
    """
    if max(predicted, reference) < min_failures:
        return False
    gap = abs(predicted - reference)
    if gap <= tolerance * reference:
        return False
    return not (noisy and gap <= NOISE_SD * np.sqrt(max(predicted, 1e-9)))


def off_deciles(
    table: list[dict],
    reference: str = "observed",
    *,
    tolerance: float = TOLERANCE,
    min_failures: float = MIN_FAILURES,
) -> list[dict]:
    """Rows of ``table`` whose ``predicted`` is off ``reference`` (``"observed"`` or
    ``"truth"``) by the rule of :func:`is_off`, each with ``ratio`` = predicted / reference
    (None when the reference is 0)."""
    out = []
    for row in table:
        if reference not in row:
            continue
        predicted, ref = float(row["predicted"]), float(row[reference])
        if is_off(
            predicted,
            ref,
            noisy=reference == "observed",
            tolerance=tolerance,
            min_failures=min_failures,
        ):
            out.append({**row, "ratio": predicted / ref if ref > 0 else None})
    return out


def calibration_warnings(
    table: list[dict],
    period: str,
    *,
    tolerance: float = TOLERANCE,
    min_failures: float = MIN_FAILURES,
    references: Sequence[str] = ("observed", "truth"),
    lang: str = DEFAULT_LANGUAGE,
) -> list[str]:
    """Sentences in ``lang`` for the deciles of ``table`` that are off (one per reference).

    ``period`` names the rows, e.g. ``"2022"`` or ``"2020-2024 pooled"`` (:func:`period_words`).

    >>> table = [{"decile": 10, "pipes": 50, "predicted": 150.0, "observed": 100.0}]
    >>> calibration_warnings(table, "2022")
    ['2022: expected failures are more than 20% off the observed ones in decile 10 (the riskiest): 150 expected, 100 observed (+50%).']
    """
    bins = max((r["decile"] for r in table if isinstance(r["decile"], int)), default=DECILES)
    out = []
    for reference in ("observed", "truth"):
        if reference not in references:
            continue
        off = off_deciles(table, reference, tolerance=tolerance, min_failures=min_failures)
        if not off:
            continue
        parts = [
            t(
                f"backtest.off_part.{reference}", lang,
                decile=_decile_name(r["decile"], bins, lang),
                expected=format_number(r["predicted"], lang),
                value=format_number(r[reference], lang),
                gap=_signed_percent(r["ratio"], lang),
            )
            for r in off
        ]  # fmt: skip
        out.append(
            t(
                f"backtest.off.{reference}", lang, period=period,
                tolerance=format_percent(tolerance, lang),
                parts=t("backtest.separator", lang).join(parts),
            )
        )  # fmt: skip
    return out


#: What a calibration section's predictions knew of the year's weather, for its sentences:
#: ``weather`` (given each year's weather, known afterwards), ``forecast`` (as made on
#: 1 January) or ``""`` (a model without the window's weather).
SECTION_KINDS = ("", "weather", "forecast")


def period_words(years, kind: str = "", lang: str = DEFAULT_LANGUAGE) -> str:
    """A year, or the years pooled, with what the predictions knew of the weather:
    "2024 (given the year's weather)", "2021-2025 pooled (forecast)".

    >>> period_words([2024], "weather"), period_words([2021, 2025], "forecast")
    ("2024 (given the year's weather)", '2021-2025 pooled (forecast)')
    """
    years = [int(y) for y in years]
    span = (
        str(years[0])
        if len(years) == 1
        else t("backtest.pooled", lang, first=str(min(years)), last=str(max(years)))
    )
    return t(f"backtest.period.{kind}", lang, years=span) if kind else span


def section_warnings(
    section: dict | None,
    *,
    kind: str = "",
    yearly_references: Sequence[str] = ("observed", "truth"),
    tolerance: float = TOLERANCE,
    min_failures: float = MIN_FAILURES,
    lang: str = DEFAULT_LANGUAGE,
) -> list[str]:
    """The sentences of a calibration section (:func:`calibration_section`): each year's
    deciles and total against ``yearly_references``, then the years pooled against both.
    One rule for the backtest's stored warnings and its report in any language."""
    if not section:
        return []
    out: list[str] = []
    check = {"tolerance": tolerance, "min_failures": min_failures, "lang": lang}
    years = section.get("years") or []
    for entry in years:
        out += calibration_warnings(
            entry["deciles"] + [entry["total"]],
            period_words([entry["year"]], kind, lang),
            references=yearly_references,
            **check,
        )
    pooled = section.get("pooled") or {}
    if len(years) > 1 and pooled.get("deciles"):
        out += calibration_warnings(
            pooled["deciles"] + [pooled["total"]],
            period_words(pooled["years"], kind, lang),
            **check,
        )
    return out


def calibration_section(
    years: Sequence[tuple[int, list[dict]]],
    *,
    tolerance: float = TOLERANCE,
    min_failures: float = MIN_FAILURES,
    kind: str = "",
    yearly_references: Sequence[str] = ("observed", "truth"),
) -> tuple[dict, list[str]]:
    """The backtest's ``calibration`` section and its warnings (in English).

    ``years``: (year, decile table) pairs. Returns ``{"rule", "years": [{"year",
    "deciles", "total"}], "pooled": {"years", "deciles", "total"}}`` and the warning
    sentences of :func:`section_warnings` (per year, then pooled; the yearly total is
    checked like a decile). ``kind``: what the predictions knew of the weather
    (:data:`SECTION_KINDS`); ``yearly_references``: what a single year is checked against
    (a forecast that cannot know the year's weather is checked per year against true
    expected counts of a usual year only, and against observed counts pooled over the
    years).
    """
    section: dict = {"rule": RULE, "years": []}
    for year, table in years:
        total = total_row(table)
        section["years"].append({"year": int(year), "deciles": table, "total": total})
    if len(years) > 1:
        pooled = pool_tables(table for _, table in years)
        section["pooled"] = {
            "years": [int(y) for y, _ in years],
            "deciles": pooled,
            "total": total_row(pooled),
        }
    elif years:
        section["pooled"] = {**section["years"][0], "years": [int(years[0][0])]}
        section["pooled"].pop("year")
    warnings = section_warnings(
        section,
        kind=kind,
        yearly_references=yearly_references,
        tolerance=tolerance,
        min_failures=min_failures,
    )
    return section, warnings


#: The rule in words (stored with the backtest's calibration section).
RULE = (
    f"Pipes sorted by expected failures and cut into {DECILES} groups of equal pipe count. "
    f"A group (or the total) is off when its predicted failures differ from the reference "
    f"by more than {TOLERANCE:.0%}; it is judged only when predicted or reference reaches "
    f"{MIN_FAILURES:.0f} failures, and against observed counts only when the gap also "
    f"exceeds {NOISE_SD:.0f} Poisson standard deviations ({NOISE_SD:.0f} x sqrt(predicted))."
)


def _decile_name(decile, bins: int, lang: str = DEFAULT_LANGUAGE) -> str:
    if decile == "all":
        return t("backtest.whole_network", lang)
    if decile == bins:
        return t("backtest.decile_riskiest", lang, decile=str(decile))
    return t("backtest.decile", lang, decile=str(decile))


def _signed_percent(ratio: float | None, lang: str = DEFAULT_LANGUAGE) -> str:
    if ratio is None:
        return t("backtest.none_observed", lang)
    return format_signed_percent(ratio - 1, lang)


__all__ = [
    "DECILES",
    "MIN_FAILURES",
    "RULE",
    "TOLERANCE",
    "calibration_section",
    "period_words",
    "section_warnings",
    "calibration_warnings",
    "decile_table",
    "is_off",
    "off_deciles",
    "pool_tables",
    "total_row",
]


def reliability_table(probability, outcome, *, bins: int = 10, sample_weight=None) -> list[dict]:
    """Mean predicted probability and observed frequency per quantile bin of predictions.

    With ``sample_weight`` the means are weighted and ``count`` is the sum of weights
    (rounded): the number of pipes the sampled rows stand for.
    """
    probability = np.asarray(probability, dtype=float)
    outcome = np.asarray(outcome, dtype=float)
    if len(probability) == 0:
        return []
    w = np.ones(len(probability)) if sample_weight is None else np.asarray(sample_weight, float)
    order = np.argsort(probability, kind="mergesort")
    rows = []
    for chunk in np.array_split(order, min(bins, len(order))):
        if len(chunk) == 0:
            continue
        rows.append(
            {
                "predicted": float(np.average(probability[chunk], weights=w[chunk])),
                "observed": float(np.average(outcome[chunk], weights=w[chunk])),
                "count": round(float(w[chunk].sum())),
            }
        )
    return rows
