"""Connecting to a Dask cluster, or starting a local one."""

from __future__ import annotations

import xgboost.dask  # noqa: F401  (makes xgb.dask available)
from distributed import Client

#: Seconds to wait for a scheduler given by address before giving up.
SCHEDULER_TIMEOUT_S = 10.0


class SchedulerUnreachableError(ConnectionError):
    """The Dask scheduler given by address did not answer."""


def connect(
    scheduler: str | None = None,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    *,
    processes: bool = True,
    timeout: float | None = None,
) -> Client:
    """A Dask client: to the scheduler at ``scheduler``, else to a new local cluster.

    The local cluster (``n_workers`` processes of ``threads_per_worker`` threads, listening
    on 127.0.0.1, no dashboard) is closed with the client. Nothing here reaches the internet.

    Raises
    ------
    SchedulerUnreachableError
        When ``scheduler`` does not answer within ``timeout`` seconds
        (default :data:`SCHEDULER_TIMEOUT_S`) or is not an address.
    """
    timeout = SCHEDULER_TIMEOUT_S if timeout is None else float(timeout)
    if scheduler:
        try:
            return Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as error:
            raise SchedulerUnreachableError(
                f"could not reach the Dask scheduler at {scheduler!r} ({error}). Start one with "
                "'dask scheduler' and workers with 'dask worker tcp://HOST:8786', check the "
                "address (tcp://host:port) and the firewall, or leave out --scheduler to run "
                "a local cluster on this machine."
            ) from error
    return Client(
        n_workers=int(n_workers),
        threads_per_worker=int(threads_per_worker),
        processes=processes,
        host="127.0.0.1",
        dashboard_address=None,
        # the scheduler's HTTP endpoints (health, metrics) still listen: on a free port
        # of the loopback interface rather than 8787, which another cluster may hold
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )
