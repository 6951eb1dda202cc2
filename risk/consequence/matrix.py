"""Risk = likelihood x consequence: each pipe's place in a 5 x 5 risk matrix, and the matrix.

>>> result = assess_risk(scores, consequence, pipes=data.pipes)  # doctest: +SKIP
>>> result.cells  # pipes, km and expected failures per cell  # doctest: +SKIP
>>> result.cell(4, 5)  # the pipes of one cell, riskiest first  # doctest: +SKIP

**Likelihood** (rows), graded from ``probability`` of ``scores.parquet`` (``risk score``):
the probability of at least one failure within the scores' horizon (one year unless the
model was trained for another). A probability is what the matrix's rows mean ("how likely
is this pipe to fail?"), it stays within 0-1 whatever the pipe's length, and its grades read
as return periods. ``likelihood_thresholds`` in ``[criticality]`` (default 0.01, 0.03, 0.1,
0.3: once in 100, 30, 10 and 3 years) are where grades 2-5 begin:

| grade | name | probability in a year | sample town (20,000 segments) |
|---|---|---|---|
| 1 | rare | < 1 % (less than once in 100 years) | 39 % of pipes |
| 2 | unlikely | 1-3 % | 33 % |
| 3 | possible | 3-10 % | 17 % |
| 4 | likely | 10-30 % (once in 3-10 years) | 9 % |
| 5 | almost certain | >= 30 % | 1.5 % |

**Consequence** (columns): ``cof_grade`` of ``consequence.parquet`` (``risk criticality``),
re-derived from its ``cof_score`` with the current ``grade_thresholds`` (the same rule,
:func:`risk.consequence.score.cof_grade`), so that new thresholds need no new simulation.
``method`` (``hydraulic`` or ``proxy``) goes with it wherever it is shown. A pipe without a
consequence row, or with an unknown one (grade 0), is **not assessed**: grade 0, risk
``not_assessed``, never graded 1.

**Risk grade**: :data:`RISK_MATRIX`, an asymmetric matrix as utilities use, where consequence
weighs more than likelihood (a severe consequence is at least ``high`` however rare; a
negligible one at most ``low`` however likely)::

    likelihood \\ consequence  negligible  minor       moderate  major    severe
    5 almost certain          low         medium      high      extreme  extreme
    4 likely                  low         medium      high      high     extreme
    3 possible                negligible  low         medium    high     high
    2 unlikely                negligible  low         medium    medium   high
    1 rare                    negligible  negligible  low       medium   high

**Risk score** (continuous, to rank): ``expected_failures x cof_score``, failures expected
within the horizon weighted by the consequence of each (0-1): it adds up over a set of
pipes. Pipes are ranked (``risk_rank``, 1 first) by risk grade, then by risk score within
a grade (so that the list never puts a ``medium`` pipe above a ``high`` one: the matrix's
weighting of consequence is the utility's policy), then by expected failures (most pipes
have a score of 0: no measurable consequence). Pipes not assessed have no rank.

>>> likelihood_grade(np.array([0.005, 0.01, 0.05, 0.2, 0.5, np.nan]), (0.01, 0.03, 0.1, 0.3))
array([1, 2, 3, 4, 5, 0])
>>> risk_grade(np.array([1, 5, 3, 2]), np.array([5, 1, 3, 0])).tolist()
[4, 2, 3, 0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.consequence.score import cof_grade
from risk.consequence.settings import GRADE_NAMES, CriticalitySettings
from risk.errors import InputError

#: What a closure does, carried from ``consequence.parquet`` to say why a consequence is
#: graded so (the pipe card): what a repair closes, water short on a peak day, customers
#: and critical sites affected.
EFFECTS = (
    "closure",
    "unserved_peak_m3_per_day",
    "customers_affected",
    "critical_sites_affected",
)
#: Likelihood grades 1-5 (rows of the matrix).
LIKELIHOOD_NAMES = ("rare", "unlikely", "possible", "likely", "almost_certain")
#: Consequence grades 1-5 (columns), as in ``consequence.parquet``.
CONSEQUENCE_NAMES = GRADE_NAMES
#: Risk grades 1-5 of the cells.
RISK_NAMES = ("negligible", "low", "medium", "high", "extreme")
#: Name of grade 0: a pipe without a consequence (or a likelihood) is not graded.
NOT_ASSESSED = "not_assessed"
#: ``cof_method`` of a pipe without a consequence: none could be estimated (no line to cut,
#: not in the EPANET model), or it was not in the network when ``risk criticality`` ran.
NO_ESTIMATE, NOT_COMPUTED = "no_estimate", "not_computed"
#: Risk grade of each cell: ``RISK_MATRIX[likelihood - 1][consequence - 1]``.
RISK_MATRIX = (
    (1, 1, 2, 3, 4),  # rare
    (1, 2, 3, 3, 4),  # unlikely
    (1, 2, 3, 4, 4),  # possible
    (2, 3, 4, 4, 5),  # likely
    (2, 3, 4, 5, 5),  # almost certain
)
#: Colours (RGB) of grades 1-5, of risk (green to the dark red of the map's riskiest band)
#: and of consequence (a purple scale, apart from the red of likelihood).
_GRADE_COLOURS = (
    # risk, consequence
    ((110, 170, 120), (175, 200, 235)),  # negligible, negligible
    ((230, 210, 90), (140, 150, 200)),  # low, minor
    ((245, 160, 40), (136, 86, 167)),  # medium, moderate
    ((230, 70, 50), (129, 15, 124)),  # high, major
    ((165, 0, 38), (77, 0, 75)),  # extreme, severe
)
#: Colours of the risk grades, by name.
RISK_COLOURS = {name: risk for name, (risk, _) in zip(RISK_NAMES, _GRADE_COLOURS, strict=True)}
#: Colours of the consequence grades, by name.
CONSEQUENCE_COLOURS = {
    name: consequence
    for name, (_, consequence) in zip(CONSEQUENCE_NAMES, _GRADE_COLOURS, strict=True)
}
#: Colour of pipes not assessed.
NOT_ASSESSED_COLOUR = (150, 150, 150)
#: Line width on the map by grade 0-5, pixels (the graver, the wider).
GRADE_WIDTH_PX = (1, 1, 1, 2, 3, 4)
#: Modes of the map besides likelihood (its bands by rank, :mod:`risk.maplayers`).
MAP_MODES = ("likelihood", "consequence", "risk")

#: Columns of :attr:`RiskResult.pipes`.
COLUMNS = (
    "pipe_id", "risk_rank", "risk_grade", "risk_name", "risk_score",
    "lof_grade", "lof_name", "probability", "expected_failures",
    "cof_grade", "cof_name", "cof_score", "cof_method", *EFFECTS,
    "length_m", "material", "unit_id", "top_reasons",
)  # fmt: skip


def likelihood_grade(probability, thresholds) -> np.ndarray:
    """Likelihood grade 1-5 of each probability (grade g from the (g-1)-th threshold on);
    0 where it is missing."""
    p = np.asarray(probability, dtype=float)
    grade = np.searchsorted(np.asarray(thresholds, dtype=float), p, side="right") + 1
    return np.where(np.isnan(p), 0, grade)


def yearly_probability(probability, horizon_years: int) -> np.ndarray:
    """The yearly chance of at least one failure from that over ``horizon_years``.

    >>> yearly_probability(np.array([0.271, 0.1]), 3).round(3)
    array([0.1  , 0.035])
    """
    p = np.clip(np.asarray(probability, dtype=float), 0.0, 1.0)
    return 1.0 - (1.0 - p) ** (1.0 / max(int(horizon_years), 1))


def risk_grade(lof, cof) -> np.ndarray:
    """Risk grade 1-5 of each (likelihood, consequence) pair by :data:`RISK_MATRIX`; 0 where
    either is 0 (not assessed)."""
    lof = np.asarray(lof, dtype=int)
    cof = np.asarray(cof, dtype=int)
    table = np.zeros((6, 6), dtype=int)
    table[1:, 1:] = RISK_MATRIX
    return table[np.clip(lof, 0, 5), np.clip(cof, 0, 5)]


def grade_name(kind: str, grade: int) -> str:
    """``likelihood``, ``consequence`` or ``risk`` grade 1-5 as its code; 0: not assessed."""
    names = {"likelihood": LIKELIHOOD_NAMES, "consequence": CONSEQUENCE_NAMES, "risk": RISK_NAMES}
    return names[kind][grade - 1] if 1 <= grade <= 5 else NOT_ASSESSED


@dataclass
class RiskResult:
    """Every scored pipe in the matrix, and the matrix.

    Attributes
    ----------
    pipes : DataFrame
        One row per scored pipe (:data:`COLUMNS`), by ``risk_rank`` (not assessed last).
    cells : DataFrame
        One row per likelihood 1-5 and consequence 0-5 (0: not assessed): ``lof_grade``,
        ``cof_grade``, ``risk_grade``, ``risk_name``, ``pipes``, ``length_km``,
        ``expected_failures``, ``proxy_pipes`` (pipes whose consequence is a proxy).
    assessed : bool
        False when there was no consequence table at all (``risk criticality`` not run).
    likelihood_thresholds : tuple
        Probabilities at which likelihood grades 2-5 begin (the settings used).
    """

    pipes: pd.DataFrame
    cells: pd.DataFrame
    assessed: bool
    likelihood_thresholds: tuple = CriticalitySettings().likelihood_thresholds

    def cell(self, lof: int, cof: int) -> pd.DataFrame:
        """The pipes of one cell (``cof`` 0: consequence not assessed), riskiest first."""
        rows = self.pipes[(self.pipes["lof_grade"] == lof) & (self.pipes["cof_grade"] == cof)]
        return rows.reset_index(drop=True)

    def counts(self) -> pd.DataFrame:
        """Pipes per cell: likelihood 5 to 1 (rows) by consequence 1-5 and 0 (columns)."""
        grid = self.cells.pivot(index="lof_grade", columns="cof_grade", values="pipes")
        return grid.loc[[5, 4, 3, 2, 1], [1, 2, 3, 4, 5, 0]]

    def of(self, pipe_ids) -> RiskResult:
        """The matrix of some pipes only (the risk map's filters): the same grades, cells
        counted again on them."""
        pipes = self.pipes[self.pipes["pipe_id"].isin(pd.Index(pipe_ids).astype(str))]
        pipes = pipes.reset_index(drop=True)
        return RiskResult(pipes, _cells(pipes), self.assessed, self.likelihood_thresholds)

    def summary(self) -> dict:
        """Pipes per risk grade (and not assessed), pipes by proxy, expected failures of the
        pipes graded high or extreme."""
        grades = self.pipes["risk_grade"].to_numpy()
        out = {grade_name("risk", g): int((grades == g).sum()) for g in (5, 4, 3, 2, 1, 0)}
        graded = self.pipes[grades > 0]
        return {
            "pipes": len(self.pipes),
            "grades": out,
            "proxy_pipes": int((graded["cof_method"] == "proxy").sum()),
            "high_or_extreme_expected_failures": float(
                graded.loc[graded["risk_grade"] >= 4, "expected_failures"].sum()
            ),
        }


def assess_risk(
    scores: pd.DataFrame,
    consequence: pd.DataFrame | None,
    *,
    pipes: pd.DataFrame | None = None,
    settings: CriticalitySettings | None = None,
    horizon_years: int = 1,
) -> RiskResult:
    """Join likelihood (``scores.parquet``) and consequence (``consequence.parquet``) per
    ``pipe_id`` and grade every scored pipe (see the module).

    Parameters
    ----------
    scores : DataFrame
        ``pipe_id``, ``probability``, ``expected_failures``; ``length_m``, ``unit_id`` and
        ``top_reasons`` when present.
    consequence : DataFrame or None
        ``pipe_id``, ``cof_score``, ``method`` (and ``cof_grade``: 0 marks an unknown
        consequence); None when ``risk criticality`` has not run: every pipe not assessed.
    pipes : DataFrame, optional
        The network, for ``material`` (and ``length_m`` when the scores lack it).
    settings : CriticalitySettings, optional
        ``likelihood_thresholds`` and ``grade_thresholds`` (defaults otherwise).
    horizon_years : int
        Horizon of the scores' probabilities. The likelihood grades are yearly: a
        probability ``p`` over ``h`` years is graded as ``1 - (1 - p) ** (1 / h)`` (the same
        yearly chance each year), so that a 3-year model and a 1-year model agree.
    """
    settings = settings or CriticalitySettings()
    missing = [c for c in ("pipe_id", "probability", "expected_failures") if c not in scores]
    if missing:
        raise InputError(f"scores lack {', '.join(missing)}: run 'risk score WORKSPACE' again")
    table = scores.assign(pipe_id=scores["pipe_id"].astype(str)).drop_duplicates("pipe_id")
    table = table.reset_index(drop=True)
    out = pd.DataFrame({"pipe_id": table["pipe_id"]})
    out["probability"] = pd.to_numeric(table["probability"], errors="coerce").astype(float)
    out["expected_failures"] = pd.to_numeric(table["expected_failures"], errors="coerce")
    yearly = yearly_probability(out["probability"], horizon_years)
    out["lof_grade"] = likelihood_grade(yearly, settings.likelihood_thresholds)

    score = pd.Series(np.nan, index=out.index)
    method = pd.Series(pd.NA, index=out.index, dtype="string")
    if consequence is not None and len(consequence):
        cof = consequence.assign(pipe_id=consequence["pipe_id"].astype(str))
        cof = cof.drop_duplicates("pipe_id").set_index("pipe_id")
        known = pd.to_numeric(cof["cof_score"], errors="coerce")
        if "cof_grade" in cof:  # grade 0: unknown (no geometry and no model)
            known = known.where(pd.to_numeric(cof["cof_grade"], errors="coerce") != 0)
        score = out["pipe_id"].map(known).astype(float)
        method = out["pipe_id"].map(cof["method"]).astype("string").where(score.notna())
        # why a pipe has none, for its card: no method could estimate it, or it was not in
        # the network when the consequence was worked out
        listed = out["pipe_id"].isin(cof.index)
        method = method.mask(score.isna() & listed, NO_ESTIMATE)
        method = method.mask(score.isna() & ~listed, NOT_COMPUTED)
    out["cof_score"] = score
    out["cof_grade"] = np.where(score.notna(), cof_grade(score.fillna(0), settings), 0)
    out["cof_method"] = method
    for column in EFFECTS:
        known_rows = score.notna()
        if consequence is not None and len(consequence) and column in cof:
            out[column] = out["pipe_id"].map(cof[column]).where(known_rows)
        else:
            out[column] = np.nan
    out["risk_grade"] = risk_grade(out["lof_grade"], out["cof_grade"])
    out["risk_score"] = (out["expected_failures"] * out["cof_score"]).where(out["risk_grade"] > 0)
    for kind, column in (("likelihood", "lof"), ("consequence", "cof"), ("risk", "risk")):
        out[f"{column}_name"] = [grade_name(kind, g) for g in out[f"{column}_grade"]]

    lengths = pd.to_numeric(table["length_m"], errors="coerce") if "length_m" in table else None
    attributes = None
    if pipes is not None and len(pipes):
        keep = [c for c in ("pipe_id", "material", "length_m") if c in pipes]
        attributes = pd.DataFrame(pipes[keep]).assign(pipe_id=lambda d: d["pipe_id"].astype(str))
        attributes = attributes.drop_duplicates("pipe_id").set_index("pipe_id")
    if lengths is None and attributes is not None and "length_m" in attributes:
        lengths = out["pipe_id"].map(attributes["length_m"])
    out["length_m"] = lengths.to_numpy(dtype=float) if lengths is not None else np.nan
    out["material"] = (
        out["pipe_id"].map(attributes["material"])
        if attributes is not None and "material" in attributes
        else pd.NA
    )
    for column in ("unit_id", "top_reasons"):
        out[column] = table[column].to_numpy() if column in table else pd.NA

    order = np.lexsort(
        (
            out["pipe_id"].to_numpy(),
            -out["expected_failures"].fillna(0).to_numpy(),
            -out["risk_score"].fillna(-1).to_numpy(),
            -out["risk_grade"].to_numpy(),
        )
    )
    out = out.iloc[order].reset_index(drop=True)
    assessed_rows = (out["risk_grade"] > 0).to_numpy()
    out["risk_rank"] = pd.Series(np.cumsum(assessed_rows), dtype="Int64").where(assessed_rows)
    out = out[list(COLUMNS)]
    return RiskResult(
        pipes=out,
        cells=_cells(out),
        assessed=consequence is not None and len(consequence) > 0,
        likelihood_thresholds=tuple(settings.likelihood_thresholds),
    )


def _cells(pipes: pd.DataFrame) -> pd.DataFrame:
    """Pipes, km, expected failures and proxy pipes per (likelihood 1-5, consequence 0-5)."""
    grid = pd.MultiIndex.from_product([range(1, 6), range(0, 6)], names=["lof_grade", "cof_grade"])
    graded = pipes[pipes["lof_grade"] > 0]
    grouped = graded.groupby(["lof_grade", "cof_grade"])
    cells = pd.DataFrame(
        {
            "pipes": grouped.size(),
            "length_km": grouped["length_m"].sum(min_count=1) / 1000.0,
            "expected_failures": grouped["expected_failures"].sum(),
            "proxy_pipes": grouped["cof_method"].agg(lambda m: int((m == "proxy").sum())),
        }
    ).reindex(grid)
    cells = cells.fillna({"pipes": 0, "expected_failures": 0.0, "proxy_pipes": 0})
    cells[["pipes", "proxy_pipes"]] = cells[["pipes", "proxy_pipes"]].astype(int)
    cells = cells.reset_index()
    cells["risk_grade"] = risk_grade(cells["lof_grade"], cells["cof_grade"])
    cells["risk_name"] = [grade_name("risk", g) for g in cells["risk_grade"]]
    return cells


def read_risk(
    workspace,
    *,
    scores: pd.DataFrame | None = None,
    pipes: pd.DataFrame | None = None,
    settings: CriticalitySettings | None = None,
) -> RiskResult | None:
    """:func:`assess_risk` of a workspace: ``scores.parquet``, ``consequence.parquet`` when
    present, the network's pipes and ``[criticality]`` of ``settings.toml``, each read here
    unless given. None when the workspace has no scores."""
    from risk.settings import read_settings
    from risk.workspace import Workspace, load_workspace

    ws = Workspace(workspace)
    if scores is None:
        scores = ws.read_scores()
        if scores is None:
            return None
    if settings is None:
        values = read_settings(workspace).get("criticality", {})
        settings = CriticalitySettings.from_mapping(values)
    consequence = ws.read_consequence()
    if pipes is None:
        pipes = load_workspace(workspace).pipes
    horizon = ws.read_scores_basis()["horizon_years"]
    return assess_risk(scores, consequence, pipes=pipes, settings=settings, horizon_years=horizon)


# -- what the map and the page show ----------------------------------------------------------


def map_classes(pipe_ids, result: RiskResult | None, mode: str) -> np.ndarray:
    """Class of each map pipe (``pipe_ids``, the map table's order) in ``mode``
    (``consequence`` or ``risk``): ``<mode>_<grade>``, grade 0 for pipes not assessed
    (no consequence row, not scored, or no ``result``)."""
    ids = pd.Series(np.asarray(pipe_ids, dtype=str))
    if result is None:
        grades = np.zeros(len(ids), dtype=int)
    else:
        column = "cof_grade" if mode == "consequence" else "risk_grade"
        by_pipe = result.pipes.set_index("pipe_id")[column]
        grades = ids.map(by_pipe).fillna(0).to_numpy(dtype=int)
    return np.array([f"{mode}_{g}" for g in range(6)], dtype=object)[grades]


def map_palette(mode: str) -> list[tuple[str, tuple[int, int, int], int]]:
    """(class, colour, width in pixels) of :func:`map_classes` in drawing order: not
    assessed first, the gravest last (on top)."""
    colours = list((RISK_COLOURS if mode == "risk" else CONSEQUENCE_COLOURS).values())
    return [(f"{mode}_0", NOT_ASSESSED_COLOUR, GRADE_WIDTH_PX[0])] + [
        (f"{mode}_{g}", colours[g - 1], GRADE_WIDTH_PX[g]) for g in range(1, 6)
    ]


def grade_words(kind: str, grade: int, lang: str = "en") -> str:
    """A grade in words in ``lang``: "likely", "major", "extreme", "not assessed"."""
    from risk.i18n import t

    return t(f"riskmatrix.{kind}.{grade_name(kind, int(grade))}", lang)


def matrix_table(result: RiskResult, lang: str = "en") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The matrix for a person: likelihood 5 to 1 (rows, with their probabilities) by
    consequence 1-5 and, when some pipes have none, "not assessed" (columns); each cell
    "pipes · km · expected failures" (fewer decimals as numbers grow, to fit). Returns the
    texts and, of the same shape, the CSS background of each cell (its risk grade's
    colour)."""
    from risk.i18n import format_number, t

    cells = result.cells.set_index(["lof_grade", "cof_grade"])
    columns = [grade_words("consequence", c, lang) for c in (1, 2, 3, 4, 5)]
    if cells.xs(0, level="cof_grade")["pipes"].sum():
        columns.append(t("riskmatrix.column_not_assessed", lang))
    first = t("riskmatrix.likelihood", lang)
    texts, colours = [], []
    for lof in (5, 4, 3, 2, 1):
        row, styles = {first: _likelihood_label(result, lof, lang)}, {first: ""}
        for name, cof in zip(columns, (1, 2, 3, 4, 5, 0), strict=False):
            cell = cells.loc[(lof, cof)]
            row[name] = (
                "–"  # none: as other tables write it
                if not cell["pipes"]
                else t(
                    "riskmatrix.cell",
                    lang,
                    pipes=format_number(cell["pipes"], lang),
                    km=format_number(
                        cell["length_km"], lang, decimals=_decimals(cell["length_km"], 1)
                    ),
                    failures=format_number(
                        cell["expected_failures"],
                        lang,
                        decimals=_decimals(cell["expected_failures"], 2),
                    ),
                )
            )
            rgb = RISK_COLOURS.get(grade_name("risk", int(cell["risk_grade"])), (235, 235, 235))
            ink = "#fff" if int(cell["risk_grade"]) == 5 else "#000"
            styles[name] = f"background-color: rgb{rgb}; color: {ink}"
        texts.append(row)
        colours.append(styles)
    return pd.DataFrame(texts), pd.DataFrame(colours)


def _decimals(value: float, most: int) -> int:
    """Decimals of a number in a cell of the matrix: ``most`` under 10, at most 1 under 100,
    none from 100 (the cells stay short enough to read whole)."""
    return most if value < 10 else min(most, 1) if value < 100 else 0


def _likelihood_label(result: RiskResult, lof: int, lang: str) -> str:
    """ "likely (10-30 %)": the row's grade and its probabilities within the horizon."""
    from risk.i18n import format_percent

    bounds = (0.0, *result.likelihood_thresholds, None)
    low, high = bounds[lof - 1], bounds[lof]
    share = lambda p: format_percent(p, lang, decimals=0 if p * 100 == round(p * 100) else 1)  # noqa: E731
    span = f"< {share(high)}" if lof == 1 else f"≥ {share(low)}" if lof == 5 else (
        f"{share(low)} – {share(high)}")  # fmt: skip
    return f"{grade_words('likelihood', lof, lang)} ({span})"


def cell_table(
    result: RiskResult, lof: int, cof: int, lang: str = "en", *, limit: int | None = None
) -> pd.DataFrame:
    """The pipes of one cell for a person (the ``limit`` riskiest): id, unit, material, the
    three grades in words (the consequence says when it comes from proxies), expected
    failures, reasons."""
    from risk.i18n import format_number, label, t
    from risk.pipecard import reasons_in_words

    rows = result.cell(lof, cof)
    rows = rows.head(limit) if limit is not None else rows
    proxy = t("riskmatrix.by_proxy", lang)
    consequence = [
        grade_words("consequence", g, lang) + (f" ({proxy})" if m == "proxy" else "")
        for g, m in zip(rows["cof_grade"], rows["cof_method"].fillna(""), strict=True)
    ]
    return pd.DataFrame(
        {
            t("riskmatrix.col.rank", lang): [
                "–" if pd.isna(r) else format_number(int(r), lang) for r in rows["risk_rank"]
            ],
            t("riskmatrix.col.pipe", lang): rows["pipe_id"].to_numpy(),
            t("riskmatrix.col.unit", lang): [
                "–" if pd.isna(u) else str(u) for u in rows["unit_id"]
            ],
            t("riskmatrix.col.material", lang): [
                label("material", m, lang) for m in rows["material"]
            ],
            t("riskmatrix.col.likelihood", lang): [
                grade_words("likelihood", g, lang) for g in rows["lof_grade"]
            ],
            t("riskmatrix.col.consequence", lang): consequence,
            t("riskmatrix.col.risk", lang): [
                grade_words("risk", g, lang) for g in rows["risk_grade"]
            ],
            t("riskmatrix.col.expected", lang): [
                format_number(v, lang, decimals=2) for v in rows["expected_failures"]
            ],
            t("riskmatrix.col.reasons", lang): [
                "; ".join(reasons_in_words(r, lang)) for r in rows["top_reasons"]
            ],
        }
    )


def with_grades(table: pd.DataFrame, result: RiskResult | None) -> pd.DataFrame:
    """``table`` (one row per pipe, e.g. the map's) with ``lof_grade``, ``cof_grade``,
    ``cof_method`` and ``risk_grade`` of ``result`` by ``pipe_id``, in the same row order (0
    where not assessed); ``table`` itself when there is no consequence."""
    if result is None or not result.assessed:
        return table
    by_pipe = result.pipes.set_index("pipe_id")
    ids = table["pipe_id"].astype(str)
    out = table.copy()
    for column in ("lof_grade", "cof_grade", "risk_grade"):
        out[column] = ids.map(by_pipe[column]).fillna(0).astype(int).to_numpy()
    out["cof_method"] = ids.map(by_pipe["cof_method"]).astype("string").to_numpy()
    for column in EFFECTS:
        out[column] = ids.map(by_pipe[column]).to_numpy()
    return out
