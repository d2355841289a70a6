"""`registry verify` over a registry of real transactions (not run in CI: it takes minutes to build).

    python bench/verify_bench.py                      # 100,000 transfers among 100 companies (SQLite)
    python bench/verify_bench.py --transactions 5000  # smaller
    OPENETS_BENCH_PG=postgresql+psycopg://… python bench/verify_bench.py   # on a database it may wipe

The registry is built through the service (batches of 1,000 transfers by one sender each), then the
whole verification and a signed checkpoint are timed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openets.registry.commands import Transfer  # noqa: E402
from openets.services.verification import verify_registry, write_checkpoint  # noqa: E402
from openets.storage.db import make_engine  # noqa: E402
from openets.storage.migrate import upgrade  # noqa: E402
from openets.testing.builders import build_world  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transactions", type=int, default=100_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="openets-verify-bench-"))
    url = os.environ.get("OPENETS_BENCH_PG") or f"sqlite:///{tmp / 'v.db'}"
    engine = make_engine(url)
    try:
        if url.startswith("postgresql"):
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        t0 = time.perf_counter()
        companies = 100
        w = build_world(engine, companies=companies, issue=5_000_000, allocate=20_000)
        rng = random.Random(1)
        batch = 1_000
        for n in range(args.transactions // batch):
            i = n % companies
            sender = w.accounts[i]
            ops = [Transfer(from_account=sender.id, to_account=w.accounts[rng.choice([j for j in range(companies)
                                                                                     if j != i])].id,
                            unit_class=w.unit_class.id, quantity=rng.randint(1, 10)) for _ in range(batch)]
            w.svc.submit(w.companies[i], ops)
        print(f"built {args.transactions:,} transfers in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})")
        r = verify_registry(engine, w.svc.rulebook)
        assert r.ok, r.problems[:3]
        print(f"registry verify: {r.transactions:,} transactions, {r.journal_lines:,} journal lines, "
              f"{r.accounts} accounts: {r.seconds:.2f} s")
        t1 = time.perf_counter()
        cp = tmp / "cp.json.gz"
        write_checkpoint(engine, w.svc.rulebook, cp, b"bench key of at least 16 bytes")
        print(f"checkpoint (verify + write, signed): {time.perf_counter() - t1:.2f} s, {cp.stat().st_size:,} bytes")
    finally:
        engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
