"""One pipe for an engineer, in plain words: the card of the risk map, search and ranked list.

>>> card = pipe_card(table, data, "P015620", lang="fr", outcomes=store.outcomes())  # doctest: +SKIP
>>> card["reasons"]  # doctest: +SKIP
['fonte grise, 95 ans (conduites de ce matériau et de cet âge : 6,05 casses par km attendues)', ...]

Everything a person reads comes out in their language (:mod:`risk.i18n`): materials, results
and leak kinds as words (never ``cast_iron``), dates without a time, numbers in the
language's format, "–" for what is unknown (never "None"). The reasons that ``risk score``
writes in English (:mod:`risk.explain`) are read back phrase by phrase and written again in
the reader's language, with the data's column names (``soil_resistivite_ohm_m``) as words.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from risk.consequence.words import risk_words
from risk.features import clean_name, soil_property_columns, weather_role
from risk.i18n import (
    and_list,
    format_date,
    format_number,
    format_percent,
    format_quantity,
    has,
    label,
    plural,
    t,
)
from risk.store.corrections import corrected_by

#: Text columns of an inventory a person may search by, besides the pipe id (the first
#: ones found are searched; an inventory without any is searched by id only).
SEARCH_COLUMNS = (
    "street", "street_name", "road", "address", "location", "rue", "voie", "adresse",
    "district", "quartier", "commune", "pressure_zone",
)  # fmt: skip
#: Most rows of the ranked list (and of search results) shown at once.
RANKED_ROWS = 200


# -- small helpers ---------------------------------------------------------------------------


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _number(value, lang: str, decimals: int = 0) -> str:
    return "–" if _missing(value) else format_number(float(value), lang, decimals=decimals)


def _text_number(text: str, lang: str) -> str:
    """A number as :mod:`risk.explain` wrote it ("1,234.5") in ``lang``'s format."""
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return text
    decimals = len(text.split(".")[1]) if "." in text else 0
    return format_number(value, lang, decimals=decimals)


def _date(value, lang: str) -> str:
    if _missing(value):
        return "–"
    return format_date(pd.Timestamp(value).date(), lang)


#: Units a column name may end with (as lower-case words split at "_"), as written.
_UNITS = (
    (("ohm", "cm"), "Ω·cm"), (("ohm", "m"), "Ω·m"), (("us", "cm"), "µS/cm"),
    (("mg", "l"), "mg/l"), (("m3",), "m³"), (("mm",), "mm"), (("cm",), "cm"), (("km",), "km"),
    (("m",), "m"), (("degc",), "°C"), (("degf",), "°F"), (("pct",), "%"), (("percent",), "%"),
    (("kpa",), "kPa"), (("bar",), "bar"),
)  # fmt: skip
#: Weather names may end with a bare "c" for Celsius (``tmin_c``); elsewhere "c" is no unit.
_WEATHER_UNITS = ((("c",), "°C"), *_UNITS)
#: Words written their own way whatever the case of the column name.
_SPELLING = {"ph": "pH"}


def name_words(name: str, units=_UNITS) -> tuple[str, str | None]:
    """A column name of the data as words, and the unit it ends with (None if none; units
    are recognised among ``units``).

    The utility's own words are kept as it writes them, accents included; only the
    separators become spaces.

    >>> name_words("resistivite_ohm_cm")
    ('resistivite', 'Ω·cm')
    >>> name_words("agressivité")
    ('agressivité', None)
    >>> name_words("ph_eau")
    ('pH eau', None)
    """
    words = [w for w in re.split(r"[\W_]+", str(name)) if w]
    if not words:
        return str(name), None
    keys = [clean_name(w) for w in words]
    unit = None
    for tail, written in units:
        if len(keys) > len(tail) and tuple(keys[-len(tail) :]) == tail:
            words, unit = words[: -len(tail)], written
            break
    text = " ".join(_SPELLING.get(clean_name(w), w) for w in words)
    return text, unit


