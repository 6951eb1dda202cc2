"""Identifiers written otherwise than the inventory's, and columns in another unit than the
contract's (diameters, lengths)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.contract import Findings


def normalised_id(ids: pd.Series) -> pd.Series:
    """Identifiers compared loosely: upper case, no spaces or punctuation, no leading zeros,
    and a number read as a decimal ('502.0') as the whole number it was.

    >>> normalised_id(pd.Series(["p-0012 ", "502.0", "12", "A1.5"])).tolist()
    ['P0012', '502', '12', 'A15']
    """
    text = ids.astype("string").str.strip().str.replace(r"^(\d+)[.,]0+$", r"\1", regex=True)
    text = text.str.upper().str.replace(r"[^0-9A-Z]", "", regex=True)
    return text.str.replace(r"^0+(?=.)", "", regex=True)


#: ``link_method`` of a record linked by its pipe_id (:func:`risk.link.link_to_pipes`): as
#: the inventory writes it, or written otherwise but naming exactly one pipe.
BY_ID_METHODS = ("pipe_id", "pipe_id_written_otherwise")


def written_alike(reported: pd.Series, known: pd.Series) -> pd.Series:
    """The id of ``known`` each ``reported`` id names once both are written alike
    (:func:`normalised_id`), where exactly one known id is written so; missing elsewhere.

    >>> written_alike(pd.Series(["p 0001", "P-0002", "X9"]), pd.Series(["P-0001", "P0002", "P-0002"])).tolist()
    ['P-0001', <NA>, <NA>]
    """
    known = known.dropna().astype("string")
    keys = normalised_id(known)
    unique = ~keys.duplicated(keep=False)
    lookup = dict(zip(keys[unique], known[unique], strict=True))
    return normalised_id(reported).map(lookup).astype("string")


def id_format_hint(reported: pd.Series, pipe_ids: pd.Series, what: str = "pipe_id") -> str:
    """A sentence when unmatched ids would match the known ones (``what``: pipe_id by
    default) once written alike, else ''."""
    reported = reported.dropna()
    if reported.empty:
        return ""
    matched = written_alike(reported, pipe_ids)
    hits = matched.notna()
    if not hits.any():
        return ""
    first = reported[hits].iloc[0]
    return (
        f"; {int(hits.sum()):,} of them match a {what} once written alike (for example "
        f"'{first}' and '{matched[hits].iloc[0]}': case, spaces, punctuation or leading zeros "
        "differ, as when a spreadsheet turns ids into numbers)"
    )


#: A median pipe diameter below this (in the file's unit) means the file is not in mm.
MIN_MEDIAN_DIAMETER_MM = 30.0


#: Ratios of a length column to the geometry's length (metres) that mean another unit.
_LENGTH_UNITS = (("kilometres", 1 / 1000), ("feet", 1 / 0.3048), ("millimetres", 1000.0))


def length_unit_problem(length_m: pd.Series, geometry_length_m: pd.Series | None = None) -> str:
    """A sentence when ``length_m`` looks like kilometres, feet or millimetres, else ''.

    With the geometry's lengths (in metres), by the median ratio of the column to them;
    without, by the median length alone (a network whose median segment is under 1 m is
    in kilometres, over 20 km in millimetres).

    >>> geometry = pd.Series([120.0, 80.0, 45.0, 300.0, 60.0])
    >>> length_unit_problem(geometry / 1000, geometry)
    "the lengths are about 1/1,000 of the pipes' drawn lengths: the column seems to be in kilometres"
    >>> length_unit_problem(geometry * 1.01, geometry), length_unit_problem(geometry / 1000)[:28]
    ('', 'the median length is 0.08 m:')
    """
    values = pd.to_numeric(length_m, errors="coerce")
    if geometry_length_m is not None:
        drawn = pd.to_numeric(geometry_length_m, errors="coerce")
        both = (values > 0) & (drawn > 1.0)
        if both.sum() >= 5:
            ratio = float((values[both] / drawn[both]).median())
            for unit, expected in _LENGTH_UNITS:
                if abs(np.log(ratio / expected)) < np.log(1.25):
                    share = f"1/{1 / ratio:,.0f}" if ratio < 1 else f"{ratio:,.3g} times"
                    return (
                        f"the lengths are about {share} of the pipes' drawn lengths: the "
                        f"column seems to be in {unit}"
                    )
            return ""
    median = _positive_median(values)
    if median is None:
        return ""
    if median < 1.0:
        return f"the median length is {median:g} m: the column seems to be in kilometres"
    if median > 20_000:
        return f"the median length is {median:,.0f} m: the column seems to be in millimetres"
    return ""


def check_length_unit(length_m, drawn_m, file: str, findings: Findings) -> None:
    """An error when the ``length_m`` column is not in metres (compared with the drawn
    lengths ``drawn_m`` when the pipes have geometry)."""
    problem = length_unit_problem(length_m, drawn_m)
    if problem:
        findings.error(
            "pipes",
            file,
            "wrong_unit",
            f"length_m must be in metres, but {problem}",
            "Convert the column to metres at the source (kilometres x 1000, feet x 0.3048)"
            + (
                ", or leave length_m out of the mapping so that lengths come from the geometry"
                if drawn_m is not None
                else ""
            ),
        )


def diameter_unit_problem(diameter: pd.Series) -> str:
    """A sentence when the diameters look like inches or metres, else ''."""
    median = _positive_median(diameter)
    if median is None:
        return ""
    if median < 1.5:
        return f"the median diameter is {median:g}: the column seems to be in metres"
    if median < MIN_MEDIAN_DIAMETER_MM:
        return f"the median diameter is {median:g}: the column seems to be in inches"
    return ""


def _positive_median(values: pd.Series, least: int = 5) -> float | None:
    """The median of the positive values, None with fewer than ``least`` of them (too few to
    judge a unit by)."""
    values = pd.to_numeric(values, errors="coerce").dropna()
    values = values[values > 0]
    return float(values.median()) if len(values) >= least else None
