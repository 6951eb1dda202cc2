"""Renewal scenarios side by side: the plan under a budget, other budgets, the age rule,
doing nothing.

:func:`workspace_renewal_plan` is the one function ``risk plan`` and the Renewal page call;
:func:`plan_renewal` does the work on :class:`~risk.renewal.inputs.RenewalInputs`.

Per scenario and plan year: pipes renewed, km, cost (€), expected failures left, failures
avoided against doing nothing, water saved (failures avoided × ``water_lost_m3_per_break``)
and money saved (failures avoided × (``repair_eur_per_break`` + water lost ×
``water_eur_per_m3``)), all from :class:`risk.costs.CostSettings`. Euros are not
discounted. The *risk reduction* the plan maximises per euro is failures avoided weighted by
consequence, ``× (1 + cof_score)`` with ``cof_score`` (0-1) from ``consequence.parquet``: a
failure of the most critical pipe counts twice a failure without consequence. Without
consequence it is the failures avoided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from risk.baselines import age_rule_applies, install_year_known_share
from risk.errors import InputError
from risk.renewal.inputs import RenewalInputs, check_plan_request, renewal_inputs
from risk.renewal.select import schedule

#: Budget levels compared with the budget by default (× the budget).
DEFAULT_FACTORS = (0.7, 1.0, 1.3)

#: Columns of a scenario's renewed pipes (``renewal_plan.csv``).
PLAN_COLUMNS = (
    "year",
    "pipe_id",
    "unit_id",
    "material",
    "diameter_mm",
    "install_year",
    "length_m",
    "cost_eur",
    "cof_score",
    "expected_failures_avoided",
    "risk_reduction",
)
#: Columns of a scenario's year-by-year table.
YEAR_COLUMNS = (
    "year",
    "pipes_renewed",
    "km_renewed",
    "cost_eur",
    "expected_failures",
    "failures_avoided",
    "water_saved_m3",
    "money_saved_eur",
)


@dataclass
class Scenario:
    """One way of spending (or not) over the plan: ``key`` (``budget_100``, ``age_rule``,
    ``nothing``), ``rule``, ``factor`` of the budget, the euros per year, the pipes renewed
    (:data:`PLAN_COLUMNS`), the years (:data:`YEAR_COLUMNS`) and the totals."""

    key: str
    rule: str
    factor: float
    budget_eur_per_year: float
    renewed: pd.DataFrame
    yearly: pd.DataFrame
    totals: dict = field(default_factory=dict)


@dataclass
class RenewalPlan:
    """The scenarios (the plan itself first), the inputs' assumptions and the options."""

    scenarios: list[Scenario]
    basis: dict
    inputs: RenewalInputs

    @property
    def main(self) -> Scenario:
        """The plan: the best value for money at the budget asked."""
        return self.scenarios[0]

    def scenario(self, key: str) -> Scenario | None:
        """The scenario ``key``; None when the plan has none (the age rule without
        install years, see :func:`risk.baselines.age_rule_applies`)."""
        return next((s for s in self.scenarios if s.key == key), None)

    def summary(self) -> pd.DataFrame:
        """One row per scenario: its key, rule, budget and totals."""
        return pd.DataFrame(
            [
                {
                    "scenario": s.key,
                    "rule": s.rule,
                    "factor": s.factor,
                    "budget_eur_per_year": s.budget_eur_per_year,
                    **s.totals,
                }
                for s in self.scenarios
            ]
        )

    def failures_by_year(self) -> pd.DataFrame:
        """Expected failures per year and scenario (long form, for a chart)."""
        return pd.concat(
            [
                s.yearly[["year", "expected_failures"]].assign(scenario=s.key)
                for s in self.scenarios
            ],
            ignore_index=True,
        )


def suggested_budget_eur_per_year(network_length_m: float, costs=None) -> float:
    """A starting budget: renewing 1 % of the network a year (a 100-year cycle, the rate
    often recommended for distribution networks) at the price of a 150 mm main, rounded to
    1,000 €.

    >>> suggested_budget_eur_per_year(100_000)
    550000.0
    """
    from risk.costs import CostSettings

    costs = costs or CostSettings()
    per_m = costs.renewal_eur_per_m_for(150.0, "unknown")
    return float(max(1000.0, round(0.01 * float(network_length_m) * per_m, -3)))


