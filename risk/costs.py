"""The money assumptions, in one place: ``[costs]`` of a workspace's ``settings.toml``.

Every euro figure of the product (the renewal plan, ``risk plan``, the Renewal and Impact
pages) comes from a :class:`CostSettings`. The defaults are **orders of magnitude** for a
European town's distribution network (2020s prices, excluding VAT); a utility should replace
them with its own tender prices and accounts:

>>> costs = CostSettings()
>>> costs.renewal_eur_per_m_for(150.0, "cast_iron"), costs.renewal_eur_per_m_for(150.0, "asbestos_cement")
(550.0, 632.5)
>>> costs.break_value_eur  # a repair and the water a burst loses
3180.0

In ``settings.toml``::

    [costs]
    repair_eur_per_break = 4200
    water_eur_per_m3 = 0.45

    [costs.renewal_eur_per_m]      # diameter band (up to and including, mm) = € per metre
    "100" = 480
    "200" = 690
    "400" = 1050
    above = 1600                   # larger than the largest band

    [costs.renewal_material_factor]
    asbestos_cement = 1.3          # × the band's price

A table given in ``settings.toml`` replaces the default table whole (bands are not mixed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from risk.contract import MATERIALS
from risk.errors import InputError

#: Renewal cost per metre by diameter band (upper bound in mm, inclusive) for open-trench
#: replacement in town: pipe, trench, backfill, road reinstatement, service reconnections,
#: design and supervision. Order of magnitude of French and other European utilities'
#: renewal tenders (a few hundred €/m for distribution mains in town, over 1,000 €/m for
#: trunk mains); rural works cost less, city centres more. ``above`` is every larger pipe.
DEFAULT_RENEWAL_EUR_PER_M: dict[str, float] = {
    "100": 480.0,
    "150": 550.0,
    "200": 650.0,
    "300": 850.0,
    "400": 1100.0,
    "600": 1500.0,
    "above": 2200.0,
}
#: Multiplier of the band's price by the material of the pipe taken out. Asbestos cement
#: dug up is removed under asbestos procedures (confinement, protective equipment, disposal
#: as hazardous waste): +15 % as an order of magnitude. Other materials 1.
DEFAULT_MATERIAL_FACTOR: dict[str, float] = {"asbestos_cement": 1.15}
#: Diameter used to price a pipe whose diameter is unknown: the commonest distribution main.
UNKNOWN_DIAMETER_MM = 150.0


@dataclass(frozen=True)
class CostSettings:
    """Money assumptions of the renewal plan and the Impact page (euros, excluding VAT).

    Parameters
    ----------
    renewal_eur_per_m : dict
        € per metre of renewal by diameter band: ``{"<upper bound mm>": eur, ...,
        "above": eur}`` (see :data:`DEFAULT_RENEWAL_EUR_PER_M`). A pipe takes the first band
        whose bound is at least its diameter; an unknown diameter is priced at
        :data:`UNKNOWN_DIAMETER_MM`.
    renewal_material_factor : dict
        Multiplier of the band's price by the material taken out (default 1; asbestos
        cement 1.15, see :data:`DEFAULT_MATERIAL_FACTOR`).
    repair_eur_per_break : float
        Reactive repair of a main break: crew call-out, excavation, fitting, road
        reinstatement, traffic management. Order of magnitude 2,000-5,000 € in Europe;
        default 3,000 €.
    planned_repair_eur : float
        Repair of a leak found by a survey before it bursts (planned works, no out-of-hours
        crew, no third-party damage). Default 1,500 €, about half a reactive repair; set it
        equal to ``repair_eur_per_break`` to count no saving on repairs.
    water_eur_per_m3 : float
        Cost of producing one m³ (abstraction, treatment, pumping, part of the network's
        running costs), not the customer tariff. Order of magnitude 0.2-1 €/m³; default 0.6.
    inspection_eur_per_km : float
        Acoustic leak survey (listening sticks, noise loggers, correlator) per km of main.
        Order of magnitude 100-300 €/km; default 150 €/km.
    water_lost_m3_per_break : float
        Mean water lost by a main break until it is isolated and repaired. IWA component
        analysis ("BABE"): a reported main burst runs at about 12 m³/h (at 50 m pressure) for
        about a day, hence about 300 m³; default 300.
    """

    renewal_eur_per_m: dict = field(default_factory=lambda: dict(DEFAULT_RENEWAL_EUR_PER_M))
    renewal_material_factor: dict = field(default_factory=lambda: dict(DEFAULT_MATERIAL_FACTOR))
    repair_eur_per_break: float = 3000.0
    planned_repair_eur: float = 1500.0
    water_eur_per_m3: float = 0.6
    inspection_eur_per_km: float = 150.0
    water_lost_m3_per_break: float = 300.0

    def __post_init__(self):
        problems = []
        for name in (
            "repair_eur_per_break",
            "planned_repair_eur",
            "water_eur_per_m3",
            "inspection_eur_per_km",
            "water_lost_m3_per_break",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"'{name}' must be a number, got {value!r}; e.g. {name} = 3000")
            elif not (math.isfinite(value) and value >= 0):
                problems.append(f"'{name}' must be a number >= 0 (euros or m³), got {value}")
        problems += _band_problems(self.renewal_eur_per_m)
        problems += _factor_problems(self.renewal_material_factor)
        if problems:
            raise InputError("; ".join(problems))
        object.__setattr__(self, "renewal_eur_per_m", _bands(self.renewal_eur_per_m))
        object.__setattr__(
            self,
            "renewal_material_factor",
            {str(k): float(v) for k, v in self.renewal_material_factor.items()},
        )

    @classmethod
    def from_mapping(cls, values: dict) -> CostSettings:
        """The settings of a ``[costs]`` table (keys as in ``settings.toml``)."""
        known = [f.name for f in fields(cls)]
        unknown = [k for k in values if k not in known]
        if unknown:
            raise InputError(
                f"unknown key(s) {', '.join(map(repr, unknown))} in [costs]; the keys of "
                f"[costs] are {', '.join(known)}"
            )
        return cls(**values)

    @property
    def break_value_eur(self) -> float:
        """What one failure avoided saves: its repair and the water it would lose (€)."""
        return self.repair_eur_per_break + self.water_lost_m3_per_break * self.water_eur_per_m3

    def renewal_eur_per_m_for(self, diameter_mm: float, material: str) -> float:
        """€ per metre to renew one pipe (see :meth:`renewal_cost_eur` for many)."""
        return float(self.renewal_cost_eur([diameter_mm], [material], [1.0])[0])

    def renewal_cost_eur(self, diameter_mm, material, length_m) -> np.ndarray:
        """Renewal cost (€) of pipes: length × band price × material factor."""
        bounds, prices = _band_arrays(self.renewal_eur_per_m)
        d = np.asarray(diameter_mm, dtype=float)
        d = np.where(np.isfinite(d) & (d > 0), d, UNKNOWN_DIAMETER_MM)
        band = np.searchsorted(bounds, d, side="left")  # first bound >= d; past the end: above
        per_m = prices[band]
        factor = np.array(
            [self.renewal_material_factor.get(str(m), 1.0) for m in material], dtype=float
        )
        return per_m * factor * np.asarray(length_m, dtype=float)


def cost_settings(workspace: str | Path | None = None) -> CostSettings:
    """The money assumptions of a workspace: the defaults, then ``[costs]`` of its
    ``settings.toml`` (checked; a problem raises :class:`risk.settings.SettingsError`)."""
    from risk.settings import read_settings

    values = dict(read_settings(workspace).get("costs", {})) if workspace is not None else {}
    return CostSettings.from_mapping(values)


def band_label(bound: str) -> str:
    """``"150"`` -> ``"<= 150 mm"``, ``"above"`` -> ``"larger"`` (for the docs and tables)."""
    return "larger" if bound == "above" else f"<= {bound} mm"


def _bands(table: dict) -> dict[str, float]:
    """The band table sorted by bound, ``above`` last, values as floats."""
    numbered = sorted(((float(k), k) for k in table if k != "above"), key=lambda kv: kv[0])
    out = {_bound_text(b): float(table[k]) for b, k in numbered}
    out["above"] = float(table["above"])
    return out


def _bound_text(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _band_arrays(table: dict) -> tuple[np.ndarray, np.ndarray]:
    bounds = np.array([float(k) for k in table if k != "above"])
    prices = np.array([table[k] for k in table if k != "above"] + [table["above"]], dtype=float)
    return bounds, prices


def _band_problems(table) -> list[str]:
    fix = (
        'write it as [costs.renewal_eur_per_m] with lines such as "150" = 550 (diameter up to '
        "and including 150 mm costs 550 €/m) and above = 2200 for larger pipes"
    )
    if not isinstance(table, dict) or not table:
        return [f"'renewal_eur_per_m' must be a table of diameter bands; {fix}"]
    problems = []
    for key, value in table.items():
        if key != "above":
            try:
                bound = float(key)
            except (TypeError, ValueError):
                problems.append(f"renewal_eur_per_m: band {key!r} is not a diameter in mm; {fix}")
                continue
            if not (math.isfinite(bound) and bound > 0):
                problems.append(f"renewal_eur_per_m: band {key!r} must be a diameter > 0 mm")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            problems.append(
                f"renewal_eur_per_m: band {key!r} must cost a number > 0 €/m, got {value!r}"
            )
    if "above" not in table:
        problems.append(
            "renewal_eur_per_m has no 'above' band (pipes larger than the largest band); "
            "add a line such as above = 2200"
        )
    return problems


def _factor_problems(table) -> list[str]:
    if not isinstance(table, dict):
        return [
            "'renewal_material_factor' must be a table: [costs.renewal_material_factor] with "
            "lines such as asbestos_cement = 1.15"
        ]
    problems = []
    for key, value in table.items():
        if key not in MATERIALS:
            problems.append(
                f"renewal_material_factor: unknown material {key!r}; the materials are "
                f"{', '.join(MATERIALS)}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            problems.append(
                f"renewal_material_factor: {key!r} must be a number > 0 (1 = the band's "
                f"price), got {value!r}"
            )
    return problems


def inspection_return(
    km_inspected: float,
    leaks_found: int,
    saved_m3_to_date: float,
    saved_m3_total: float,
    costs: CostSettings | None = None,
) -> dict:
    """What the inspection rounds cost and what the leaks they found are worth (€).

    - ``cost_eur`` = km inspected × ``inspection_eur_per_km``;
    - ``water_value_eur`` = water saved over each leak's whole avoided run (until the
      routine survey would have found it, :mod:`risk.savings`) × ``water_eur_per_m3``;
      ``water_value_to_date_eur`` the same for the water saved to date;
    - ``repairs_avoided_eur`` = leaks found × (``repair_eur_per_break`` −
      ``planned_repair_eur``): a leak repaired as planned works instead of a burst;
    - ``value_eur`` = water + repairs, ``return_per_eur`` = value ÷ cost (NaN with no cost).

    >>> inspection_return(10.0, 2, 500.0, 4000.0)["return_per_eur"]  # (2,400 + 3,000) / 1,500
    3.6
    """
    costs = costs or CostSettings()
    cost = float(km_inspected) * costs.inspection_eur_per_km
    water = float(saved_m3_total) * costs.water_eur_per_m3
    repairs = int(leaks_found) * max(0.0, costs.repair_eur_per_break - costs.planned_repair_eur)
    value = water + repairs
    return {
        "cost_eur": cost,
        "water_m3": float(saved_m3_total),
        "water_value_eur": water,
        "water_value_to_date_eur": float(saved_m3_to_date) * costs.water_eur_per_m3,
        "repairs_avoided_eur": repairs,
        "value_eur": value,
        "return_per_eur": value / cost if cost > 0 else float("nan"),
        "inspection_eur_per_km": costs.inspection_eur_per_km,
        "water_eur_per_m3": costs.water_eur_per_m3,
    }
