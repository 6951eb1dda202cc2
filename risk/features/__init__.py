"""Leakage-safe features of every pipe in service at an as-of date.

``build_features(data, as_of)`` returns one row per pipe in service at ``as_of``,
indexed by ``pipe_id`` and sorted by it. Nothing dated on or after ``as_of`` reaches
a feature: breaks, inspection outcomes, dated welds and weather rows are cut at
``as_of`` before anything is computed.

A pipe is *in service* at ``as_of`` when it was installed before it (a pipe installed
in year Y counts from 1 January of Y) and its removal year, if any, is not before the
year of ``as_of`` (a removal during the as-of year is not yet known on ``as_of``).

Feature groups (each skipped, with one log line, when its layer is missing):

- attributes: ``age_years``, ``install_year``, ``material``, ``diameter_mm``,
  ``length_m``, ``lined``, ``pressure_zone``;
- failure history on the pipe: ``failures_total``, ``failures_last_{n}y``,
  ``years_since_last_failure``, ``failures_per_km``, ``failures_per_km_year``;
- failures on neighbours within ``neighbour_radius_m`` (pipes with geometry only):
  ``neighbour_failures_total``, ``neighbour_failures_last_{n}y``;
- soils (geometry only): ``soil_<column>`` by length-weighted overlap, numbers stay
  numbers, text becomes a category (the value covering most of the pipe);
- weather over the last ``weather_years`` years: ``weather_<column>_mean`` for every
  numeric column, plus freeze-thaw, freezing-index and dry-summer indices when
  minimum/maximum temperature and precipitation columns are found; by nearest
  station when stations are given and pipes have geometry, network-wide otherwise;
- welds and joints: ``welds_total``, ``welds_per_km``, ``welds_grade_<grade>``;
- inspection outcomes (``outcomes=`` or ``data.inspections``): ``inspections_total``,
  ``inspection_leaks_found``, ``years_since_last_inspection``.

Categorical columns use pandas ``category`` dtype with the sorted values of the pipes in
service at the as-of date (materials always include the data contract's list); a model
maps them to its own category lists by name (``RiskModel``).

Modules: ``builder`` (:class:`FeatureBuilder`, :func:`build_features`), ``common`` (the
as-of date, pipes in service, failure counts, prepared tables), ``context`` (soils,
weather, column names).
"""

from risk.features.builder import (
    FeatureBuilder,
    build_features,
)
from risk.features.common import (
    DEFAULT_NEIGHBOUR_RADIUS_M,
    count_failures,
    in_service,
    to_timestamp,
)
from risk.features.context import (
    WINDOW_PREFIX,
    clean_name,
    earliest_weather_as_of,
    hemisphere_of,
    left_out_columns,
    nearest_station,
    no_weather_window,
    overlay_soils,
    scenario_starts,
    soil_property_columns,
    source_names,
    weather_measure_columns,
    weather_role,
    weather_span_words,
    window_weather,
)

__all__ = [
    "DEFAULT_NEIGHBOUR_RADIUS_M",
    "FeatureBuilder",
    "WINDOW_PREFIX",
    "build_features",
    "clean_name",
    "hemisphere_of",
    "count_failures",
    "in_service",
    "left_out_columns",
    "nearest_station",
    "overlay_soils",
    "earliest_weather_as_of",
    "no_weather_window",
    "weather_span_words",
    "scenario_starts",
    "soil_property_columns",
    "source_names",
    "to_timestamp",
    "weather_measure_columns",
    "weather_role",
    "window_weather",
]
