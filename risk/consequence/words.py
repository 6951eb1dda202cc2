"""A pipe's consequence and risk in words, for the pipe card: the grades of the risk matrix
and what a repair closes and does (from ``risk criticality``'s figures).

>>> row = pd.Series({"cof_grade": 4, "risk_grade": 4, "cof_method": "hydraulic",
...                  "closure": "pipe alone", "unserved_peak_m3_per_day": 80.0,
...                  "customers_affected": 1, "critical_sites_affected": 0})
>>> risk_words(row)["consequence_why"]
'A repair closes the pipe: about 80 m³ not delivered on a peak day, 1 customer below service pressure.'
"""

from __future__ import annotations

import pandas as pd

from risk.consequence.matrix import NO_ESTIMATE, NOT_COMPUTED, grade_words
from risk.i18n import DEFAULT_LANGUAGE, format_number, format_quantity, t


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array is not "missing"
        return False


def _number(value, lang: str) -> str:
    return format_number(float(value), lang, decimals=0)


def risk_words(row, lang: str = DEFAULT_LANGUAGE) -> dict:
    """The consequence and risk grades of the risk matrix in words (consequence by proxy
    said so); "not assessed" when the pipe has none; nothing when the table has no grades."""
    if "cof_grade" not in row.index or "risk_grade" not in row.index:
        return {}
    cof = 0 if _missing(row["cof_grade"]) else int(row["cof_grade"])
    consequence = grade_words("consequence", cof, lang)
    if cof and row.get("cof_method") == "proxy":
        consequence += f" ({t('riskmatrix.by_proxy', lang)})"
    risk = 0 if _missing(row["risk_grade"]) else int(row["risk_grade"])
    return {
        "consequence": consequence,
        "consequence_why": consequence_why(row, lang) if cof else _not_assessed_why(row, lang),
        "risk": grade_words("risk", risk, lang),
    }


def _not_assessed_why(row, lang: str) -> str | None:
    """Why a pipe has no consequence (its ``cof_method``, :mod:`risk.consequence.matrix`)."""
    method = row.get("cof_method")
    if isinstance(method, str) and method in (NO_ESTIMATE, NOT_COMPUTED):
        return t(f"card.not_assessed.{method}", lang)
    return None


def consequence_why(row, lang: str = DEFAULT_LANGUAGE) -> str | None:
    """What a repair of the pipe closes and what that does, from ``risk criticality``'s
    figures: "A repair closes its valve segment: about 45 m³ not delivered on a peak day,
    30 customers below service pressure." None without the figures."""
    volume = row.get("unserved_peak_m3_per_day")
    if _missing(volume):
        return None
    closure = "segment" if str(row.get("closure")) == "valve segment" else "alone"
    effects = [
        t("card.effect.volume", lang, volume=format_quantity(float(volume), "m³", lang))
        if float(volume) > 0
        else t("card.effect.no_volume", lang)
    ]
    customers, sites = row.get("customers_affected"), row.get("critical_sites_affected")
    for key, n in (("customers", customers), ("sites", sites)):
        if not _missing(n) and float(n) > 0:
            one = "_one" if float(n) == 1 else ""
            effects.append(t(f"card.effect.{key}{one}", lang, n=_number(n, lang)))
    return t(
        "card.consequence_why",
        lang,
        closure=t(f"card.closure.{closure}", lang),
        effects=t("punct.list_sep", lang).join(effects),
    )
