"""The built-in sample utility: a synthetic town with a known failure process.

>>> from risk.sample import generate_utility
>>> generate_utility("data/sample", n_segments=20_000, seed=0)  # doctest: +SKIP

Modules: ``network`` (streets and segments), ``attributes`` (materials, diameters,
zones), ``context`` (soils, weather, stations, welds), ``hazard`` (the failure
process), ``records`` (break history and hidden leaks), ``epanet`` (the hydraulic model,
customers and critical sites), ``writer`` (the folder).
"""

from risk.sample.hazard import HazardParams
from risk.sample.town import GENERATOR_VERSION, build_town, generate_utility

__all__ = ["GENERATOR_VERSION", "HazardParams", "build_town", "generate_utility"]
