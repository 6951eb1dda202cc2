"""The consequence score (0-1), its grade (1-5), and how far two rankings agree.

The score is that of the worst of three consequences, each on a scale from 0 to 1:

- water not delivered on the peak day, ``V`` m³/day: ``log(1 + V) / log(1 + V_ref)``
  (``score_volume_m3_per_day``, default 1,000 m³/day scores 1; 1 m³/day scores 0.10,
  10 m³/day 0.35, 100 m³/day 0.67);
- customers affected, ``C``: ``log(1 + C) / log(1 + C_ref)`` (``score_customers``,
  default 2,000; 1 customer scores 0.09, 10 scores 0.32, 100 scores 0.61);
- weight of the critical sites affected, ``W``: ``W / W_ref`` (``score_site_weight``,
  default 5: a hospital, weight 5, scores 1; a school, weight 2, 0.4);

each capped at 1. ``cof_score = max`` of the three.

Grades (``grade_thresholds``, default 0.05, 0.25, 0.5, 0.75):

| grade | name | score |
|---|---|---|
| 1 | negligible | < 0.05 (nothing measurable: a pipe in a loop with ample capacity) |
| 2 | minor | 0.05 - 0.25 (a few m³/day, a few customers) |
| 3 | moderate | 0.25 - 0.5 (about 5-30 m³/day, 5-40 customers, a school) |
| 4 | major | 0.5 - 0.75 (about 30-180 m³/day, 40-300 customers) |
| 5 | severe | >= 0.75 (more, or a hospital or dialysis centre) |

>>> from risk.consequence.settings import CriticalitySettings
>>> s = CriticalitySettings()
>>> cof_score(np.array([0.0, 10.0, 1000.0]), None, np.array([0.0, 0.0, 0.0]), s).round(2)
array([0.  , 0.35, 1.  ])
>>> cof_grade(np.array([0.0, 0.1, 0.3, 0.6, 0.9]), s).tolist()
[1, 2, 3, 4, 5]
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from risk.consequence.settings import CriticalitySettings


def _log_scale(value, reference: float) -> np.ndarray:
    value = np.nan_to_num(np.asarray(value, dtype=float), nan=0.0)
    return np.clip(np.log1p(np.maximum(value, 0.0)) / np.log1p(reference), 0.0, 1.0)


def cof_score(
    unserved_m3_per_day, customers, site_weight, settings: CriticalitySettings
) -> np.ndarray:
    """Consequence score 0-1 per pipe (see the module); ``customers=None`` when unknown."""
    parts = [_log_scale(unserved_m3_per_day, settings.score_volume_m3_per_day)]
    if customers is not None:
        parts.append(_log_scale(customers, settings.score_customers))
    weight = np.nan_to_num(np.asarray(site_weight, dtype=float), nan=0.0)
    parts.append(np.clip(weight / settings.score_site_weight, 0.0, 1.0))
    return np.max(np.vstack(parts), axis=0)


def cof_grade(score, settings: CriticalitySettings) -> np.ndarray:
    """Grade 1 (negligible) to 5 (severe) of each score."""
    thresholds = np.asarray(settings.grade_thresholds, dtype=float)
    return np.searchsorted(thresholds, np.asarray(score, dtype=float), side="right") + 1


def spearman(x, y) -> float | None:
    """Spearman's rank correlation of two series (ties share their mean rank); None when
    either is constant or fewer than 3 pairs are complete."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rho = stats.spearmanr(x, y).statistic
    return None if np.isnan(rho) else float(rho)
