"""Turn a raw layer into contract columns and types, collecting every problem.

Each function adds problems to a :class:`risk.contract.Findings` instead of
raising, so that a user sees everything to fix in one run.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import numpy as np
import pandas as pd

from risk import clock
from risk.contract import MATERIALS, Findings, counted, shorten
from risk.dates import ISO_OFFSET, format_words, formats_reading
from risk.mapping import SEPARATORS, LayerMapping, alias_key, alias_matched, material_alias

_TRUE = {"true", "yes", "y", "1", "t", "oui", "o", "vrai"}
_FALSE = {"false", "no", "n", "0", "f", "non", "faux"}


def of_total(n: int, total: int, noun: str, verb: str = "are") -> str:
    """ "``n`` of ``total`` <noun> <verb>" with the verb agreeing with ``n`` ("is" / "are",
    "has" / "have"), for messages.

    >>> of_total(1, 10, "breaks"), of_total(3, 10, "pipes", "have")
    ('1 of 10 breaks is', '3 of 10 pipes have')
    """
    singular = {"are": "is", "have": "has"}.get(verb, verb)
    return f"{n:,} of {total:,} {noun} {singular if n == 1 else verb}"


def _rows(table: pd.DataFrame, mask) -> np.ndarray:
    return table.loc[mask, "_row"].to_numpy()


#: Names of the control characters :func:`shown` names (others by their Unicode name).
_CONTROL_NAMES = {"\t": "tab", "\n": "line break", "\r": "carriage return"}


def shown(value) -> str:
    """A value of the user's file for a message: quoted, cut short, with the characters a
    reader cannot see (a no-break space, a tab) shown as spaces and named, not as Python
    escapes (``'1\\xa0234'``).

    >>> print(shown("1\xa0234"), shown("CI"))
    '1 234' (with a no-break space) 'CI'
    """
    text = shorten(value)
    hidden = sorted({c for c in text if c != " " and (c.isspace() or not c.isprintable())})
    for c in hidden:
        text = text.replace(c, " ")
    names = [
        _CONTROL_NAMES.get(c) or unicodedata.name(c, f"U+{ord(c):04X}").lower() for c in hidden
    ]
    return f"'{text}'" + (f" (with a {', a '.join(names)})" if names else "")


def _examples(values: pd.Series, n: int = 3) -> str:
    """A few distinct values for a message, each cut to a short length (:func:`shown`)."""
    return ", ".join(shown(v) for v in pd.unique(values.astype(str))[:n])


def _names(columns, n: int = 30) -> str:
    """Column names for a message: at most ``n``, each cut to a short length."""
    names = [str(c) for c in columns if c != "_row"]
    more = f" and {len(names) - n:,} more" if len(names) > n else ""
    return ", ".join(shorten(c) for c in names[:n]) + more


def separator_hint(columns, layer: str) -> str:
    """When a column name holds a separator (``a;b;c``), how to read the file properly."""
    for sep in SEPARATORS[1:]:
        if any(sep in str(c) for c in columns):
            shown = "\\t" if sep == "\t" else sep
            name = "tab" if sep == "\t" else f"'{sep}'"
            return (
                f'The file seems to use {name} as separator: add separator = "{shown}" '
                f"under [{layer}] in the mapping file, or re-save it with commas"
            )
    return ""


def select_rows(table: pd.DataFrame, layer: str, file: str, lm: LayerMapping, findings: Findings):
    """Apply the mapping's ``keep`` rules (on source columns) and ``drop`` list."""
    for column, allowed in lm.keep.items():
        if column not in table:
            findings.error(
                layer,
                file,
                "mapping",
                f"the mapping's keep rule names column '{shorten(column)}', which is not in "
                f"the file{_did_you_mean(column, table.columns)}",
                f"Fix [{layer}.keep] in the mapping file; columns are: {_names(table.columns)}",
            )
            continue
        kept = table[column].astype(str).isin([str(v) for v in allowed])
        if (~kept).any():
            findings.warn(
                layer,
                file,
                "kept_out",
                f"{int((~kept).sum()):,} rows left out by the mapping rule keep "
                f"{shorten(column)} in {shorten(allowed, 200)} "
                f"(values seen: {_examples(table.loc[~kept, column])})",
            )
        table = table[kept]
    dropped = [c for c in lm.drop if c in table]
    return table.drop(columns=dropped)


