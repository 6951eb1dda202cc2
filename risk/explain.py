"""Per-pipe reasons in plain words, from XGBoost feature contributions.

Contributions (``pred_contribs``) split each pipe's log failure rate into one term per
feature plus a bias. Features are summed back into human concepts - material and age
(with the LEYP statistical prior, itself driven mostly by material and age),
failure history, neighbour failures, soil, weather, diameter, ... - and the concepts that
raise the pipe's risk the most are written as short phrases::

    cast iron, 94 years old; 3 failures in the last 5 years; soil corrosivity high (8.1)

Exact TreeSHAP contributions cost about 4 ms per pipe on two cores (~255 pipes/s), so
:func:`explain_pipes` computes them exactly for the ``n_exact`` first-ranked pipes (those
people read) and uses XGBoost's approximate contributions (Saabas method, ~25,000
pipes/s) for the others. Both split the same prediction; the approximation may order
close concepts differently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from risk.features import clean_name
from risk.model import RiskModel

#: Default number of first-ranked pipes explained with exact contributions.
DEFAULT_N_EXACT = 2000
#: Default number of reasons per pipe.
DEFAULT_TOP_N = 3

_MATERIAL_WORDS = {
    "cast_iron": "cast iron",
    "ductile_iron": "ductile iron",
    "steel": "steel",
    "galvanized_steel": "galvanized steel",
    "asbestos_cement": "asbestos cement",
    "concrete": "concrete",
    "pvc": "PVC",
    "pe": "PE",
    "copper": "copper",
    "lead": "lead",
    "other": "other material",
    "unknown": "unknown material",
}

#: Concept of each feature, by exact name or by prefix (first match wins).
_CONCEPT_RULES = (
    (r"^(material|age_years|install_year|leyp_rate_per_km)$", "material_age"),
    (r"^(failures_|years_since_last_failure)", "failure_history"),
    (r"^neighbour_failures", "neighbour_failures"),
    (r"^soil_", "soil"),
    (r"^weather_", "weather"),
    (r"^window_weather_", "weather_ahead"),
    (r"^welds_", "welds"),
    (r"^(inspection|years_since_last_inspection)", "inspections"),
    (r"^diameter_mm$", "diameter"),
    (r"^length_m$", "length"),
    (r"^lined$", "lining"),
    (r"^pressure_zone$", "pressure_zone"),
)


def concept_of(feature: str) -> str:
    """The human concept a feature belongs to (its own name when no rule matches)."""
    for pattern, concept in _CONCEPT_RULES:
        if re.match(pattern, feature):
            return concept
    return feature


def contributions(model: RiskModel, X: pd.DataFrame, *, exact_rows=None) -> pd.DataFrame:
    """Feature contributions to the log failure rate, exact for ``exact_rows``, else approximate.

    Parameters
    ----------
    model : RiskModel
        A fitted model.
    X : DataFrame
        Features of the pipes.
    exact_rows : array-like of bool, optional
        Rows computed with exact TreeSHAP; default none (all approximate).
    """
    exact = np.zeros(len(X), dtype=bool) if exact_rows is None else np.asarray(exact_rows, bool)
    out = model.contributions(X, approximate=True)  # every row in one pass, then the exact
    if exact.any():
        rows = np.flatnonzero(exact)
        out.iloc[rows] = model.contributions(X.iloc[rows], approximate=False).to_numpy()
    return out


def by_concept(contribution: pd.DataFrame) -> pd.DataFrame:
    """Sum feature contributions into concepts (the ``bias`` column is dropped)."""
    features = [c for c in contribution.columns if c != "bias"]
    concepts = [concept_of(c) for c in features]
    summed = contribution[features].T.groupby(concepts, sort=True).sum().T
    return summed


#: Least rise of a pipe's failure rate a reason names, as a log: a concept that raises the
#: rate by under 5 % is no reason to inspect the pipe (a feature with a sliver of the
#: model's weight, lining or pressure zone, was named for half the network; see
#: :func:`explain_pipes`).
MIN_REASON_LOG_RATE = float(np.log(1.05))

#: Concepts the model uses but a reason never names (see :func:`reason_concepts`).
NOT_REASONS = ("weather_ahead", "length")


def reason_concepts(contribution: pd.DataFrame) -> pd.DataFrame:
    """The concepts a reason may name (:func:`by_concept`), without

    - the weather of the window ahead: it is the usual weather, the same for every pipe of
      a station, a forecast's assumption rather than a reason to inspect a pipe;
    - the segment's length: failures per km differ with how the GIS cut the mains (a short
      piece around a fitting), which the model uses, but "short pipe (98 m)" is no reason an
      engineer or a crew can act on (a pipe below the network's median was called short).
    """
    return by_concept(contribution).drop(columns=list(NOT_REASONS), errors="ignore")


def explain_pipes(
    model: RiskModel,
    X: pd.DataFrame,
    rank=None,
    *,
    n_exact: int = DEFAULT_N_EXACT,
    top_n: int = DEFAULT_TOP_N,
    reference_medians: Mapping[str, float] | None = None,
    source_names: Mapping[str, str] | None = None,
) -> pd.Series:
    """Top reasons of each pipe's risk, as one readable string per pipe.

    Parameters
    ----------
    model : RiskModel
        A fitted model.
    X : DataFrame
        Features of the pipes (as scored), indexed by ``pipe_id``.
    rank : array-like of int, optional
        Inspection rank; the ``n_exact`` first-ranked pipes get exact contributions.
    n_exact : int
        Number of first-ranked pipes explained with exact TreeSHAP.
    top_n : int
        Largest number of reasons per pipe.
    reference_medians : mapping of str to float, optional
        Median of each numeric feature over the whole network, by column (see
        :func:`feature_medians`): the words "high"/"low", "small"/"large" and
        "short"/"long" compare a pipe's value with it. Default: the medians of ``X``;
        columns the mapping lacks also use the median of ``X``. Give it when ``X`` holds
        only part of the network, so that words do not depend on how it was cut.
    source_names : mapping of str to str, optional
        The data's own name behind each soil and weather feature
        (:func:`risk.features.source_names`): reasons name a column as the utility spells
        it, accents included ("soil agressivité high (6.0)"). Default: ``X.attrs
        ["source_names"]``, which :class:`risk.features.FeatureBuilder` sets; features
        without one are named after the feature.

    Returns
    -------
    Series
        ``top_reasons`` indexed like ``X``: phrases joined by "; ", most important first.
        Only concepts that raise the pipe's rate above the network's average by at least
        5 % (:data:`MIN_REASON_LOG_RATE`) are named.
    """
    if top_n < 1:
        raise ValueError(f"top_n must be >= 1; got {top_n!r}")
    if getattr(model, "training_failures_", None) == 0:  # rated alike: the usual rule's order
        return _oldest_first_reasons(X)
    exact = np.zeros(len(X), dtype=bool)
    if rank is not None and n_exact > 0:
        exact = np.asarray(rank) <= n_exact
    features = contributions(model, X, exact_rows=exact)
    concepts = reason_concepts(features)
    values = concepts.to_numpy(dtype=float)
    order = np.argsort(-values, axis=1, kind="mergesort")[:, :top_n]
    shown = np.take_along_axis(values, order, axis=1) >= MIN_REASON_LOG_RATE
    medians = _medians(X, reference_medians)
    radius = (model.feature_options or {}).get("neighbour_radius_m")
    names = dict(X.attrs.get("source_names") or {}) if source_names is None else source_names
    phrases = np.full(order.shape, "", dtype=object)  # one column per reason slot
    for j, name in enumerate(concepts.columns):
        # phrased only where shown: rows (ascending, each once) and slots naming concept j
        rows, slots = np.nonzero((order == j) & shown)
        if len(rows):
            # a concept's phrase reads the concept's own columns only
            x = X[[c for c in X.columns if concept_of(c) == name]].iloc[rows]
            f = features[[c for c in features.columns if concept_of(c) == name]].iloc[rows]
            text = _phrases(name, x, f, radius, medians, names)
            phrases[rows, slots] = text.to_numpy(dtype=object)
    return _joined(phrases, shown, X.index)


#: The reason a model that saw no failure gives every pipe: the list is the usual rule's.
OLDEST_FIRST = "no failure recorded yet: the oldest first"


def _oldest_first_reasons(X: pd.DataFrame) -> pd.Series:
    """The reasons of a model that saw no failure in its training years: it rates every
    pipe alike and the list puts the oldest first (:func:`risk.units.rank_by_unit`), so each
    pipe's reason is its material and age, and that rule ("cast iron, 95 years old; no
    failure recorded yet: the oldest first"), not "no factor above the network average"."""
    columns = [c for c in ("material", "age_years") if c in X]
    words = _phrases("material_age", X[columns], X[columns], None, {}) if columns else ""
    text = (pd.Series(words, index=X.index, dtype=object) + "; " + OLDEST_FIRST).str.lstrip("; ")
    return text.rename("top_reasons").astype("string")


def feature_medians(X: pd.DataFrame) -> dict[str, float]:
    """Median of each numeric feature that reasons compare values with.

    Parameters
    ----------
    X : DataFrame
        Features of the pipes of reference, usually the whole network.

    Returns
    -------
    dict
        Column name to median (NaN when the column has no value), for the numeric
        ``soil_*`` and ``weather_*`` columns, ``diameter_mm`` and ``length_m``: the
        ``reference_medians`` of :func:`explain_pipes`.
    """
    return {column: _median(X[column]) for column in median_columns(X)}


def median_columns(X: pd.DataFrame) -> list[str]:
    """Columns of ``X`` whose medians :func:`feature_medians` computes."""
    return [c for c in X.columns if _compared_with_median(c, X[c])]


def _compared_with_median(column: str, values: pd.Series) -> bool:
    if column in ("diameter_mm", "length_m"):
        return True
    return column.startswith(("soil_", "weather_")) and _is_number(values)


def _is_number(values: pd.Series) -> bool:
    categorical = isinstance(values.dtype, pd.CategoricalDtype)
    return not categorical and pd.api.types.is_numeric_dtype(values)


def _median(values: pd.Series) -> float:
    return float(values.astype(float).median())


def _medians(X: pd.DataFrame, reference: Mapping[str, float] | None) -> dict[str, float]:
    """``reference`` medians, completed with the medians of ``X`` for columns it lacks."""
    reference = {} if reference is None else reference
    return {
        column: float(reference[column]) if column in reference else _median(X[column])
        for column in median_columns(X)
    }


def _joined(phrases: np.ndarray, shown: np.ndarray, index: pd.Index) -> pd.Series:
    """Shown phrases of each row (one column per slot) joined by "; "."""
    text = pd.Series("", index=index, dtype=object)
    for k in range(phrases.shape[1]):
        separator = np.where((text.to_numpy(dtype=object) != "") & shown[:, k], "; ", "")
        text = text + separator + phrases[:, k]
    text = text.where(text != "", "no factor above the network average")
    return text.rename("top_reasons").astype("string")


def concept_importance(model: RiskModel, X: pd.DataFrame, *, sample: int = 20_000) -> dict:
    """Mean absolute contribution of each concept over (a seeded sample of) ``X``, largest first."""
    if len(X) > sample:
        X = X.iloc[np.sort(np.random.default_rng(0).choice(len(X), sample, replace=False))]
    if len(X) == 0:
        return {}
    concepts = by_concept(model.contributions(X, approximate=True)).abs().mean()
    return {k: round(float(v), 5) for k, v in concepts.sort_values(ascending=False).items()}


# ------------------------------------------------------------------ phrases
def _number(values: pd.Series, digits: int = 0) -> pd.Series:
    """``values`` rounded to ``digits`` decimals, with thousands separators; "?" if missing.

    Each distinct rounded value is written once. Values are told apart by their bits, so
    that -0 (a small negative value rounded) stays "-0".
    """
    rounded = np.ascontiguousarray(values.round(digits).to_numpy(dtype=float))
    codes, distinct = pd.factorize(rounded.view(np.int64))
    words = [f"{v:,.{digits}f}" if v == v else "?" for v in distinct.view(float).tolist()]
    return pd.Series(np.array(words, dtype=object)[codes], index=values.index, dtype=object)


def _level(values: pd.Series, median: float) -> pd.Series:
    """'high' or 'low' against ``median`` (values at the median are high)."""
    return pd.Series(np.where(values >= median, "high", "low"), index=values.index, dtype=object)


def _phrases(
    concept: str,
    X: pd.DataFrame,
    features: pd.DataFrame,
    radius_m,
    medians: Mapping,
    names: Mapping[str, str] | None = None,
) -> pd.Series:
    """Phrase of ``concept`` for each row of ``X``; ``medians`` by column (see _medians),
    ``names`` the data's own name behind a feature (default ``X.attrs["source_names"]``, see
    :func:`explain_pipes`)."""
    index = X.index
    if concept == "material_age":
        material = X.get("material", pd.Series("unknown", index=index)).astype("string")
        words = material.map(lambda m: _MATERIAL_WORDS.get(m, str(m).replace("_", " ")))
        words = words.fillna("unknown material").astype(object)
        if "age_years" in X:
            age = X["age_years"].astype(float)
            age_text = np.where(age.notna(), _number(age) + " years old", "age unknown")
            words = words + ", " + pd.Series(age_text, index=index, dtype=object)
        if "leyp_rate_per_km" in X:
            rate = X["leyp_rate_per_km"].astype(float)
            words = words + " (LEYP rate " + _number(rate, 2) + "/km)"
        return words
    if concept == "failure_history":
        return _failure_phrases(X, index)
    if concept == "neighbour_failures":
        columns = [c for c in X.columns if c.startswith("neighbour_failures_last_")]
        column = columns[0] if columns else "neighbour_failures_total"
        window = column.removeprefix("neighbour_failures_last_").removesuffix("y")
        span = f" in the last {window} years" if columns else ""
        where = f"within {radius_m:g} m" if radius_m else "nearby"
        return _plural(X[column].astype(float), "failure") + f" on other pipes {where}{span}"
    if concept in ("soil", "weather"):
        if names is None:
            names = X.attrs.get("source_names") or {}
        return _strongest_column_phrases(concept, X, features, medians, names)
    if concept == "welds":
        total = X.get("welds_total", pd.Series(np.nan, index=index)).astype(float)
        per_km = X.get("welds_per_km", pd.Series(np.nan, index=index)).astype(float)
        noun = pd.Series(np.where(total == 1, " weld or joint", " welds or joints"), index=index)
        return _number(total) + noun.astype(object) + " (" + _number(per_km) + " per km)"
    if concept == "inspections":
        done = X.get("inspections_total", pd.Series(np.nan, index=index)).astype(float)
        found = X.get("inspection_leaks_found", pd.Series(np.nan, index=index)).astype(float)
        return _number(done) + " past inspections, " + _number(found) + " leaks found"
    if concept == "diameter":
        d = X["diameter_mm"].astype(float)
        small = d < medians["diameter_mm"]
        size = pd.Series(np.where(small, "small", "large"), index=index, dtype=object)
        phrase = size + " diameter (" + _number(d) + " mm)"
        return phrase.where(d.notna(), "diameter unknown")  # not "large diameter (? mm)"
    if concept == "length":
        length = X["length_m"].astype(float)
        short = length < medians["length_m"]
        size = pd.Series(np.where(short, "short", "long"), index=index)
        return size.astype(object) + " segment (" + _number(length) + " m)"
    if concept == "lining":
        lined = X["lined"].astype(float)
        text = np.where(lined == 1, "lined", np.where(lined == 0, "unlined", "lining unknown"))
        return pd.Series(text, index=index, dtype=object)
    if concept == "pressure_zone":
        return "pressure zone " + X["pressure_zone"].astype("string").fillna("unknown").astype(
            object
        )
    column = X.get(concept, pd.Series(np.nan, index=index))
    return f"{concept.replace('_', ' ')} " + column.astype("string").fillna("?").astype(object)


def _failure_phrases(X: pd.DataFrame, index: pd.Index) -> pd.Series:
    text = pd.Series("no recorded failure", index=index, dtype=object)
    if "failures_total" in X:
        total = X["failures_total"].astype(float)
        since = X.get("years_since_last_failure", pd.Series(np.nan, index=index)).astype(float)
        older = _plural(total, "failure") + ", last " + _number(since) + " years ago"
        text = text.where(~(total > 0), older)
    windows = sorted(
        (int(m.group(1)), c) for c in X.columns if (m := re.fullmatch(r"failures_last_(\d+)y", c))
    )
    for window, column in reversed(windows):  # the shortest window that holds failures wins
        count = X[column].astype(float)
        span = "in the last year" if window == 1 else f"in the last {window} years"
        text = text.where(~(count > 0), _plural(count, "failure") + " " + span)
    return text


def _plural(count: pd.Series, word: str) -> pd.Series:
    suffix = np.where(count == 1, "", "s")
    return _number(count) + " " + word + pd.Series(suffix, index=count.index, dtype=object)


def column_label(column: str, prefix: str, names: Mapping[str, str]) -> str:
    """How a reason names a ``<prefix>_...`` feature: the rest of its name with spaces for
    underscores, the part that comes from the data spelled as the data spells it.

    >>> column_label("soil_agressivite", "soil", {"soil_agressivite": "agressivité"})
    'agressivité'
    >>> column_label("weather_rr_mean", "weather", {"weather_rr_mean": "RR"})
    'RR mean'
    >>> column_label("soil_resistivite_ohm_m", "soil", {})
    'resistivite ohm m'
    """
    rest = column.removeprefix(prefix + "_")
    source = names.get(column)
    if source is not None:
        cleaned = clean_name(source)
        if rest.startswith(cleaned):
            rest = str(source) + rest[len(cleaned) :]
    # "; " separates reasons and ": " a name from its value: neither may be in a name
    return re.sub(r"\s+", " ", re.sub(r"[_;:\n]", " ", rest)).strip() or rest


def _strongest_column_phrases(
    prefix: str, X: pd.DataFrame, features: pd.DataFrame, medians: Mapping, names: Mapping
) -> pd.Series:
    """Phrase of the feature of a concept that raises each pipe's risk the most.

    A number is "high" or "low" against the network's median; a category is the pipe's
    value, said to raise the risk (its contribution is the concept's largest, and the
    concept raises the risk: only such concepts are named)."""
    index = X.index
    columns = [c for c in features.columns if c.startswith(prefix + "_") and c in X]
    if not columns:
        return pd.Series(prefix, index=index, dtype=object)
    # the first column with the largest contribution wins (missing ones never do); only
    # the winners' phrases are written
    scores = np.nan_to_num(features[columns].to_numpy(dtype=float), nan=-np.inf)
    best = np.argmax(scores, axis=1)
    best[~(scores.max(axis=1, initial=-np.inf) > -np.inf)] = -1  # no winner: the prefix
    text = np.full(len(index), prefix, dtype=object)
    for k, column in enumerate(columns):
        rows = np.flatnonzero(best == k)
        if not len(rows):
            continue
        label = column_label(column, prefix, names)
        values = X[column].iloc[rows]
        if _is_number(X[column]):
            v = values.astype(float)
            phrase = f"{prefix} {label} " + _level(v, medians[column]) + " (" + _number(v, 1) + ")"
        else:
            value = values.astype("string").fillna("?").astype(object)
            phrase = f"{prefix} {label}: " + value + " (raises the risk)"
        text[rows] = phrase.to_numpy(dtype=object)
    return pd.Series(text, index=index, dtype=object)
