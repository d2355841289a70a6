"""The guarantees that need processes: ≥ 8 concurrent writers never overdraw and end where a serial
replay of the committed journal ends; a writer killed with SIGKILL mid-batch leaves whole
transactions or none."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time

import pytest
from sqlalchemy import text

from openets.services.journal import verify
from openets.services.queries import RegistryQueries
from openets.services.reconcile import reconcile
from openets.testing import workers
from openets.testing.builders import build_world

pytestmark = pytest.mark.slow
WRITERS = 8


def test_eight_writers_no_overdraft_and_replay_matches(db_url, engine) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, companies=8, allocate=10_000)
    accounts = [(a.id, actor.user) for a, actor in zip(w.accounts, w.companies)]
    ctx = mp.get_context("spawn")
    with ctx.Pool(WRITERS) as pool:
        results = pool.starmap(workers.hammer, [(db_url, accounts, w.unit_class.id, 120, seed)
                                                for seed in range(WRITERS)])
    committed = sum(r.get("committed", 0) for r in results)
    refused = {k: sum(r.get(k, 0) for r in results) for r in results for k in r if k not in ("committed", "replayed")}
    assert committed > 0 and refused.get("available_balance", 0) > 0  # contention really happened
    assert set(refused) <= {"available_balance"}, refused  # every attempt: committed or refused by a rule
    with engine.connect() as conn:
        n_txn = conn.execute(text("SELECT count(*) FROM transactions WHERE type IN ('transfer', 'surrender')"
                                  " AND actor_role = 'company'")).scalar_one()
        shared = conn.execute(text("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'shared-%'")).scalar_one()
        distinct_shared = conn.execute(text("SELECT count(DISTINCT key) FROM idempotency_keys "
                                            "WHERE key LIKE 'shared-%'")).scalar_one()
        negative = conn.execute(text("SELECT count(*) FROM positions WHERE total < reserved OR total < 0")).scalar_one()
    assert n_txn == committed
    assert shared == distinct_shared  # one effect per shared key, whatever the number of processes
    assert negative == 0
    assert reconcile(engine) == []
    assert all(t.conserved for t in RegistryQueries(engine).totals())
    assert verify(engine).ok


def test_sigkill_mid_batch_leaves_whole_transactions(db_url, engine) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, companies=2, allocate=100_000)
    accounts = [(a.id, actor.user) for a, actor in zip(w.accounts, w.companies)]
    ctx = mp.get_context("spawn")
    for round_ in range(3):
        proc = ctx.Process(target=workers.batch_writer, args=(db_url, accounts, w.unit_class.id, 400, round_))
        proc.start()
        deadline = time.time() + 60
        with engine.connect() as conn:
            start = conn.execute(text("SELECT count(*) FROM transactions")).scalar_one()
        while time.time() < deadline:  # wait until it has committed something, then kill it mid-work
            time.sleep(0.2)
            with engine.connect() as conn:
                if conn.execute(text("SELECT count(*) FROM transactions")).scalar_one() > start + 400:
                    break
        time.sleep(0.05 * round_)
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        assert proc.exitcode == -signal.SIGKILL
    engine.dispose()
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM transactions WHERE type = 'transfer'")).scalar_one()
        lines = conn.execute(text("SELECT count(*) FROM journal j JOIN transactions t ON t.id = j.txn_id "
                                  "WHERE t.type = 'transfer'")).scalar_one()
        orphans = conn.execute(text("SELECT count(*) FROM journal WHERE txn_id NOT IN "
                                    "(SELECT id FROM transactions)")).scalar_one()
        keys = conn.execute(text("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'crash-%'")).scalar_one()
    assert n > 0 and lines >= 2 * n and orphans == 0 and keys == n
    assert reconcile(engine) == []
    assert all(t.conserved for t in RegistryQueries(engine).totals())
    assert verify(engine).ok
