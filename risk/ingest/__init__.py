"""Ingestion: read a utility folder, check it against the data contract, link records.

>>> data = read_utility("my-utility", mapping="my-utility/mapping.toml")  # doctest: +SKIP
>>> data.pipes.head()  # doctest: +SKIP

Every problem is collected before anything is raised, so one run lists all that
must be fixed. Fatal problems raise :class:`risk.contract.DataContractError`.


Modules: ``reader`` (:func:`read_utility`), ``layers`` (one reader per layer), ``checks``
(steps across layers).
"""

from risk.ingest.checks import follow_merged, unify_crs, warn_breaks, warn_outside_soils
from risk.ingest.layers import LAYER_READERS, read_pipes
from risk.ingest.reader import read_utility

__all__ = [
    "LAYER_READERS",
    "follow_merged",
    "read_pipes",
    "read_utility",
    "unify_crs",
    "warn_breaks",
    "warn_outside_soils",
]
