"""Helpers of the outcome-store tests: a database per test, and writer processes.

Run as a script, it is the writer that ``test_store_durability`` kills with SIGKILL::

    python tests/store_writer.py URL PREFIX

It records outcomes in a loop (single records and batches) and prints each idempotency key
on its own line, flushed, only after the transaction that stored it has committed.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

POSTGRES_ENV = "RISK_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")
INSPECTED_ON = dt.date(2025, 6, 2)


@contextmanager
def database_url(backend: str, tmp_path: Path):
    """A fresh, empty store URL: a SQLite file, or a new PostgreSQL schema dropped afterwards.

    Without ``RISK_TEST_POSTGRES_URL`` the PostgreSQL case skips, or fails when ``CI`` is set
    so that CI cannot pass without running it.
    """
    import pytest

    if backend == "sqlite":
        yield str(tmp_path / "outcomes.sqlite")
        return
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        message = (
            f"{POSTGRES_ENV} is not set: start PostgreSQL with "
            f"'export {POSTGRES_ENV}=\"$(bash .ci/postgres.sh)\"' to run the PostgreSQL tests"
        )
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must not skip them)")
        pytest.skip(message)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(sa.make_url(admin_url).set(drivername="postgresql+psycopg"))
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def outcome(pipe_number: int, **changes) -> dict:
    """A valid outcome of pipe ``P-<pipe_number>``; ``changes`` override fields."""
    row = {
        "pipe_id": f"P-{pipe_number:04d}",
        "result": "leak_found" if pipe_number % 3 == 0 else "nothing_found",
        "inspected_on": INSPECTED_ON,
        "notes": f"checked pipe {pipe_number}",
    }
    if row["result"] == "leak_found":
        # a flow told apart per pipe, within what a leak gives (at most 1,000 m³/h)
        row |= {"leak_kind": "joint", "flow_m3_per_h": 0.25 * (pipe_number % 4_000)}
    return row | changes


def write_concurrently(url: str, worker: int, n_shared: int, n_own: int, barrier, queue) -> None:
    """One of several concurrent writers: shared keys (all workers) and its own keys.

    Puts ``(worker, [(key, outcome_id, created), ...], error_text)`` on ``queue``.
    """
    from risk.store import OutcomeStore

    done, error = [], ""
    try:
        with OutcomeStore(url) as store:
            barrier.wait(timeout=60)
            shared = [(f"shared-{i}", outcome(i)) for i in range(n_shared)]
            own = [(f"own-{worker}-{i}", outcome(1000 * worker + i)) for i in range(n_own)]
            mixed = shared[worker % 2 :: 2] + own + shared[1 - worker % 2 :: 2]
            for key, row in mixed[: len(mixed) // 2]:
                result = store.record(row, user=f"crew-{worker}", idempotency_key=key)
                done.append((key, result.outcome_id, result.created))
            batch = mixed[len(mixed) // 2 :]
            results = store.record_many(
                [row | {"idempotency_key": key} for key, row in batch], user=f"crew-{worker}"
            )
            done += [(r.idempotency_key, r.outcome_id, r.created) for r in results]
    except Exception as exc:  # reported to the test, which fails on it
        error = f"{type(exc).__name__}: {exc}"
    queue.put((worker, done, error))


def main(url: str, prefix: str) -> None:
    from risk.store import OutcomeStore

    store = OutcomeStore(url)
    number = 0
    while True:  # until killed
        if number % 4 == 3:
            rows = [outcome(number + i, idempotency_key=f"{prefix}-{number + i}") for i in range(5)]
            for result in store.record_many(rows, user="writer"):
                print(result.idempotency_key, flush=True)
            number += 5
        else:
            key = f"{prefix}-{number}"
            store.record(outcome(number), user="writer", idempotency_key=key)
            print(key, flush=True)
            number += 1


if __name__ == "__main__":
    main(*sys.argv[1:3])
