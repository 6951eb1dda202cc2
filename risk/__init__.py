"""Water-network leak-risk analytics: ingest a utility's network, score, dispatch, learn.

The public API, one stage per module:

- :func:`read_utility` (``risk.ingest``): check a utility folder against the data contract.
- :func:`write_workspace` / :func:`load_workspace` (``risk.workspace``): the loaded network on disk.
- :class:`InputError` (``risk.errors``): what the user can fix; a subclass of ``ValueError``.
"""

from risk.contract import DataContractError, Problem
from risk.errors import InputError
from risk.ingest import read_utility
from risk.utility import UtilityData
from risk.workspace import load_workspace, write_workspace

__version__ = "0.1.0"

__all__ = [
    "DataContractError",
    "InputError",
    "Problem",
    "UtilityData",
    "load_workspace",
    "read_utility",
    "write_workspace",
]