def rename_columns(
    table: pd.DataFrame,
    spec: dict[str, tuple[str, bool]],
    layer: str,
    file: str,
    lm: LayerMapping,
    findings: Findings,
) -> pd.DataFrame:
    """Rename mapped and case-variant columns to contract names; check required ones."""
    renames: dict[str, str] = {}
    for contract, source in lm.columns.items():
        if source not in table:
            findings.error(
                layer,
                file,
                "missing_columns",
                f"the mapping says {contract} = '{shorten(source)}', but the file has no "
                f"column '{shorten(source)}'{_did_you_mean(source, table.columns)} "
                f"(columns: {_names(table.columns)})",
                f"Fix [{layer}.columns] in the mapping file",
            )
            continue
        renames[source] = contract
    lower = {str(c).lower(): c for c in table.columns if c not in renames}
    cut = _cut_names(spec) if _is_shapefile(file) else {}
    read_whole = []
    for contract in spec:
        if contract in renames.values() or contract in table.columns:
            continue
        if contract in lower:
            renames[lower[contract]] = contract
        elif cut.get(contract) in lower and lower[cut[contract]] not in renames:
            renames[lower[cut[contract]]] = contract
            read_whole.append(f"{lower[cut[contract]]} as {contract}")
    if read_whole:
        findings.warn(
            layer,
            file,
            "shapefile_names",
            "column names cut to 10 characters by the Shapefile format, read as the names "
            f"they begin: {', '.join(read_whole)}",
            "Nothing to do if this is right; otherwise name the columns in the mapping file "
            f"([{layer}.columns])",
        )
    # A source column renamed onto an existing contract name replaces it.
    clash = [c for c in renames.values() if c in table.columns and c not in renames]
    table = table.drop(columns=clash).rename(columns=renames)
    findings.ignored_columns[layer] = [
        str(c) for c in table.columns if c not in spec and c not in ("_row", "geometry", "x", "y")
    ]
    return table


#: A Shapefile's table (dBase) keeps at most this many characters of a column name.
SHAPEFILE_NAME_CHARS = 10


def _is_shapefile(file) -> bool:
    return str(file).lower().endswith((".shp", ".dbf", ".shp.zip"))


def _cut_names(spec) -> dict[str, str]:
    """The contract names longer than a Shapefile keeps, each with the name it is cut to
    (``install_year``: ``install_ye``), when no other name of ``spec`` is cut to the same.

    >>> _cut_names({"install_year": 0, "diameter_mm": 0, "pipe_id": 0})
    {'install_year': 'install_ye', 'diameter_mm': 'diameter_m'}
    """
    cut = {c: c[:SHAPEFILE_NAME_CHARS] for c in spec if len(c) > SHAPEFILE_NAME_CHARS}
    shared = [n for n in cut.values() if list(cut.values()).count(n) > 1 or n in spec]
    return {c: n for c, n in cut.items() if n not in shared}


def require_columns(
    table: pd.DataFrame, names: list[str], layer: str, file: str, findings: Findings
) -> bool:
    missing = [c for c in names if c not in table]
    if missing:
        fix = separator_hint(table.columns, layer) or (
            f"Rename them in the file, or map your column names in a mapping file: "
            f'[{layer}.columns] {missing[0]} = "YOUR_COLUMN"'
        )
        findings.error(
            layer,
            file,
            "missing_columns",
            f"missing required columns {missing} (the file has: {_names(table.columns)})",
            fix,
        )
        return False
    return True