def column_words(name: str, lang: str = "en") -> str:
    """A data column or model feature in words: ``soil_resistivite_ohm_m`` → "soil
    resistivity (Ω·m)", ``failures_last_5y`` → "failures in the last 5 years".

    Names the catalogues do not know read as words too, in the data's own spelling:
    ``soil_agressivité`` → "agressivité du sol" (French), ``weather_RR_mean`` → "mean
    rainfall" (the weather roles of :func:`risk.features.weather_role`), a unit the name
    ends with in brackets (``soil_resistivite_ohm_cm`` → "soil resistivite (Ω·cm)").
    """
    key = clean_name(name)
    if has(f"label.column.{name}"):
        return label("column", name, lang)
    if has(f"label.column.{key}"):
        return label("column", key, lang)
    match = re.fullmatch(r"failures_last_(\d+)y(_per_km)?", key)
    if match:
        message = "feature.failures_last" + ("_year" if match.group(1) == "1" else "")
        return t(message + ("_per_km" if match.group(2) else ""), lang, n=match.group(1))
    match = re.fullmatch(r"neighbour_failures_last_(\d+)y", key)
    if match:
        return t("feature.neighbour_failures_last", lang, n=match.group(1))
    if key.startswith("welds_grade_"):
        grade = str(name)[len("welds_grade_") :]
        return t("feature.welds_grade", lang, grade=grade_words(grade, lang, code_case=True))
    for prefix in ("soil", "weather"):
        if key.startswith(prefix + "_"):
            return _context_words(prefix, str(name)[len(prefix) + 1 :], lang)
    return label("column", name, lang)


def _context_words(prefix: str, rest: str, lang: str) -> str:
    """A soil or weather column the catalogues do not name (``rest``: its name after the
    prefix) in words, with its unit."""
    units = _WEATHER_UNITS if prefix == "weather" else _UNITS
    if prefix == "weather" and clean_name(rest).endswith("_mean"):
        measured = re.sub(r"[\W_]+mean$", "", rest, flags=re.IGNORECASE)
        role = weather_role(clean_name(measured))
        if role is not None:
            _, unit = name_words(measured, units)
            if not unit and role in ("tmin", "tmax", "tmean"):
                unit = "°C"  # temperatures are read in °C (converted from °F when mapped)
            what = t(f"feature.weather.{role}", lang)
            return t("feature.with_unit", lang, what=what, unit=unit) if unit else what
        rest = measured  # weather features are means over years: "mean" goes without saying
    words, unit = name_words(rest, units)
    if unit:
        return t(f"feature.{prefix}_other_unit", lang, what=words, unit=unit)
    return t(f"feature.{prefix}_other", lang, what=words)


def _coded_label(kind: str, value, lang: str) -> str | None:
    """The catalogue's words for ``value`` of ``kind``, as written or by its plain key
    (case and accents aside: ``MAUVAIS``, ``Médiocre``); None when it has none."""
    for code in dict.fromkeys((str(value), clean_name(value))):
        if has(f"label.{kind}.{code}"):
            return label(kind, code, lang)
    return None


def value_words(value, lang: str = "en") -> str:
    """A categorical value of the data in words (``fort`` → "high", ``argileux`` → "clayey",
    ``MAUVAIS`` → "bad"); a code the catalogues do not know stays the data's own (with
    spaces for underscores)."""
    if _missing(value):
        return "–"
    return _coded_label("value", value, lang) or label("value", str(value), lang)


def grade_words(grade, lang: str = "en", *, code_case: bool = False) -> str:
    """A weld or joint grade in words: a joint type (``PLOMB`` → "lead-caulked joint"), a
    condition (``MAUVAIS`` → "bad"), else the code; ``code_case``: upper-case an unknown
    code (it comes from a feature name, which lower-cases it)."""
    if _missing(grade):
        return "–"
    words = _coded_label("weld_grade", grade, lang) or _coded_label("value", grade, lang)
    if words is not None:
        return words
    return str(grade).replace("_", " ").upper() if code_case else str(grade)


