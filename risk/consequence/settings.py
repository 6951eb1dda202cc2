"""Settings of the consequence-of-failure computation, each default documented.

>>> CriticalitySettings(peak_factor=2.5).service_pressure
20.0
>>> CriticalitySettings(peak_factor=0)
Traceback (most recent call last):
...
risk.consequence.settings.CriticalitySettingsError: criticality settings: 'peak_factor' must be at least 1 (got 0); for example peak_factor = 2.0.

The same keys may be written in the workspace's ``settings.toml`` under ``[criticality]``;
command-line flags win over the file.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, fields

from risk.errors import InputError

#: Consequence grades from the score: grade g when the score is at least the (g-1)-th value.
GRADE_NAMES = ("negligible", "minor", "moderate", "major", "severe")
#: Weight of a critical site by kind, when its layer gives none (1-5).
DEFAULT_SITE_WEIGHTS = {
    "hospital": 5.0,
    "dialysis": 4.0,
    "school": 2.0,
    "industry": 2.0,
}


#: Settings that are lists of four thresholds (grades 2 to 5 begin at each).
THRESHOLD_KEYS = ("grade_thresholds", "likelihood_thresholds")


class CriticalitySettingsError(InputError):
    """A criticality setting is out of range or unknown; the message lists every problem."""


@dataclass(frozen=True)
class CriticalitySettings:
    """How pipe closures are simulated, matched and graded.

    Pressures are metres of water at the junction, volumes m³ per day.
    """

    #: Pressure-driven demand (EPANET 2.2): a junction receives its full demand from this
    #: pressure up, metres. 20 m (2 bar) is a common service standard at the main.
    required_pressure_m: float = 20.0
    #: ... and nothing below this pressure, metres.
    minimum_pressure_m: float = 0.0
    #: Exponent of the pressure-demand curve between the two (0.5: orifice flow).
    pressure_exponent: float = 0.5
    #: A junction is "below service pressure" under this pressure, metres (default: the
    #: required pressure).
    service_pressure_m: float | None = None
    #: Peak case: every demand multiplied by this factor on top of the model's own demand
    #: multiplier and patterns (a maximum day; its hourly peaks come from the patterns).
    peak_factor: float = 2.0
    #: Simulated duration, hours (one day: the unserved volume is per day).
    duration_h: float = 24.0
    #: Hydraulic time step, hours (the model's own step when shorter).
    hydraulic_step_h: float = 1.0
    #: Unserved volumes under this are solver residue and count as 0, m³/day.
    residue_m3_per_day: float = 1.0
    #: Pressure changes under this are solver residue, metres.
    pressure_residue_m: float = 0.1
    #: A junction is affected when it falls below service pressure, is cut off, or loses at
    #: least this share of its daily volume.
    affected_share: float = 0.05
    #: Model pipes without a GIS pipe of the same id match the nearest GIS pipe whose
    #: middle and both ends lie within this distance, metres.
    match_tolerance_m: float = 5.0
    #: A critical site is served by its nearest junction within this distance, metres.
    site_max_distance_m: float = 500.0
    #: Proxy: critical sites within this distance of a pipe count as near it, metres.
    proxy_site_radius_m: float = 150.0
    #: Proxy: water used per km of main, m³/day per km (when a hydraulic model is present,
    #: the model's average demand per km of open pipe is used instead).
    proxy_demand_m3_per_day_per_km: float = 20.0
    #: Proxy graph: pipe ends closer than this are one node, metres.
    snap_tolerance_m: float = 0.5
    #: Score: unserved volume that scores 1 (log scale), m³/day.
    score_volume_m3_per_day: float = 1000.0
    #: Score: customers affected that score 1 (log scale).
    score_customers: float = 2000.0
    #: Score: weight of critical sites affected that scores 1 (linear).
    score_site_weight: float = 5.0
    #: Scores at which grades 2, 3, 4 and 5 begin.
    grade_thresholds: tuple[float, float, float, float] = (0.05, 0.25, 0.5, 0.75)
    #: Risk matrix: probabilities of at least one failure within the scores' horizon (one
    #: year by default) at which likelihood grades 2 (unlikely), 3 (possible), 4 (likely) and
    #: 5 (almost certain) begin; about once in 100, 30, 10 and 3 years
    #: (``risk.consequence.matrix``).
    likelihood_thresholds: tuple[float, float, float, float] = (0.01, 0.03, 0.1, 0.3)
    #: Valve segments: a valve point is placed on the nearest model pipe within this
    #: distance, metres (``risk.consequence.valves``).
    valve_snap_tolerance_m: float = 5.0
    #: Valve segments: a segment of more pipes than this is a gap in the valve layer (its
    #: pipes are closed alone).
    max_segment_pipes: int = 100
    #: Pipes per task sent to a worker process.
    chunk_size: int = 50

    def __post_init__(self) -> None:
        problems = []

        def need(ok: bool, key: str, rule: str, example: str) -> None:
            if not ok:
                value = getattr(self, key)
                problems.append(f"'{key}' must be {rule} (got {value}); for example {example}")

        for key in (
            "required_pressure_m",
            "duration_h",
            "hydraulic_step_h",
            "match_tolerance_m",
            "site_max_distance_m",
            "snap_tolerance_m",
            "valve_snap_tolerance_m",
            "score_volume_m3_per_day",
            "score_customers",
            "score_site_weight",
        ):
            need(_number(getattr(self, key)) and getattr(self, key) > 0, key, "> 0", f"{key} = 1.0")
        for key in (
            "minimum_pressure_m",
            "residue_m3_per_day",
            "pressure_residue_m",
            "proxy_site_radius_m",
            "proxy_demand_m3_per_day_per_km",
        ):
            need(_number(getattr(self, key)) and getattr(self, key) >= 0, key, ">= 0", f"{key} = 0")
        need(
            _number(self.peak_factor) and self.peak_factor >= 1,
            "peak_factor",
            "at least 1",
            "peak_factor = 2.0",
        )
        need(
            _number(self.pressure_exponent) and 0 < self.pressure_exponent <= 2,
            "pressure_exponent",
            "in (0, 2]",
            "pressure_exponent = 0.5",
        )
        need(
            _number(self.affected_share) and 0 < self.affected_share <= 1,
            "affected_share",
            "in (0, 1]",
            "affected_share = 0.05",
        )
        for key, example in (("chunk_size", 50), ("max_segment_pipes", 100)):
            value = getattr(self, key)
            need(
                isinstance(value, int) and not isinstance(value, bool) and value > 0,
                key,
                "a whole number > 0",
                f"{key} = {example}",
            )
        if not problems and self.minimum_pressure_m >= self.required_pressure_m:
            problems.append(
                "'minimum_pressure_m' must be below 'required_pressure_m' "
                f"(got {self.minimum_pressure_m} and {self.required_pressure_m})"
            )
        problems += _threshold_problems(
            "grade_thresholds", self.grade_thresholds, "scores", "[0.05, 0.25, 0.5, 0.75]"
        )
        problems += _threshold_problems(
            "likelihood_thresholds",
            self.likelihood_thresholds,
            "probabilities",
            "[0.01, 0.03, 0.1, 0.3]",
        )
        if problems:
            raise CriticalitySettingsError("criticality settings: " + "; ".join(problems) + ".")

    @property
    def service_pressure(self) -> float:
        """Pressure under which a junction counts as below service, metres."""
        return (
            self.required_pressure_m if self.service_pressure_m is None else self.service_pressure_m
        )

    @classmethod
    def from_mapping(cls, values: dict) -> CriticalitySettings:
        """Settings from a ``[criticality]`` table; unknown keys are refused with the list."""
        known = [f.name for f in fields(cls)]
        unknown = [k for k in values if k not in known]
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(key, known, n=1)
                hints.append(f"'{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
            raise CriticalitySettingsError(
                f"unknown key(s) in [criticality]: {', '.join(hints)}; the keys are "
                f"{', '.join(known)}."
            )
        values = dict(values)
        for key in THRESHOLD_KEYS:
            if isinstance(values.get(key), list):
                values[key] = tuple(values[key])
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _threshold_problems(key: str, value, what: str, example: str) -> list[str]:
    """A sentence when ``value`` is not four strictly increasing numbers in (0, 1]."""
    items = list(value) if isinstance(value, list | tuple) else None
    if (
        items is not None
        and len(items) == 4
        and all(_number(v) for v in items)
        and all(a < b for a, b in zip(items, items[1:], strict=False))
        and 0 < items[0]
        and items[-1] <= 1
    ):
        return []
    shown = list(value) if isinstance(value, tuple) else value
    return [
        f"'{key}' must be a list of four increasing {what} in (0, 1], where grades 2, 3, 4 "
        f"and 5 begin (got {shown!r}); for example {key} = {example}"
    ]
