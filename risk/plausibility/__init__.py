"""Checks that look across rows of a layer: what a careful analyst would question in an export.

Each check names the file, the rows and what was done with them (a warning in the report), or
refuses the input (an error) when using it would give silently wrong results:

- coordinates that do not fit the layer's declared CRS (metres labelled as degrees);
- segments shorter than :data:`MIN_SEGMENT_LENGTH_M` (kept, dropped or merged into their
  neighbour, as the mapping says);
- duplicated break rows (dropped unless the mapping keeps them);
- break dates that are placeholders or before 1900 (kept, never linked to a pipe);
- weather sentinels such as -9999 (treated as missing), impossible values, and gaps (missing
  years, months or stations);
- identifiers written otherwise than the inventory's, and columns in another unit;
- lengths that disagree with the drawn line, diameters partly in inches, placeholder
  dates, breaks recorded twice, weather that does not cover the break record (named).

Modules: ``crs``, ``network`` (pipes), ``breaks``, ``weather``, ``columns`` (ids and units).
"""

from risk.plausibility.breaks import (
    EARLIEST_PLAUSIBLE_BREAK_DATE,
    PLACEHOLDER_DATES,
    drop_duplicate_breaks,
    future_break_dates,
    implausible_break_dates,
    placeholder_dates,
    record_dates,
    warn_breaks_recorded_twice,
    warn_far_from_named_pipe,
    warn_located_off_the_pipes,
)
from risk.plausibility.columns import (
    MIN_MEDIAN_DIAMETER_MM,
    check_length_scale,
    check_length_unit,
    diameter_unit_problem,
    id_format_hint,
    id_format_match,
    length_mismatch,
    length_unit_problem,
    normalised_id,
    warn_inch_diameters,
    warn_length_mismatch,
    written_alike,
)
from risk.plausibility.crs import check_crs_fit, check_layers_meet
from risk.plausibility.network import (
    MIN_SEGMENT_LENGTH_M,
    check_short_segments,
    warn_duplicate_geometries,
    warn_long_pipes,
    warn_material_era,
)
from risk.plausibility.weather import WEATHER_SENTINELS, check_weather, warn_weather_coverage

__all__ = [
    "EARLIEST_PLAUSIBLE_BREAK_DATE",
    "MIN_MEDIAN_DIAMETER_MM",
    "MIN_SEGMENT_LENGTH_M",
    "PLACEHOLDER_DATES",
    "WEATHER_SENTINELS",
    "check_crs_fit",
    "check_layers_meet",
    "check_length_scale",
    "check_length_unit",
    "check_short_segments",
    "check_weather",
    "diameter_unit_problem",
    "drop_duplicate_breaks",
    "future_break_dates",
    "id_format_hint",
    "id_format_match",
    "implausible_break_dates",
    "length_mismatch",
    "length_unit_problem",
    "normalised_id",
    "placeholder_dates",
    "written_alike",
    "record_dates",
    "warn_breaks_recorded_twice",
    "warn_duplicate_geometries",
    "warn_long_pipes",
    "warn_material_era",
    "warn_weather_coverage",
    "warn_far_from_named_pipe",
    "warn_located_off_the_pipes",
    "warn_inch_diameters",
    "warn_length_mismatch",
]