# -- reasons ---------------------------------------------------------------------------------

_N = r"(\d[\d,]*(?:\.\d+)?|\?)"
_MATERIALS_EN = {
    "cast iron": "cast_iron", "ductile iron": "ductile_iron", "steel": "steel",
    "galvanized steel": "galvanized_steel", "asbestos cement": "asbestos_cement",
    "concrete": "concrete", "PVC": "pvc", "PE": "pe", "copper": "copper", "lead": "lead",
    "other material": "other", "unknown material": "unknown",
}  # fmt: skip


def _plural(key: str, count: str, lang: str, **kw) -> str:
    """:func:`risk.i18n.plural` of a count written in English ("1,234", "?")."""
    return plural(key, count.replace(",", ""), lang, n=_text_number(count, lang), **kw)


def reason_words(phrase: str, lang: str = "en") -> str:
    """One reason of ``risk score`` (English) in plain words in ``lang``.

    >>> reason_words("cast iron, 95 years old (LEYP rate 6.05/km)", "fr")
    'fonte grise, 95 ans (conduites de ce matériau et de cet âge : 6,05 casses par km attendues)'
    >>> reason_words("cast iron, age unknown (LEYP rate 3.76/km)")
    'cast iron, age unknown (pipes of this material: 3.76 failures per km expected)'
    >>> reason_words("soil resistivite ohm m low (20.9)")
    'soil resistivity (Ω·m): low (20.9)'
    >>> reason_words("soil agressivité high (6.0)", "fr")
    'agressivité du sol : valeur élevée (6,0)'
    >>> reason_words("soil classe rga: B7 (raises the risk)", "fr")
    'classe rga du sol\xa0: B7 (augmente le risque)'
    """
    text = phrase.strip()
    m = re.fullmatch(
        r"(.+?), (?:" + _N + r" years old|age unknown)(?: \(LEYP rate " + _N + r"/km\))?", text
    )
    if m:
        material = label("material", _MATERIALS_EN.get(m.group(1), m.group(1)), lang)
        age = (
            _plural("reason.age", m.group(2), lang, age=_text_number(m.group(2), lang))
            if m.group(2)
            else t("reason.age_unknown", lang)
        )
        out = f"{material}, {age}"
        if m.group(3) and m.group(3) != "?":  # an age unknown: the material's rate alone
            key = "reason.similar_rate" if m.group(2) else "reason.similar_rate_material"
            out += " " + t(key, lang, rate=_text_number(m.group(3), lang))
        return out
    if text == "no recorded failure":
        return t("reason.no_failure", lang)
    m = re.fullmatch(_N + r" failures?, last " + _N + r" years ago", text)
    if m:
        return _plural(
            "reason.failures_since", m.group(1), lang, years=_text_number(m.group(2), lang)
        )
    m = re.fullmatch(_N + r" failures? in the last year", text)
    if m:
        return _plural("reason.failures_last_year", m.group(1), lang)
    m = re.fullmatch(_N + r" failures? in the last (\d+) years", text)
    if m:
        return _plural("reason.failures_last_years", m.group(1), lang, years=m.group(2))
    m = re.fullmatch(
        _N + r" failures? on other pipes (within ([\d.]+) m|nearby)( in the last (\d+) years)?",
        text,
    )
    if m:
        where = (
            t("reason.within", lang, metres=_text_number(m.group(3), lang))
            if m.group(3)
            else t("reason.nearby", lang)
        )
        span = t("reason.in_last_years", lang, years=m.group(5)) if m.group(5) else ""
        return _plural("reason.neighbours", m.group(1), lang, where=where, span=span).strip()
    m = re.fullmatch(r"(soil|weather) (.+?) (high|low) \(" + _N + r"\)", text)
    if m:
        column = f"{m.group(1)}_{m.group(2).replace(' ', '_')}"
        return t(
            "reason.level", lang, what=column_words(column, lang),
            level=t(f"reason.{m.group(3)}", lang), value=_text_number(m.group(4), lang),
        )  # fmt: skip
    m = re.fullmatch(r"(soil|weather) (.+?): (.+?)(?: \(raises the risk\))?", text)
    if m:
        column = f"{m.group(1)}_{m.group(2).replace(' ', '_')}"
        words = _coded_label("value", m.group(3), lang)
        if words is None:  # the data's own code, with what it does
            words = t("reason.raises_risk", lang, value=m.group(3))
        return f"{column_words(column, lang)}{t('punct.colon', lang)}{words}"
    m = re.fullmatch(_N + r" welds? or joints? \(" + _N + r" per km\)", text)
    if m and m.group(1) in ("0", "0.0"):
        return t("reason.welds.zero", lang)
    if m:
        return _plural("reason.welds", m.group(1), lang, per_km=_text_number(m.group(2), lang))
    m = re.fullmatch(_N + r" past inspections, " + _N + r" leaks found", text)
    if m:
        return t(
            "reason.inspections", lang,
            inspections=_plural("reason.past_inspections", m.group(1), lang),
            leaks=_plural("reason.leaks_found", m.group(2), lang),
        )  # fmt: skip
    if text == "diameter unknown":
        return t("reason.diameter_unknown", lang)
    m = re.fullmatch(r"(small|large) diameter \(" + _N + r" mm\)", text)
    if m:
        return t(f"reason.diameter_{m.group(1)}", lang, mm=_text_number(m.group(2), lang))
    m = re.fullmatch(r"(short|long) segment \(" + _N + r" m\)", text)
    if m:
        return t(f"reason.length_{m.group(1)}", lang, m=_text_number(m.group(2), lang))
    if text in ("lined", "unlined", "lining unknown"):
        return t(f"reason.{text.replace(' ', '_')}", lang)
    m = re.fullmatch(r"pressure zone (.+)", text)
    if m:
        return t("reason.zone", lang, zone=m.group(1))
    if text == "no factor above the network average":
        return t("reason.none", lang)
    if text == "no failure recorded yet: the oldest first":
        return t("reason.oldest_first", lang)
    return text.replace("_", " ")


