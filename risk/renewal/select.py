"""Which items (pipes or inspection units) to renew each year within a budget.

Two rules, both spending at most the year's budget and never carrying what is left over to
the next year:

- :func:`best_value_order` (the plan): the items with the largest risk reduction per euro
  first. An item's risk reduction in plan year ``y`` is its weighted failures avoided from
  ``y`` to the end of the plan, half of them in year ``y`` itself (works are spread over the
  year, so on average a renewal is in place for half of its first year).
- :func:`oldest_first_order` (the utility's usual rule): the oldest items first.

:func:`fill_budget` takes items in that order while they fit; an item that does not fit is
skipped and smaller ones after it may still be taken (a greedy knapsack: for items small
against the budget it is within one item's cost of the best choice).

>>> fill_budget(np.array([2, 0, 1]), np.array([5.0, 4.0, 3.0]), 7.0).tolist()  # 0 skipped
[2, 1]
"""

from __future__ import annotations

import numpy as np


def fill_budget(order: np.ndarray, cost: np.ndarray, budget: float) -> np.ndarray:
    """Items of ``order`` (indices, best first) taken while the budget allows."""
    order = np.asarray(order)
    if not len(order) or budget <= 0:
        return order[:0]
    ordered_cost = cost[order]
    prefix = np.cumsum(ordered_cost)
    n = int(np.searchsorted(prefix, budget, side="right"))
    taken = [order[:n]]
    left = budget - (prefix[n - 1] if n else 0.0)
    rest = order[n + 1 :]
    rest = rest[cost[rest] <= left]
    extra = []
    for item in rest:  # skipping what no longer fits
        if cost[item] <= left:
            extra.append(item)
            left -= cost[item]
            if left <= 0:
                break
    return np.concatenate([*taken, np.asarray(extra, dtype=order.dtype)])


def benefit_in_year(weighted_avoided: np.ndarray, year_index: int) -> np.ndarray:
    """Risk reduction of renewing each item in plan year ``year_index`` (0-based): half of
    that year's avoided (weighted) failures and all of the later years'."""
    later = weighted_avoided[:, year_index + 1 :].sum(axis=1)
    return 0.5 * weighted_avoided[:, year_index] + later


def best_value_order(benefit: np.ndarray, cost: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Items with a risk reduction and a cost, by reduction per euro (ties: by id)."""
    usable = np.flatnonzero((benefit > 0) & (cost > 0))
    ratio = benefit[usable] / cost[usable]
    return usable[np.lexsort((ids[usable], -ratio))]


def oldest_first_order(install_year: np.ndarray, cost: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Items with a cost, oldest install year first (unknown years last; ties: by id)."""
    usable = np.flatnonzero(cost > 0)
    year = install_year[usable]
    known = np.isfinite(year)
    return usable[np.lexsort((ids[usable], np.where(known, year, np.inf)))]


def schedule(
    rule: str,
    *,
    budget_eur_per_year: float,
    cost: np.ndarray,
    weighted_avoided: np.ndarray,
    install_year: np.ndarray,
    ids: np.ndarray,
) -> np.ndarray:
    """The plan year (1-based) each item is renewed in under ``rule`` (``best_value``,
    ``oldest_first`` or ``nothing``); 0 for items left in place."""
    n_items, years = weighted_avoided.shape
    year_of = np.zeros(n_items, dtype=int)
    if rule == "nothing" or budget_eur_per_year <= 0:
        return year_of
    if rule == "oldest_first":
        order = oldest_first_order(install_year, cost, ids)
    elif rule != "best_value":
        raise ValueError(f"unknown rule {rule!r}: best_value, oldest_first or nothing")
    for y in range(years):
        if rule == "best_value":
            order = best_value_order(benefit_in_year(weighted_avoided, y), cost, ids)
        order = order[year_of[order] == 0]
        chosen = fill_budget(order, cost, budget_eur_per_year)
        year_of[chosen] = y + 1
    return year_of
