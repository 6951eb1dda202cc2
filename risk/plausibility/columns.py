"""Identifiers written otherwise than the inventory's, and columns in another unit than the
contract's (diameters, lengths)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.contract import Findings


def normalised_id(ids: pd.Series) -> pd.Series:
    """Identifiers compared loosely: upper case, no spaces or punctuation, no zeros in front
    of a number (``P-0012`` and ``P-12``, ``007`` and ``7``), and a number read as a decimal
    ('502.0') as the whole number it was.

    >>> normalised_id(pd.Series(["p-0012 ", "502.0", "12", "A1.5", "P-12", "0", "R-100"])).tolist()
    ['P12', '502', '12', 'A15', 'P12', '0', 'R100']
    """
    text = ids.astype("string").str.strip().str.replace(r"^(\d+)[.,]0+$", r"\1", regex=True)
    text = text.str.replace(r"(?<![0-9])0+(?=[0-9])", "", regex=True)  # before punctuation goes
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
    match = id_format_match(reported, pipe_ids)
    if match is None:
        return ""
    n, first, known = match
    return (
        f"; {n:,} of them match a {what} once written alike (for example "
        f"'{first}' and '{known}': case, spaces, punctuation or leading zeros "
        "differ, as when a spreadsheet turns ids into numbers)"
    )


def id_format_match(reported: pd.Series, pipe_ids: pd.Series) -> tuple[int, str, str] | None:
    """How many unmatched ``reported`` ids match one of ``pipe_ids`` once written alike, and
    a first pair (as reported, as known); None when none does."""
    reported = reported.dropna()
    if reported.empty:
        return None
    matched = written_alike(reported, pipe_ids)
    hits = matched.notna()
    if not hits.any():
        return None
    return int(hits.sum()), str(reported[hits].iloc[0]), str(matched[hits].iloc[0])


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


#: A pipe whose ``length_m`` is more than this many times, or less than its inverse, its
#: drawn length is named (when the column as a whole is in metres) ...
LENGTH_MISMATCH_FACTOR = 2.0
#: ... provided the two differ by more than this (metres): a stub drawn 3 m long and stated
#: 7 m, or lengths rounded to the metre, are no error worth naming.
LENGTH_MISMATCH_MIN_M = 20.0


def length_mismatch(length_m: pd.Series, drawn_m: pd.Series) -> pd.Series:
    """True where the stated length and the drawn length (metres) disagree: one more than
    :data:`LENGTH_MISMATCH_FACTOR` times the other, and more than
    :data:`LENGTH_MISMATCH_MIN_M` apart.

    A stated 0 counts (0 m stated for a 79 m line is a placeholder, not a stub).

    >>> length_mismatch(pd.Series([1000.0, 30.0, 100.0, 40.0, 0.0, 0.0]),
    ...                 pd.Series([100.0, 10.0, 110.0, 0.0, 79.0, 3.0])).tolist()
    [True, False, False, False, True, False]
    """
    stated = pd.to_numeric(length_m, errors="coerce")
    drawn = pd.to_numeric(drawn_m, errors="coerce")
    both = (stated >= 0) & (drawn > 0)
    ratio = stated / drawn.where(both)
    off = (ratio > LENGTH_MISMATCH_FACTOR) | (ratio < 1 / LENGTH_MISMATCH_FACTOR)
    far = (stated - drawn).abs() > LENGTH_MISMATCH_MIN_M
    return (both & off & far).fillna(False).astype(bool)


def warn_length_mismatch(pipes: pd.DataFrame, drawn_m: pd.Series, file: str, findings: Findings):
    """Name the pipes whose ``length_m`` disagrees with their drawn line (:func:`length_mismatch`),
    when the column as a whole is in metres (else :func:`check_length_unit` refuses it). They
    are kept as stated: the model reads failures per km of the stated length."""
    if length_unit_problem(pipes["length_m"], drawn_m):
        return
    off = length_mismatch(pipes["length_m"], drawn_m).to_numpy()
    if not off.any():
        return
    stated = pipes.loc[off, "length_m"].astype(float)
    drawn = drawn_m[off].astype(float)
    examples = "; ".join(
        f"{pid}: {s:,.0f} m stated, {d:,.0f} m drawn"
        for pid, s, d in zip(pipes.loc[off, "pipe_id"].head(3), stated, drawn, strict=False)
    )
    n = int(off.sum())
    findings.warn(
        "pipes",
        file,
        "length_differs_from_line",
        f"{n:,} of {len(pipes):,} {'pipe has' if n == 1 else 'pipes have'} a length_m more "
        f"than {LENGTH_MISMATCH_FACTOR:g} times, or less than 1/{LENGTH_MISMATCH_FACTOR:g} of, "
        f"the length of {'its' if n == 1 else 'their'} drawn line (and over "
        f"{LENGTH_MISMATCH_MIN_M:g} m apart; for example {examples}): together "
        f"{stated.sum() / 1000:,.1f} km stated against {drawn.sum() / 1000:,.1f} km drawn. "
        "A typo, a unit slip on some rows, or a line drawn short? Kept as stated",
        "Correct length_m at the source, or leave length_m out of [pipes.columns] in the "
        "mapping file so that every length is measured on the drawn line",
        rows=pipes.loc[off, "_row"],
    )


#: The median of stated over drawn lengths, beyond which the whole column is off: named
#: past 5 %, refused past 25 % (a column measured in Web Mercator is 1 / cos(latitude) too
#: long: 41 % at 45°; lengths rounded or measured along the ground stay within a few %).
LENGTH_SCALE_WARN, LENGTH_SCALE_REFUSE = 0.05, 0.25


def check_length_scale(length_m, drawn_m, file: str, findings: Findings) -> None:
    """The ``length_m`` column against the drawn lengths as a whole: when the median of
    their ratios is off by more than :data:`LENGTH_SCALE_WARN` it is named, by more than
    :data:`LENGTH_SCALE_REFUSE` refused (every per-km figure would be off by as much).
    Columns not in metres at all are :func:`check_length_unit`'s.

    >>> findings = Findings()
    >>> check_length_scale(pd.Series([148.0, 296.0, 74.0]), pd.Series([100.0, 200.0, 50.0]),
    ...                    "pipes.csv", findings)
    >>> findings.errors[0].message[:66]
    'length_m is 1.48 times the length of the drawn lines (median of 3 '
    """
    if length_unit_problem(length_m, drawn_m):
        return
    stated = pd.to_numeric(length_m, errors="coerce")
    drawn = pd.to_numeric(drawn_m, errors="coerce")
    both = (stated > 1) & (drawn > 1)
    if int(both.sum()) < 3:
        return
    ratio = float((stated[both] / drawn[both]).median())
    off = abs(ratio - 1)
    if off <= LENGTH_SCALE_WARN:
        return
    message = (
        f"length_m is {ratio:.2f} times the length of the drawn lines (median of "
        f"{int(both.sum()):,} pipes): the lengths were measured in another coordinate system "
        "(Web Mercator, EPSG:3857, makes them 1 / cos(latitude) too long) or another unit"
    )
    fix = (
        "Leave length_m out of [pipes.columns] in the mapping file so that every length is "
        "measured on the drawn line, or export length_m measured in the utility's own "
        "projected CRS"
    )
    if off > LENGTH_SCALE_REFUSE:
        findings.error("pipes", file, "length_scale", message, fix)
    else:
        findings.warn("pipes", file, "length_scale", message + ". Kept as stated", fix)


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


#: A diameter under this, in a column otherwise in millimetres, is no water main: an inch
#: size (2, 4, 6, 8, 12) among millimetres, or a service line.
SMALLEST_MAIN_MM = 25.0


def warn_inch_diameters(
    pipes: pd.DataFrame, diameter: pd.Series, file: str, findings: Findings, *, low_mm: float
) -> np.ndarray:
    """Name the diameters under :data:`SMALLEST_MAIN_MM` in a column otherwise in
    millimetres (a column in inches throughout is refused by :func:`diameter_unit_problem`);
    return where they are. Those under ``low_mm`` become missing, the others are kept."""
    median = _positive_median(diameter)
    if median is None or diameter_unit_problem(diameter):
        return np.zeros(len(diameter), dtype=bool)
    small = ((diameter > 0) & (diameter < SMALLEST_MAIN_MM)).fillna(False).to_numpy(bool)
    if not small.any():
        return small
    examples = ", ".join(
        f"{pid}: {value:g}"
        for pid, value in zip(
            pipes.loc[small, "pipe_id"].head(3), diameter[small].head(3), strict=False
        )
    )
    first = float(diameter[small].iloc[0])
    n = int(small.sum())
    under = int((diameter[small] < low_mm).sum())
    fate = (
        "they are treated as missing"
        if under == n
        else "they are kept as given"
        if not under
        else f"those under {low_mm:g} mm are treated as missing, the others kept as given"
    )
    findings.warn(
        "pipes",
        file,
        "diameter_in_inches",
        f"{n:,} of {len(diameter):,} {'pipe has' if n == 1 else 'pipes have'} a diameter_mm "
        f"under {SMALLEST_MAIN_MM:g} mm, too small for a water main, in a column otherwise in "
        f"millimetres (median {median:g} mm; for example {examples}): inches ({first:g} in is "
        f"{first * 25.4:,.0f} mm)? {fate[0].upper()}{fate[1:]}",
        "Convert them to millimetres at the source (inches x 25.4); a service line does not "
        "belong in the mains inventory",
        rows=pipes.loc[small, "_row"],
    )
    return small


def _positive_median(values: pd.Series, least: int = 5) -> float | None:
    """The median of the positive values, None with fewer than ``least`` of them (too few to
    judge a unit by)."""
    values = pd.to_numeric(values, errors="coerce").dropna()
    values = values[values > 0]
    return float(values.median()) if len(values) >= least else None