def reasons_in_words(value, lang: str = "en") -> list[str]:
    """``top_reasons`` of a pipe (``;``-joined, a JSON list or a list) as phrases in ``lang``."""
    from risk.maplayers import reasons_list

    return [reason_words(phrase, lang) for phrase in reasons_list(value)]


def with_reasons_in_words(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """``table`` with ``reasons`` right after ``top_reasons``: the same reasons in words in
    ``lang``, one line per pipe ("; " between them), for the person who opens the file.

    ``top_reasons`` stays as ``risk score`` wrote it (the same English phrases in every
    file, so filters and joins work whatever the reader's language). Every table a person
    opens (``plan.csv``, ``risk.csv``, a ``risk score --out`` file) goes through here.

    >>> table = pd.DataFrame({"pipe_id": ["P-1"], "top_reasons": ["unlined; soil ph low (5.1)"]})
    >>> with_reasons_in_words(table).loc[0, "reasons"]
    'no inner lining; soil pH: low (5.1)'
    """
    if "top_reasons" not in table:
        return table
    table = table.drop(columns="reasons", errors="ignore").copy()
    words = ["; ".join(reasons_in_words(value, lang)) for value in table["top_reasons"]]
    table.insert(table.columns.get_loc("top_reasons") + 1, "reasons", words)
    return table


# -- the card --------------------------------------------------------------------------------


def _soil_phrases(data, pipe_geometry, lang: str) -> list[str]:
    """The soil properties under a pipe: the columns the model reads, not those that name
    polygons (:func:`risk.features.soil_property_columns`)."""
    soils = getattr(data, "soils", None)
    if soils is None or not len(soils) or pipe_geometry is None or pipe_geometry.is_empty:
        return []
    rows = soils.iloc[soils.sindex.query(pipe_geometry, predicate="intersects")]
    if not len(rows):
        return []
    phrases = []
    for column in soil_property_columns(soils)[0]:
        values = rows[column].dropna()
        if not len(values):
            continue
        if pd.api.types.is_numeric_dtype(values):  # in order of value, not of text
            shown = [_number(v, lang, decimals=1) for v in sorted(set(values))]
            shown = list(dict.fromkeys(shown))
        else:
            shown = sorted({value_words(v, lang) for v in values})
        phrases.append(
            f"{column_words('soil_' + column, lang)}{t('punct.colon', lang)}{listed(shown, lang)}"
        )
    return phrases


def listed(items: list[str], lang: str) -> str:
    """Values in a list a reader cannot misread: "6.5 and 8.9"; in French "6,5 et 8,9" and
    "6,3 ; 7,0 et 7,4" (a comma between numbers written with decimal commas read as four
    numbers: "6,5, 8,9").

    >>> listed(["6,3", "7,0", "7,4"], "fr"), listed(["A", "B"], "en")
    ('6,3 ; 7,0 et 7,4', 'A and B')
    """
    return and_list(items, lang, separator=t("punct.list_separator", lang))


def _weld_phrases(data, pipe_id: str, lang: str) -> list[str]:
    welds = getattr(data, "welds", None)
    if welds is None or not len(welds) or "pipe_id" not in welds:
        return []
    rows = welds[welds["pipe_id"].astype("string") == pipe_id]
    if not len(rows):
        return []
    phrases = [_plural("card.welds_count", str(len(rows)), lang)]
    for column, key in (("grade", "card.welds_grade"), ("condition", "card.welds_condition")):
        if column in rows and rows[column].notna().any():
            counts = rows[column].dropna().astype(str).value_counts().sort_index()
            if column == "grade":  # a joint type is said as itself, not as a "grade"
                joints = [k for k in counts.index if _coded_label("weld_grade", k, lang)]
                phrases += [f"{grade_words(k, lang)} ({counts[k]})" for k in joints]
                counts = counts.drop(joints)
                if not len(counts):
                    continue
            words = grade_words if column == "grade" else value_words
            parts = ", ".join(f"{words(k, lang)} ({v})" for k, v in counts.items())
            phrases.append(t(key, lang, what=parts))
    if "year" in rows and pd.to_numeric(rows["year"], errors="coerce").notna().any():
        years = pd.to_numeric(rows["year"], errors="coerce").dropna().astype(int)
        span = str(years.min()) if years.min() == years.max() else f"{years.min()}-{years.max()}"
        phrases.append(t("card.welds_year", lang, years=span))
    return phrases


def _breaks_table(data, pipe_id: str, lang: str) -> pd.DataFrame:
    breaks = getattr(data, "breaks", None)
    columns = [t("card.col.date", lang), t("card.col.what", lang), t("card.col.flow", lang)]
    if breaks is None or not len(breaks) or "pipe_id" not in breaks:
        return pd.DataFrame(columns=columns)
    rows = breaks[breaks["pipe_id"].astype("string") == pipe_id]
    rows = rows.sort_values("date", ascending=False) if "date" in rows else rows
    kinds = rows["kind"] if "kind" in rows else pd.Series("break", index=rows.index)
    flows = (
        rows["flow_m3_per_h"] if "flow_m3_per_h" in rows else pd.Series(np.nan, index=rows.index)
    )
    return pd.DataFrame(
        {
            columns[0]: [_date(v, lang) for v in rows.get("date", pd.Series(index=rows.index))],
            columns[1]: [label("break_kind", k, lang) for k in kinds],
            columns[2]: [_number(f, lang, decimals=1) for f in flows],
        }
    )


def _early_breaks_note(data, pipe_id: str, lang: str) -> str | None:
    """A sentence when some of the pipe's breaks are older than the year the break record
    is taken as complete from (``records_complete_from``): the list showed them as any
    other, though the record of those years is partial and the model learns failure rates
    only from that year on (it still counts them in the pipe's history)."""
    breaks = getattr(data, "breaks", None)
    start = (getattr(data, "meta", None) or {}).get("records_complete_from")
    if breaks is None or not len(breaks) or "date" not in breaks or _missing(start):
        return None
    rows = breaks[breaks["pipe_id"].astype("string") == pipe_id]
    early = int((pd.to_datetime(rows["date"], errors="coerce").dt.year < int(start)).sum())
    if not early:
        return None
    return plural("card.early_breaks", early, lang, year=int(start))


def _inspections_table(outcomes: pd.DataFrame | None, pipe_id: str, lang: str) -> pd.DataFrame:
    columns = [t(f"card.col.{c}", lang) for c in ("date", "result", "leak", "flow", "by")]
    if outcomes is None or not len(outcomes):
        return pd.DataFrame(columns=columns)
    rows = outcomes[outcomes["pipe_id"].astype(str) == pipe_id]
    rows = rows.sort_values(["inspected_on", "outcome_id"], ascending=False).head(5)
    corrected = corrected_by(rows)
    results = [
        label("result", v, lang)
        if pd.isna(by)
        else t("card.corrected", lang, result=label("result", v, lang), id=int(by))
        for v, by in zip(rows["result"], corrected, strict=True)
    ]
    return pd.DataFrame(
        {
            columns[0]: [_date(v, lang) for v in rows["inspected_on"]],
            columns[1]: results,
            columns[2]: [label("leak_kind", v, lang) for v in rows["leak_kind"]],
            columns[3]: [_number(v, lang, decimals=1) for v in rows["flow_m3_per_h"]],
            columns[4]: [str(v) if not _missing(v) else "–" for v in rows["recorded_by"]],
        }
    )


def _planned(assignments: pd.DataFrame | None, pipe_id: str, lang: str) -> list[str]:
    if assignments is None or not len(assignments):
        return []
    rows = assignments[
        (assignments["pipe_id"].astype(str) == pipe_id) & (assignments["status"] == "planned")
    ]
    return [
        t("card.planned", lang, crew=crew_named(r.crew, lang), day=_date(r.planned_date, lang),
          round=r.round_id)
        for r in rows.sort_values("planned_date").itertuples()
    ]  # fmt: skip


def crew_named(crew, lang: str) -> str:
    """ "crew Nord", but "Equipe Nord" as it is, not "équipe Equipe Nord" (a crew named with
    the word already).

    >>> crew_named("Nord", "fr"), crew_named("Equipe Nord", "fr"), crew_named("Crew 1", "en")
    ('équipe Nord', 'Equipe Nord', 'Crew 1')
    """
    name = str(crew)
    words = {"crew", "team", "equipe", "équipe"}
    first = name.split(" ")[0].casefold() if name else ""
    return name if first in words else t("card.crew_named", lang, crew=name)


def describe_pipe(row: pd.Series, lang: str = "en") -> str:
    """A pipe in one line: "cast iron, 150 mm, laid in 1962 (64 years ago), 95 m, pressure
    zone HAUTE" (a row of :func:`risk.maplayers.map_table`)."""
    parts = [label("material", row.get("material"), lang)]
    if not _missing(row.get("diameter_mm")):
        parts.append(format_quantity(float(row["diameter_mm"]), "mm", lang))
    if _missing(row.get("install_year")):
        parts.append(t("card.laid_unknown", lang))
    elif not _missing(row.get("age_years")):
        parts.append(
            plural(
                "card.laid_age",
                int(row["age_years"]),
                lang,
                year=int(row["install_year"]),
                age=int(row["age_years"]),
            )
        )
    else:
        parts.append(t("card.laid", lang, year=int(row["install_year"])))
    if not _missing(row.get("length_m")):
        parts.append(format_quantity(float(row["length_m"]), "m", lang))
    if not _missing(row.get("pressure_zone")):
        parts.append(t("card.zone", lang, zone=row["pressure_zone"]))
    return ", ".join(parts)


def pipe_card(
    table: pd.DataFrame,
    data,
    pipe_id: str,
    *,
    lang: str = "en",
    outcomes: pd.DataFrame | None = None,
    assignments: pd.DataFrame | None = None,
) -> dict | None:
    """Everything the risk map shows about one pipe, in words in ``lang``; None if unknown.

    Parameters
    ----------
    table : DataFrame
        :func:`risk.maplayers.map_table` (attributes, score, band).
    data : UtilityData
        The network (``pipes``, ``breaks``, ``soils``, ``welds``).
    outcomes, assignments : DataFrame, optional
        From the outcome store: the pipe's last inspections and planned visits.

    Returns
    -------
    dict
        ``pipe_id``, ``band`` (code, for the colour), ``band_words``, ``description``,
        ``probability``, ``expected_failures``, ``rank`` (texts), ``reasons`` (list),
        ``breaks`` (table) and ``breaks_note`` (breaks older than the complete record, or
        None), ``soils`` and ``welds`` (lists of phrases), ``inspections``
        (table, latest first) and ``planned`` (phrases); ``consequence`` and ``risk`` (the
        risk matrix's grades in words) when ``table`` carries ``cof_grade`` and ``risk_grade``
        (:mod:`risk.consequence.matrix`).
    """
    pipe_id = str(pipe_id)
    matches = np.flatnonzero(table["pipe_id"].to_numpy() == pipe_id)
    if not len(matches):
        return None
    row = table.iloc[int(matches[0])]
    scored = int(table["rank"].notna().sum())
    geometry = None
    pipes = getattr(data, "pipes", None)
    if pipes is not None and "geometry" in getattr(pipes, "columns", []):
        position = int(matches[0]) if len(pipes) == len(table) else None
        if position is not None and str(pipes["pipe_id"].iloc[position]) == pipe_id:
            geometry = pipes.geometry.iloc[position]
        else:
            found = pipes[pipes["pipe_id"].astype(str) == pipe_id]
            geometry = found.geometry.iloc[0] if len(found) else None
    rank = row.get("rank")
    return {
        "pipe_id": pipe_id,
        "band": row.get("band", "unscored"),
        "band_words": t(f"band.{row.get('band', 'unscored')}", lang),
        "description": describe_pipe(row, lang),
        "probability": "–"
        if _missing(row.get("probability"))
        else format_percent(float(row["probability"]), lang, decimals=1),
        "expected_failures": _number(row.get("expected_failures"), lang, decimals=2),
        "rank": "–"
        if _missing(rank)
        else t("card.rank_of", lang, rank=_number(rank, lang), total=_number(scored, lang)),
        "unit": _unit_line(table, row, lang),
        **risk_words(row, lang),
        "reasons": reasons_in_words(row.get("top_reasons"), lang),
        "breaks": _breaks_table(data, pipe_id, lang),
        "breaks_note": _early_breaks_note(data, pipe_id, lang),
        "soils": _soil_phrases(data, geometry, lang),
        "welds": _weld_phrases(data, pipe_id, lang),
        "inspections": _inspections_table(outcomes, pipe_id, lang),
        "planned": _planned(assignments, pipe_id, lang),
    }


def _unit_line(table: pd.DataFrame, row, lang: str) -> str | None:
    """The pipe's inspection unit in words: its other pipes, length and place in the order."""
    unit = row.get("unit_id")
    if "unit_id" not in table or _missing(unit) or _missing(row.get("unit_rank")):
        return None
    members = table.loc[table["unit_id"] == unit]
    if "unit_order" in members:
        members = members.sort_values("unit_order")
    others = [str(p) for p in members["pipe_id"] if str(p) != str(row["pipe_id"])]
    shown = ", ".join(others[:3]) + (f" (+{len(others) - 3})" if len(others) > 3 else "")
    key = "card.unit.other" if others else "card.unit.one"
    return t(
        key,
        lang,
        others=shown,
        unit=unit,
        pipes=_number(len(members), lang),
        length=format_quantity(row.get("unit_length_m"), "m", lang),
        rank=_number(row.get("unit_rank"), lang),
        total=_number(table["unit_id"].nunique(), lang),
    )


# -- search and the ranked list --------------------------------------------------------------


def search_columns(table: pd.DataFrame) -> list[str]:
    """The text columns of ``table`` searched besides the pipe id (see SEARCH_COLUMNS)."""
    return [c for c in SEARCH_COLUMNS if c in table.columns]


def search_pipes(
    table: pd.DataFrame, query: str, *, visible: np.ndarray | None = None
) -> np.ndarray:
    """Rows of ``table`` matching ``query``: the pipe whose id is the query first, then ids
    containing it, then pipes whose street, zone, ... contains it, each in risk rank order.

    Case and surrounding spaces are ignored. An empty query gives every row (``visible``
    ones), riskiest first.
    """
    visible = np.ones(len(table), dtype=bool) if visible is None else np.asarray(visible, bool)
    text = (query or "").strip().casefold()
    rank = pd.to_numeric(table["rank"], errors="coerce").to_numpy(dtype=float)
    rank = np.where(np.isnan(rank), np.inf, rank)
    if not text:
        rows = np.flatnonzero(visible)
        return rows[np.argsort(rank[rows], kind="stable")]
    ids = table["pipe_id"].astype(str).str.casefold()
    exact = (ids == text).to_numpy()
    in_id = ids.str.contains(text, regex=False).to_numpy()
    in_text = np.zeros(len(table), dtype=bool)
    for column in search_columns(table):
        in_text |= (
            table[column].astype("string").str.casefold().str.contains(text, regex=False)
            .fillna(False).to_numpy(dtype=bool)
        )  # fmt: skip
    # An exact id is found even when the filters hide it: that is what was asked for.
    group = np.where(exact, 0, np.where(in_id & visible, 1, np.where(in_text & visible, 2, 3)))
    rows = np.flatnonzero(group < 3)
    return rows[np.lexsort((rank[rows], group[rows]))]


def ranked_table(table: pd.DataFrame, rows: np.ndarray, lang: str = "en") -> pd.DataFrame:
    """The pipes at ``rows`` for a list a person reads: plain column names and words."""
    part = table.iloc[np.asarray(rows, dtype=int)]
    columns = {
        "rank": t("ranked.rank", lang),
        "pipe_id": t("ranked.pipe", lang),
        "band": t("ranked.band", lang),
        "probability": t("ranked.probability", lang),
        "material": t("ranked.material", lang),
        "diameter_mm": t("ranked.diameter", lang),
        "install_year": t("ranked.laid", lang),
        "pressure_zone": t("ranked.zone", lang),
    }
    out = pd.DataFrame(
        {
            columns["rank"]: [_number(v, lang) for v in part["rank"]],
            columns["pipe_id"]: part["pipe_id"].astype(str).to_numpy(),
            columns["band"]: [t(f"band.{b}", lang) for b in part["band"]],
            columns["probability"]: [
                "–" if _missing(p) else format_percent(float(p), lang, decimals=1)
                for p in part["probability"]
            ],
            columns["material"]: [label("material", m, lang) for m in part["material"]],
            columns["diameter_mm"]: [_number(d, lang) for d in part["diameter_mm"]],
            columns["install_year"]: [
                "–" if _missing(y) else str(int(y)) for y in part["install_year"]
            ],
            columns["pressure_zone"]: [
                "–" if _missing(z) else str(z) for z in part["pressure_zone"]
            ],
        }
    )
    for column in search_columns(table):
        if column != "pressure_zone":
            out[column_words(column, lang)] = ["–" if _missing(v) else str(v) for v in part[column]]
    return out