def _did_you_mean(name, columns) -> str:
    close = difflib.get_close_matches(str(name), [str(c) for c in columns], n=1, cutoff=0.7)
    return f" (did you mean '{shorten(close[0])}'?)" if close else ""


def parse_ids(table: pd.DataFrame, column: str) -> pd.Series:
    """Identifiers as text: ``134292.0`` (an integer read as a float) becomes ``134292``."""
    values = table[column]
    if pd.api.types.is_float_dtype(values):
        whole = values.notna() & (values == np.floor(values))
        text = values.astype(object).where(~whole, values.where(whole).astype("Int64"))
        values = text
    out = values.astype("string").str.strip()
    out = out.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    return out.mask(out == "")


#: A number written with a unit after it (``150 mm``), or ``DN`` or the diameter sign
#: before it (``DN 150``, ``Ø150``, as French plans write a diameter).
_NUMBER_AND_UNIT = (
    r"^(?P<prefix>(?:DN|Ø|⌀)\s*)?(?P<number>[-+]?\d+(?:[.,]\d+)?)\s*(?P<unit>[^\d\s].*)?$"
)


def _without_unit(
    table: pd.DataFrame,
    stripped: pd.Series,
    column: str,
    layer: str,
    file: str,
    findings: Findings,
    symbols,
) -> pd.Series:
    """``stripped`` with the column's own unit taken off the numbers that carry it
    (``150 mm``, ``150mm``, and for millimetres ``DN150`` or ``Ø150``, the diameter), said in a
    warning; a number with another unit (``6 in``) is left as it is, to be refused."""
    if not symbols:
        return stripped
    parts = stripped.str.extract(_NUMBER_AND_UNIT, flags=re.IGNORECASE)
    unit = parts["unit"].str.strip().str.lower().str.replace("³", "3", regex=False)
    own = unit.isin([u.lower() for u in symbols]) | unit.isna()
    dn = parts["prefix"].notna() & ("mm" in symbols)
    carries = parts["number"].notna() & own & (parts["unit"].notna() | dn)
    carries = carries.fillna(False).astype(bool)
    if not carries.any():
        return stripped
    findings.warn(
        layer,
        file,
        "number_with_unit",
        f"column '{column}' writes {int(carries.sum()):,} "
        f"{'value' if int(carries.sum()) == 1 else 'values'} with the unit written (for example "
        f"{_examples(stripped[carries])}): read as numbers of {symbols[0]}",
        "Nothing to do; the numbers alone are what the contract expects",
        rows=_rows(table, carries),
    )
    return stripped.mask(carries, parts["number"])


#: A number with its thousands grouped: ``1,250.5``, ``1.250,5``, ``1 250,5``, ``12'500``.
_GROUPED_NUMBER = (
    r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d{1,3}(?:\.\d{3})+,\d+"
    r"|[-+]?\d{1,3}(?:[ \u00a0\u202f']\d{3})+(?:[.,]\d+)?"
)