def scenario_key(rule: str, factor: float) -> str:
    """``budget_100`` (the budget), ``budget_70`` (70 % of it), ``age_rule``, ``nothing``."""
    if rule == "oldest_first":
        return "age_rule"
    if rule == "nothing":
        return "nothing"
    return f"budget_{round(factor * 100)}"


def plan_renewal(
    inputs: RenewalInputs,
    budget_eur_per_year: float,
    *,
    factors=DEFAULT_FACTORS,
    by_unit: bool = False,
) -> RenewalPlan:
    """The plan at ``budget_eur_per_year`` and the scenarios to compare it with: the same
    rule at each of ``factors`` × the budget, the age rule (oldest first) at the budget when
    enough of the network has an install year (:func:`risk.baselines.age_rule_applies`), and doing
    nothing."""
    check_plan_request(budget_eur_per_year, inputs.years)
    factors = _factors(factors)
    items = _items(inputs, by_unit)
    runs = [("best_value", 1.0)]
    runs += [("best_value", f) for f in factors if f != 1.0]
    runs += [("oldest_first", 1.0)] if age_rule_applies(inputs.pipes) else []
    runs += [("nothing", 0.0)]
    scenarios = [
        _scenario(inputs, items, rule, factor, budget_eur_per_year * factor)
        for rule, factor in runs
    ]
    basis = {
        **inputs.basis,
        "budget_eur_per_year": float(budget_eur_per_year),
        "factors": list(factors),
        "by_unit": bool(by_unit),
        "install_year_known_share": round(install_year_known_share(inputs.pipes), 4),
        "weighted_by_consequence": bool(inputs.basis.get("consequence_pipes")),
        **_cheapest(items),
    }
    return RenewalPlan(scenarios=scenarios, basis=basis, inputs=inputs)


def workspace_renewal_plan(
    workspace: str | Path,
    budget_eur_per_year: float,
    *,
    years: int = 10,
    factors=DEFAULT_FACTORS,
    by_unit: bool = False,
    use_consequence: bool = True,
) -> RenewalPlan:
    """:func:`plan_renewal` of a workspace (its scores, network, consequence and
    ``[costs]``): what ``risk plan`` prints and writes and what the Renewal page shows."""
    check_plan_request(budget_eur_per_year, years)
    factors = _factors(factors)
    inputs = renewal_inputs(workspace, years=years, use_consequence=use_consequence)
    return plan_renewal(inputs, budget_eur_per_year, factors=factors, by_unit=by_unit)


def _cheapest(items: _Items) -> dict:
    """The cheapest pipe (or unit) to renew, its id and cost: a budget a year below it
    renews nothing, which the plan must say (it printed 0 km without a word)."""
    priced = np.flatnonzero(np.isfinite(items.cost) & (items.cost > 0))
    if not len(priced):
        return {"cheapest_id": None, "cheapest_eur": None}
    best = priced[np.lexsort((items.ids[priced], items.cost[priced]))[0]]
    return {"cheapest_id": str(items.ids[best]), "cheapest_eur": float(items.cost[best])}


def _factors(factors) -> tuple[float, ...]:
    values = []
    for f in factors or ():
        try:
            value = float(f)
        except (TypeError, ValueError):
            value = float("nan")
        if not (np.isfinite(value) and value >= 0):
            raise InputError(
                f"scenario budget levels must be numbers >= 0 (× the budget), got {f!r}; "
                "e.g. --scenarios 0.7,1,1.3"
            )
        values.append(round(value, 4))
    return tuple(dict.fromkeys([1.0, *values]))


@dataclass
class _Items:
    """What the rules choose among: pipes, or inspection units (all their pipes at once)."""

    item_of_pipe: np.ndarray
    ids: np.ndarray
    cost: np.ndarray
    weighted_avoided: np.ndarray
    install_year: np.ndarray


