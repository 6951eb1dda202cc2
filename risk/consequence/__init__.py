"""Consequence of failure: what closing a pipe costs the people it serves.

>>> from risk.consequence import assess_consequence, write_consequence
>>> result = assess_consequence(data, "my-utility")  # doctest: +SKIP
>>> write_consequence(result, "data/workspace/my-utility")  # doctest: +SKIP

Modules: ``settings`` (every default, documented), ``network`` (the EPANET model, customers,
critical sites, matching model pipes to GIS pipes), ``graph`` (what a closure cuts off),
``toolkit`` (EPANET 2.2 held open), ``hydraulic`` (closures in parallel), ``proxy``
(without a model), ``score`` (score, grade, agreement), ``assess`` (the table).
See ``docs/criticality.md``.
"""

import importlib

#: Public names and their modules, imported when first used: worker processes import
#: ``risk.consequence.hydraulic`` only, not the tables and geometry of ``assess``.
_PUBLIC = {
    "COLUMNS": "risk.consequence.assess",
    "CONSEQUENCE_FILE": "risk.consequence.assess",
    "ConsequenceResult": "risk.consequence.assess",
    "assess_consequence": "risk.consequence.assess",
    "write_consequence": "risk.consequence.assess",
    "GRADE_NAMES": "risk.consequence.settings",
    "CriticalitySettings": "risk.consequence.settings",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