def parse_numbers(
    table: pd.DataFrame,
    column: str,
    layer: str,
    file: str,
    findings: Findings,
    *,
    unit: str = "",
    symbols: tuple[str, ...] = (),
) -> pd.Series:
    """Numbers of ``column``: a decimal comma is read, a cell that says the value is not
    known is empty (:func:`says_unknown`), a thousands separator beside decimal points is
    refused, and a value carrying the column's unit (one of ``symbols``, e.g.
    ``("mm",)``) is read without it; anything else that is not a number is refused naming
    the rows."""
    raw = table[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64")
    stripped = raw.astype("string").str.strip()
    stripped = stripped.mask(says_unknown(stripped))  # NR, inconnu, n/a: not known
    stripped = _without_unit(table, stripped, column, layer, file, findings, symbols)
    dot = stripped.str.contains(r"\d\.\d", regex=True).fillna(False)
    comma = stripped.str.contains(r"\d,\d", regex=True).fillna(False)
    if dot.any() and comma.any() and not (dot & comma).any():
        # '97.05' beside '1,234': the comma cannot be the decimal mark of this column
        findings.error(
            layer,
            file,
            "mixed_decimal_marks",
            f"column '{column}' writes numbers with a decimal point and with a comma (for "
            f"example {_examples(raw[dot])} and {_examples(raw[comma])}): a comma beside "
            "decimal points is a thousands separator, and reading it as a decimal mark would "
            "make 1,234 into 1.234",
            "Export the numbers without thousands separators (one decimal mark throughout)",
            rows=_rows(table, comma),
        )
        return pd.Series(np.nan, index=raw.index, dtype="float64")
    text = stripped.str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = numbers.isna() & text.notna() & (text != "")
    grouped = bad & stripped.str.fullmatch(_GROUPED_NUMBER).fillna(False).astype(bool)
    if grouped.any():
        findings.error(
            layer,
            file,
            "thousands_separator",
            f"column '{column}' writes {int(grouped.sum()):,} "
            f"{'number' if int(grouped.sum()) == 1 else 'numbers'} with a thousands separator "
            f"(for example {_examples(raw[grouped])}): which mark is the decimal one is not "
            "guessed",
            "Export the numbers without thousands separators (1250.5, or 1250,5), one decimal "
            "mark throughout",
            rows=_rows(table, grouped),
        )
        bad = bad & ~grouped
    if bad.any():
        other = stripped[bad].str.extract(_NUMBER_AND_UNIT, flags=re.IGNORECASE)["unit"].dropna()
        fix = (
            f"Write the numbers alone, in {symbols[0]}: convert the values given in "
            f"{', '.join(repr(u) for u in sorted(set(other.str.strip()))[:3])}"
            if symbols and len(other)
            else "Correct or empty those cells"
        )
        findings.error(
            layer,
            file,
            "wrong_type",
            f"column '{column}' must hold numbers{unit}; {int(bad.sum()):,} values are not "
            f"numbers (for example {_examples(raw[bad])})",
            fix,
            rows=_rows(table, bad),
        )
    return numbers


def parse_dates(
    table: pd.DataFrame,
    column: str,
    layer: str,
    file: str,
    lm: LayerMapping,
    findings: Findings,
) -> pd.Series:
    """Dates as datetime64 (day precision); unparseable text is an error naming the rows."""
    raw = table[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        out = pd.to_datetime(raw)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        return out.dt.floor("D").astype("datetime64[ns]")
    text = raw.astype("string").str.strip()
    text = text.mask(text == "")
    fmt = lm.date_format or "ISO8601"
    if not lm.date_format:
        # 2015-02-03T00:30:00+01:00 is 3 February where it happened: the local date and time
        # as written, its offset dropped (offsets differ in summer and winter)
        text = text.str.replace(ISO_OFFSET, r"\1", regex=True)
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    bad = parsed.isna() & text.notna()
    if bad.any():
        hint = (
            f"Dates must match the mapping's date_format '{lm.date_format}'"
            if lm.date_format
            else "Use ISO dates (2017-12-01), or give the format under "
            f'[{layer}] in the mapping file, e.g. date_format = "%d/%m/%Y" '
            'or "%m/%d/%Y %I:%M:%S %p"'
        )
        better = date_hint(text[bad], layer, set_to=bool(lm.date_format))
        if better and lm.date_format:
            better = f"They do not match the mapping's date_format '{lm.date_format}'. {better}"
        hint = better or hint
        read = parsed.notna()
        iso = ("%Y-%m-%d",)
        other = formats_reading(text[bad], iso if lm.date_format else ())
        if read.any() and other and not formats_reading(text.dropna(), iso):
            # some rows ISO, others DD/MM/YYYY: no one date_format reads the column
            first = f"the date_format '{lm.date_format}'" if lm.date_format else "year-month-day"
            second = format_words(other[0]) if len(other) == 1 else "another"
            hint = (
                f"The column mixes date formats: {counted(int(read.sum()), 'date reads', 'dates read')} as "
                f"{first} (for example {_examples(raw[read])}) and "
                f"{'this one' if int(bad.sum()) == 1 else 'these'} as {second}: one date_format cannot read both. Export every date in one format "
                "(yyyy-mm-dd is the safest) and load the folder again"
            )
        findings.error(
            layer,
            file,
            "wrong_type",
            f"column '{column}' must hold dates; {int(bad.sum()):,} values could not be read "
            f"(for example {_examples(raw[bad])})",
            hint,
            rows=_rows(table, bad),
        )
    if not lm.date_format and layer != "weather":  # monthly weather is written 2012-05
        _note_partial_dates(table, text, parsed, column, layer, file, findings)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed.dt.floor("D").astype("datetime64[ns]")


def _note_partial_dates(table, text, parsed, column, layer, file, findings) -> None:
    """Dates written as a year alone (2012) or a month (2012-05) read as its first day, said:
    a failure of "2012" is not one of 1 January (its season, its weather are unknown)."""
    for pattern, what, first in (
        (r"\d{4}", "a year alone", "1 January of that year"),
        (r"\d{4}-\d{1,2}", "a year and month only", "the first day of that month"),
    ):
        partial = text.str.fullmatch(pattern).fillna(False) & parsed.notna()
        if partial.any():
            findings.warn(
                layer,
                file,
                "partial_dates",
                f"column '{column}': {of_total(int(partial.sum()), int(parsed.notna().sum()), 'dates')} "
                f"written as {what} (for example {_examples(text[partial])}): read as {first}",
                "Their count per year is right; their season is not known. If another column "
                "holds the full date, map it instead",
                rows=_rows(table, partial),
            )  # fmt: skip


def date_hint(text: pd.Series, layer: str, *, set_to: bool = False) -> str:
    """The fix for dates that did not parse, when they say what they are: spreadsheet day
    numbers, or one common format that reads them all; else ''. ``set_to``: the mapping
    gives a date_format already (the fix changes it).

    >>> date_hint(pd.Series(["36531", "43831"]), "breaks")[:62]
    'They look like spreadsheet day numbers (36531 is 2000-01-06): '
    >>> date_hint(pd.Series(["25/03/2000", "06/01/2000"]), "breaks")
    'They read as day/month/year: add date_format = "%d/%m/%Y" under [breaks] in the mapping file'
    >>> date_hint(pd.Series(["03/04/2000"]), "breaks")[:70]
    'Give date_format = "%d/%m/%Y" (day/month/year) or "%m/%d/%Y" (month/da'
    """
    number = pd.to_numeric(text, errors="coerce")
    if number.notna().all() and number.between(1, 80_000).all() and (number % 1 == 0).all():
        first = int(number.iloc[0])
        day = (pd.Timestamp("1899-12-30") + pd.Timedelta(days=first)).date()
        return (
            f"They look like spreadsheet day numbers ({first} is {day}): format the column as "
            "dates (yyyy-mm-dd) in the spreadsheet before exporting"
        )
    fits = formats_reading(text)
    if len(fits) == 1:
        return (
            f"They read as {format_words(fits[0])}: {'set' if set_to else 'add'} "
            f'date_format = "{fits[0]}" under [{layer}] in the mapping file'
        )
    if fits:  # 03/04/2000: the 3rd of April or the 4th of March; the utility knows
        options = " or ".join(f'"{f}" ({format_words(f)})' for f in fits)
        return f"Give date_format = {options} under [{layer}] in the mapping file"
    return ""


#: Cell values that mean "no value", read as empty (case aside).
MISSING_MARKERS = ("n/a", "na", "#n/a", "null", "none", "nan", "-")


def says_unknown(text: pd.Series) -> pd.Series:
    """True where a cell says its value is not known, read as empty in number and year
    columns: :data:`MISSING_MARKERS`, or a word the material codes read as unknown
    (``inconnu``, ``NR``, ``non renseigné``, ``?``: :data:`risk.contract.MATERIAL_ALIASES`),
    case, accents and spaces aside. One list for every column.

    >>> says_unknown(pd.Series(["NR", "Non renseigné", "?", "n/a", "150", None])).tolist()
    [True, True, True, True, False, False]
    """
    from risk.contract import MATERIAL_ALIASES

    words = {key for key, code in MATERIAL_ALIASES.items() if code == "unknown"}
    text = text.astype("string").str.strip()
    said = [  # once per distinct value: a million pipes write a few
        v
        for v in pd.unique(text.dropna().to_numpy(dtype=object))
        if v.lower() in MISSING_MARKERS or alias_key(v) in words
    ]
    return text.isin(said).fillna(False).astype(bool)


def parse_years(
    table: pd.DataFrame, column: str, layer: str, file: str, lm: LayerMapping, findings: Findings
) -> pd.Series:
    """A year column may hold years (1937, 1937.0) or dates; the year is kept (Int64).

    Empty cells and cells that say the value is not known (:func:`says_unknown`: ``N/A``,
    ``NR``, ``inconnu``) are missing; so are placeholder
    dates (1899-12-30, 1970-01-01: :func:`risk.plausibility.placeholder_dates`), named."""
    raw = table[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        dates = _without_placeholders(raw, table, column, layer, file, findings)
        return dates.dt.year.astype("Int64")
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        number = raw.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isnan(number) | (np.isfinite(number) & (number == np.floor(number)))
        if whole.all():  # years already: nothing to parse (else the checks below report)
            years = pd.Series(number, index=raw.index).astype("Int64")
            return _without_placeholder_years(years, table, column, layer, file, findings)
    text = raw.astype("string").str.strip()
    text = text.mask((text == "") | says_unknown(text))
    as_number = pd.to_numeric(text, errors="coerce")
    is_year = as_number.notna() & (as_number == np.floor(as_number.fillna(0)))
    years = as_number.where(is_year).astype("Int64")
    rest = text.notna() & ~is_year
    if rest.any():
        sub = table.loc[rest, [column, "_row"]]
        dates = parse_dates(sub, column, layer, file, lm, findings)
        dates = _without_placeholders(dates, sub, column, layer, file, findings)
        years = years.copy()
        years.loc[rest] = dates.dt.year.astype("Int64")
        return years
    return _without_placeholder_years(years, table, column, layer, file, findings)


def _without_placeholder_years(
    years: pd.Series, table, column, layer, file, findings: Findings
) -> pd.Series:
    """``years`` with a year written for an unknown one set missing, and named: 1900 or 1970
    far more common than the years around (the rule of the same dates,
    :func:`risk.plausibility.placeholder_dates`, on years written alone)."""
    from risk.plausibility import placeholder_dates

    known = years.notna()
    if not known.any():
        return years
    dates = pd.to_datetime(
        {"year": years.fillna(2000), "month": 1, "day": 1}, errors="coerce"
    ).where(known.to_numpy())
    hit = (placeholder_dates(pd.Series(dates, index=years.index)) & known).to_numpy()
    if not hit.any():
        return years
    counts = years[hit].value_counts()
    listed = ", ".join(f"{int(y)} on {counted(int(n), 'row', 'rows')}" for y, n in counts.items())
    findings.warn(
        layer,
        file,
        "placeholder_year",
        f"'{column}' holds {listed}, far more than the years around it: a year written for an "
        "unknown one; treated as missing (the model then knows these pipes' age is unknown)",
        "Empty those cells at the source, or give the real years",
        rows=_rows(table, hit),
    )
    return years.mask(hit)


def _without_placeholders(dates, table, column, layer, file, findings: Findings) -> pd.Series:
    """``dates`` with the placeholders of an empty date set missing, and named."""
    from risk.plausibility import placeholder_dates

    hit = placeholder_dates(dates).to_numpy()
    if not hit.any():
        return dates
    counts = dates[hit].dt.strftime("%Y-%m-%d").value_counts()
    listed = ", ".join(f"{day} on {n:,} {'row' if n == 1 else 'rows'}" for day, n in counts.items())
    years = sorted({int(day[:4]) for day in counts.index})
    n = int(hit.sum())
    findings.warn(
        layer,
        file,
        "placeholder_date",
        f"{n:,} {'value' if n == 1 else 'values'} of '{column}' "
        f"{'is a date' if n == 1 else 'are dates'} that spreadsheets and databases write for "
        f"an empty date ({listed}); they are treated as missing, not read as "
        f"{' and '.join(str(y) for y in years)}",
        "Empty those cells at the source, or give the real dates",
        rows=_rows(table, hit),
    )
    return dates.mask(hit)


def parse_bools(
    table: pd.DataFrame, column: str, layer: str, file: str, lm: LayerMapping, findings: Findings
) -> pd.Series:
    raw = table[column]
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("boolean")
    custom = {str(k).strip().lower(): bool(v) for k, v in lm.values.get(column, {}).items()}
    text = raw.astype("string").str.strip().str.lower()
    text = text.str.replace(r"\.0$", "", regex=True)
    out = pd.Series(pd.NA, index=table.index, dtype="boolean")
    out[text.isin(list(_TRUE))] = True
    out[text.isin(list(_FALSE))] = False
    for code, value in custom.items():
        out[text == code] = value
    bad = out.isna() & text.notna() & (text != "")
    if bad.any():
        findings.error(
            layer,
            file,
            "wrong_type",
            f"column '{column}' must hold yes/no values; {int(bad.sum()):,} values are not "
            f"recognised (for example {_examples(raw[bad])})",
            f"Use true/false, yes/no, 1/0, oui/non, or map your codes under "
            f"[{layer}.values.{column}] in the mapping file",
            rows=_rows(table, bad),
        )
    return out


def parse_text(table: pd.DataFrame, column: str, lm: LayerMapping) -> pd.Series:
    """Text with the mapping's value translations applied: exact codes first, then codes
    written otherwise (case, spaces, dashes: the mapping's ``AC`` for the file's ``ac``),
    then as-is."""
    text = table[column].astype("string").str.strip()
    text = text.mask(text == "")
    codes = {str(k): str(v) for k, v in lm.values.get(column, {}).items()}
    if codes:
        loose = {alias_key(k): v for k, v in codes.items()}
        for value in pd.unique(text.dropna()):
            if value not in codes and alias_key(value) in loose:
                codes[value] = loose[alias_key(value)]
        text = text.replace(codes)
    return text


#: Material codes that mean different materials in different exports: the built-in reading,
#: and the other one to map when it is meant.
AMBIGUOUS_MATERIAL_CODES = {
    "AC": ("asbestos cement", "acier (steel) in French exports", "steel"),
    # "fonte" alone is iron of either kind: grey cast iron until the 1960s, ductile since
    "FONTE": (
        "grey cast iron",
        "ductile iron (fonte ductile), laid in France since the 1960s",
        "ductile_iron",
    ),
}


def canonical_materials(
    table: pd.DataFrame, layer: str, file: str, lm: LayerMapping, findings: Findings
) -> pd.Series:
    """Map material codes to :data:`risk.contract.MATERIALS`; others become ``unknown``."""
    raw = parse_text(table, "material", lm)
    # codes the mapping translated are its targets now; an ambiguous code left is unmapped
    mapped = {str(v) for v in lm.values.get("material", {}).values()}
    lookup: dict[str, str] = {}
    for code in pd.unique(raw.dropna()):
        if code in MATERIALS:
            lookup[code] = code
        elif code.lower() in MATERIALS:
            lookup[code] = code.lower()
        else:
            lookup[code] = material_alias(code) or ""
    matched = {c: alias_matched(c) for c in lookup}
    ambiguous = {c: key for c, key in matched.items() if key in AMBIGUOUS_MATERIAL_CODES}
    for code, key in ambiguous.items():
        if code in mapped:
            continue
        read_as, other, canonical = AMBIGUOUS_MATERIAL_CODES[key]
        rows = raw == code
        findings.warn(
            layer,
            file,
            "ambiguous_material_code",
            f"{counted(int(rows.sum()), 'pipe has', 'pipes have')} the material code '{code}', "
            f"read as {read_as}; "
            f"it also means {other}",
            f"If '{code}' means the other, map it under [{layer}.values.material]: "
            f'{code} = "{canonical}"',
            rows=_rows(table, rows.fillna(False)),
        )
    out = raw.map(lookup).astype("string")
    unknown = out.isna() | (out == "")
    out = out.mask(unknown, "unknown")
    unmapped = unknown & raw.notna()
    if unmapped.any():
        counts = raw[unmapped].value_counts()
        listed = ", ".join(f"'{shorten(k)}' ({v:,})" for k, v in counts.head(10).items())
        findings.warn(
            layer,
            file,
            "unknown_material",
            f"{counted(int(unmapped.sum()), 'pipe has a material code', 'pipes have material codes')}"
            f" that {'is' if unmapped.sum() == 1 else 'are'} not recognised and became "
            f"'unknown': {listed}",
            f"Map them under [{layer}.values.material] in the mapping file "
            f"(canonical: {', '.join(MATERIALS)})",
            rows=_rows(table, unmapped),
        )
    if raw.isna().any():
        findings.warn(
            layer,
            file,
            "missing_values",
            f"{counted(int(raw.isna().sum()), 'pipe has', 'pipes have')} no material ('unknown')",
            rows=_rows(table, raw.isna()),
        )
    return out


def check_year_range(
    years: pd.Series,
    table: pd.DataFrame,
    column: str,
    layer: str,
    file: str,
    findings: Findings,
    *,
    earliest: int,
) -> pd.Series:
    """Years before ``earliest`` or after this year are warned about and set missing; when
    they are most of the column's years, refused (two-digit years or spreadsheet day numbers
    throughout: the model would learn without any age, and the column was loaded so)."""
    this_year = clock.today().year
    bad = years.notna() & ((years < earliest) | (years > this_year))
    if bad.any() and bad.sum() > 0.5 * years.notna().sum():
        findings.error(
            layer,
            file,
            "implausible_year",
            f"{of_total(int(bad.sum()), int(years.notna().sum()), f'values of {column!r}')} "
            f"before {earliest} or in the future (for example {_examples(years[bad])}): the "
            "column is not in years as written",
            _year_fix(years[bad], layer),
            rows=_rows(table, bad),
        )
    elif bad.any():
        findings.warn(
            layer,
            file,
            "implausible_year",
            f"{counted(int(bad.sum()), f'value of {column!r} is', f'values of {column!r} are')} "
            f"before {earliest} or in the future "
            f"(for example {_examples(years[bad])}); they are treated as missing",
            _year_fix(years[bad], layer),
            rows=_rows(table, bad),
        )
    return years.mask(bad)


def _year_fix(bad: pd.Series, layer: str) -> str:
    """How to fix implausible years, by what most of them look like: years written with
    two digits, or spreadsheet day numbers (five digits: 43983 is 2020-06-01)."""
    if bad.between(0, 99).mean() > 0.5:
        return (
            "They look like years written with two digits (62 for 1962?): write the years "
            "in full at the source"
        )
    five_digits = bad[bad.between(10_000, 99_999)]
    if len(five_digits) > len(bad) / 2:
        return date_hint(five_digits.astype(str), layer) or "Correct them at the source"
    return "Correct them at the source"
