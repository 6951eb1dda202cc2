"""Probabilities from expected counts: Platt scaling and the reliability table."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize


class PlattCalibrator:
    """Platt scaling: ``p = sigmoid(a * logit(raw) + b)``, fitted by maximum likelihood.

    Two parameters, so that a year of held-out failures (often under a hundred) is
    enough; unlike isotonic regression it never returns exactly 0 or 1.
    """

    def __init__(self, a: float = 1.0, b: float = 0.0):
        self.a = float(a)
        self.b = float(b)

    @staticmethod
    def _logit(probability) -> np.ndarray:
        p = np.clip(np.asarray(probability, dtype=float), 1e-7, 1 - 1e-7)
        return np.log(p / (1 - p))

    def fit(self, probability, outcome, *, sample_weight=None) -> PlattCalibrator:
        z = self._logit(probability)
        hit = np.asarray(outcome, dtype=float)
        w = np.ones(len(hit)) if sample_weight is None else np.asarray(sample_weight, float)
        if hit.sum() == 0 or hit.sum() == len(hit):
            return self  # nothing to learn from: identity

        def loss(theta):
            eta = theta[0] * z + theta[1]
            value = np.sum(w * (np.logaddexp(0, eta) - hit * eta))
            residual = w * (1 / (1 + np.exp(-eta)) - hit)
            return value, np.array([np.sum(residual * z), np.sum(residual)])

        result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
        self.a, self.b = (float(v) for v in result.x)
        return self

    def predict(self, probability) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.a * self._logit(probability) + self.b)))

    def to_dict(self) -> dict:
        return {"method": "platt", "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, state: dict) -> PlattCalibrator:
        return cls(state["a"], state["b"])


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