def _items(inputs: RenewalInputs, by_unit: bool) -> _Items:
    pipes = inputs.pipes
    weighted = inputs.avoided * pipes["weight"].to_numpy(float)[:, None]
    install = pd.to_numeric(pipes["install_year"], errors="coerce").to_numpy(float)
    if not by_unit:
        return _Items(
            item_of_pipe=np.arange(len(pipes)),
            ids=pipes["pipe_id"].to_numpy(str),
            cost=pipes["cost_eur"].to_numpy(float),
            weighted_avoided=weighted,
            install_year=install,
        )
    units = pipes["unit_id"]
    if units.isna().all():
        raise InputError(
            "the scores have no inspection units (unit_id): they were written before units "
            "existed. Run 'risk score WORKSPACE --as-of DATE' again, or plan pipe by pipe "
            "(without --by-unit)"
        )
    key = units.fillna(pipes["pipe_id"]).astype(str)
    codes, ids = pd.factorize(key, sort=True)
    n = len(ids)
    length = pipes["length_m"].to_numpy(float)
    known = np.isfinite(install)
    year_sum = np.bincount(codes, weights=np.where(known, install * length, 0.0), minlength=n)
    year_len = np.bincount(codes, weights=np.where(known, length, 0.0), minlength=n)
    summed = np.zeros((n, weighted.shape[1]))
    np.add.at(summed, codes, weighted)
    return _Items(
        item_of_pipe=codes,
        ids=np.asarray(ids, dtype=str),
        cost=np.bincount(codes, weights=pipes["cost_eur"].to_numpy(float), minlength=n),
        weighted_avoided=summed,
        # a unit's age for the age rule: its pipes' install year, weighted by length
        install_year=np.divide(year_sum, year_len, out=np.full(n, np.nan), where=year_len > 0),
    )


def _scenario(
    inputs: RenewalInputs, items: _Items, rule: str, factor: float, budget: float
) -> Scenario:
    year_of_item = schedule(
        rule,
        budget_eur_per_year=budget,
        cost=items.cost,
        weighted_avoided=items.weighted_avoided,
        install_year=items.install_year,
        ids=items.ids,
    )
    pipes = inputs.pipes
    year_of = year_of_item[items.item_of_pipe]
    k = np.arange(1, inputs.years + 1)[None, :]
    share = np.where(
        (year_of[:, None] == 0) | (k < year_of[:, None]),
        0.0,
        np.where(k == year_of[:, None], 0.5, 1.0),
    )
    avoided = inputs.avoided * share
    weighted = avoided * pipes["weight"].to_numpy(float)[:, None]
    costs = inputs.costs
    done = year_of > 0
    renewed = pipes.loc[done].assign(
        year=inputs.first_year + year_of[done] - 1,
        expected_failures_avoided=avoided[done].sum(axis=1),
        risk_reduction=weighted[done].sum(axis=1),
    )
    renewed = renewed.sort_values(["year", "unit_id", "pipe_id"], kind="mergesort")
    renewed = renewed[list(PLAN_COLUMNS)].reset_index(drop=True)
    per_year = avoided.sum(axis=0)
    yearly = pd.DataFrame(
        {
            "year": inputs.first_year + np.arange(inputs.years),
            "pipes_renewed": np.bincount(year_of, minlength=inputs.years + 1)[1:],
            "km_renewed": np.bincount(
                year_of, weights=pipes["length_m"].to_numpy(float), minlength=inputs.years + 1
            )[1:]
            / 1000.0,
            "cost_eur": np.bincount(
                year_of, weights=pipes["cost_eur"].to_numpy(float), minlength=inputs.years + 1
            )[1:],
            "expected_failures": inputs.rate.sum(axis=0) - per_year,
            "failures_avoided": per_year,
            "water_saved_m3": per_year * costs.water_lost_m3_per_break,
            "money_saved_eur": per_year * costs.break_value_eur,
        }
    )[list(YEAR_COLUMNS)]
    totals = {
        "cost_eur": float(yearly["cost_eur"].sum()),
        "km_renewed": float(yearly["km_renewed"].sum()),
        "pipes_renewed": int(done.sum()),
        "expected_failures": float(yearly["expected_failures"].sum()),
        "failures_avoided": float(per_year.sum()),
        "water_saved_m3": float(yearly["water_saved_m3"].sum()),
        "money_saved_eur": float(yearly["money_saved_eur"].sum()),
        "risk_reduction": float(weighted.sum()),
    }
    return Scenario(
        key=scenario_key(rule, factor),
        rule=rule,
        factor=float(factor),
        budget_eur_per_year=float(budget),
        renewed=renewed,
        yearly=yearly,
        totals=totals,
    )
