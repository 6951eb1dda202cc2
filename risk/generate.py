"""Entry point for ``risk generate``: write the built-in synthetic sample utility.

The implementation lives in :mod:`risk.sample`.
"""

from risk.sample import GENERATOR_VERSION, HazardParams, generate_utility

__all__ = ["GENERATOR_VERSION", "HazardParams", "generate_utility"]
