"""The outcome store under crashes and concurrency: nothing acknowledged is lost or doubled.

Every test runs on SQLite, and on PostgreSQL when RISK_TEST_POSTGRES_URL is set.
"""

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path

import pytest
from store_writer import BACKENDS, database_url

from risk.store import OutcomeStore

WRITER = Path(__file__).with_name("store_writer.py")
ACKS_BEFORE_KILL = 200
N_WRITERS = 8
N_SHARED_KEYS = 20
N_OWN_KEYS = 15


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with database_url(request.param, tmp_path) as url:
        yield url


def test_sigkill_during_writes_loses_no_acknowledged_outcome(url):
    with OutcomeStore(url):  # the schema exists before the writer starts
        pass
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[1])}
    command = [sys.executable, str(WRITER), url, "killed"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as writer:
        watchdog = threading.Timer(60, writer.kill)  # never hang the suite
        watchdog.start()
        acknowledged = []
        try:
            for line in writer.stdout:
                acknowledged.append(line.strip())
                if len(acknowledged) >= ACKS_BEFORE_KILL:
                    break
            os.kill(writer.pid, signal.SIGKILL)  # in the middle of the next writes
            writer.wait()
            # Acknowledgements already in the pipe when the writer died count too.
            acknowledged += writer.stdout.read().split()
            errors = writer.stderr.read()
        finally:
            watchdog.cancel()
            watchdog.join()

    assert writer.returncode == -signal.SIGKILL, errors
    assert len(acknowledged) >= ACKS_BEFORE_KILL, errors
    with OutcomeStore(url) as store:
        stored = set(store.outcomes()["idempotency_key"])
        assert set(acknowledged) <= stored
        # At most the transaction in flight (a batch of 5) committed without its ack printed.
        assert len(stored - set(acknowledged)) <= 5
        assert len(store.audit()) == len(stored)
        if store.engine.dialect.name == "sqlite":
            with store.engine.connect() as connection:
                check = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
            assert check == ["ok"]


@pytest.mark.slow
def test_eight_concurrent_writers_store_every_outcome_exactly_once(url):
    """Eight processes open a new store at once and write overlapping keys."""
    from store_writer import write_concurrently

    # fork starts in milliseconds (spawn re-imports pandas in each child: ~8 s on 2 cores);
    # forking a process that runs threads is unsafe, so fall back to spawn then.
    alone = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if alone else "spawn")
    barrier = context.Barrier(N_WRITERS)
    queue = context.Queue()
    workers = [
        context.Process(
            target=write_concurrently,
            args=(url, worker, N_SHARED_KEYS, N_OWN_KEYS, barrier, queue),
        )
        for worker in range(N_WRITERS)
    ]
    for worker in workers:
        worker.start()
    try:
        reports = [queue.get(timeout=120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
                worker.join()
            worker.close()
        queue.close()

    assert [error for _, _, error in reports if error] == []
    ids, created = defaultdict(set), defaultdict(int)
    for _, done, _ in reports:
        assert len(done) == N_SHARED_KEYS + N_OWN_KEYS
        for key, outcome_id, was_created in done:
            ids[key].add(outcome_id)
            created[key] += was_created
    expected = N_SHARED_KEYS + N_WRITERS * N_OWN_KEYS
    assert len(ids) == expected
    assert all(len(found) == 1 for found in ids.values()), "a key got two outcome ids"
    assert set(created.values()) == {1}, "a key was created twice or never"

    with OutcomeStore(url) as store:
        table = store.outcomes()
        assert len(table) == expected
        assert table["idempotency_key"].is_unique
        assert dict(zip(table["idempotency_key"], table["outcome_id"], strict=True)) == {
            key: found.pop() for key, found in ids.items()
        }
        assert len(store.audit()) == expected
