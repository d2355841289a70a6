"""Registry throughput, measured through the same service code the CLI uses.

    python bench/registry_bench.py            # full figures (README)
    python bench/registry_bench.py --quick    # smoke mode for CI

SQLite (WAL, synchronous=FULL): transfers/s one transaction each, and 1,000 per transaction, beside a
bare sqlite3 floor (two balance updates + one journal insert per transfer). PostgreSQL (when
OPENETS_BENCH_PG is set): 8 client processes beside `pgbench -c 8` running the floor's SQL; overdrafts
and conservation checked afterwards. verify-journal over 1,000,000 journal rows.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openets.core.actor import SYSTEM_SETUP, Role  # noqa: E402
from openets.ledger.journal import GENESIS, line_digest  # noqa: E402
from openets.registry.commands import Allocate, Transfer  # noqa: E402
from openets.registry.model import AccountType, PartyKind  # noqa: E402
from openets.services.journal import verify  # noqa: E402
from openets.services.queries import RegistryQueries  # noqa: E402
from openets.services.reconcile import reconcile  # noqa: E402
from openets.services.registry import RegistryService  # noqa: E402
from openets.storage import fastsql  # noqa: E402
from openets.storage.db import make_engine  # noqa: E402
from openets.storage.migrate import upgrade  # noqa: E402
from openets.testing.builders import build_world  # noqa: E402

ACCOUNTS = 100
STOCK = 1_000_000


def setup(url: str, accounts: int = ACCOUNTS) -> tuple[RegistryService, object, list[int], int]:
    """One investor party with many holding accounts, each stocked with allowances."""
    engine = make_engine(url)
    upgrade(engine)
    w = build_world(engine, companies=0, cap=10**12, issue=accounts * STOCK + 1, allocate=0)
    svc = w.svc
    pid = svc.create_party(kind=PartyKind.INVESTOR, name="投资机构", market="BJ")
    svc.add_user(SYSTEM_SETUP, name="trader", party_id=pid, role=Role.INVESTOR)
    trader = svc.actor("trader")
    ids = []
    for i in range(accounts):
        acc = svc.request_account(trader, market="BJ", type=AccountType.HOLDING, number=f"BJ-H{i:05d}")
        svc.decide_account(w.reg, acc.number, approve=True)
        ids.append(acc.id)
    svc.submit(w.reg, [Allocate(from_account=w.issuance.id, to_account=a, unit_class=w.unit_class.id,
                          quantity=STOCK) for a in ids])
    return svc, trader, ids, w.unit_class.id


class StatementCounter:
    """Statements sent to the database: through SQLAlchemy, plus the hot path's driver calls."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.sa = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_a) -> None:  # type: ignore[no-untyped-def]
        self.sa += 1

    def reset(self) -> None:
        self.sa = 0
        fastsql.statements[0] = 0

    @property
    def n(self) -> int:
        return self.sa + fastsql.statements[0]


def transfers(ids: list[int], uc: int, n: int, seed: int, prefix: str) -> list[Transfer]:
    rng = random.Random(seed)
    ops = []
    for i in range(n):
        a, b = rng.sample(ids, 2)
        ops.append(Transfer(key=f"{prefix}-{i}", from_account=a, to_account=b, unit_class=uc,
                      quantity=rng.randint(1, 500)))
    return ops


def bench_sqlite(tmp: Path, n_single: int, n_batches: int) -> dict[str, float]:
    url = f"sqlite:///{tmp / 'bench.db'}"
    svc, trader, ids, uc = setup(url)
    stmts = StatementCounter(svc.engine)
    ops = transfers(ids, uc, n_single, 1, "single")
    stmts.reset()
    t0 = time.perf_counter()
    for op in ops:
        svc.submit(trader, [op])
    single = n_single / (time.perf_counter() - t0)
    single_stmts = stmts.n / n_single
    ops = transfers(ids, uc, n_batches * 1000, 2, "batch")
    stmts.reset()
    t0 = time.perf_counter()
    for i in range(n_batches):
        svc.submit(trader, ops[i * 1000:(i + 1) * 1000])
    batch = n_batches * 1000 / (time.perf_counter() - t0)
    batch_stmts = stmts.n / (n_batches * 1000)
    assert reconcile(svc.engine) == [], "reconciliation failed after the SQLite bench"
    assert all(x.conserved for x in RegistryQueries(svc.engine).totals())
    floor_single, floor_batch = sqlite_floor(tmp / "floor.db", n_single, n_batches)
    return {"single": single, "single_stmts": single_stmts, "batch": batch, "batch_stmts": batch_stmts,
            "floor_single": floor_single, "floor_batch": floor_batch}


def sqlite_floor(path: Path, n_single: int, n_batches: int) -> tuple[float, float]:
    """The least a transfer can cost on this disk: two balance updates and one journal insert."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE balances (account INTEGER PRIMARY KEY, total INTEGER NOT NULL)")
    con.execute("CREATE TABLE journal (seq INTEGER PRIMARY KEY, src INTEGER, dst INTEGER, qty INTEGER)")
    con.executemany("INSERT INTO balances VALUES (?, ?)", [(i, STOCK) for i in range(ACCOUNTS)])
    rng = random.Random(3)

    def one() -> None:
        a, b = rng.sample(range(ACCOUNTS), 2)
        q = rng.randint(1, 500)
        con.execute("UPDATE balances SET total = total - ? WHERE account = ?", (q, a))
        con.execute("UPDATE balances SET total = total + ? WHERE account = ?", (q, b))
        con.execute("INSERT INTO journal (src, dst, qty) VALUES (?, ?, ?)", (a, b, q))

    t0 = time.perf_counter()
    for _ in range(n_single):
        con.execute("BEGIN IMMEDIATE")
        one()
        con.execute("COMMIT")
    single = n_single / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(n_batches):
        con.execute("BEGIN IMMEDIATE")
        for _ in range(1000):
            one()
        con.execute("COMMIT")
    batch = n_batches * 1000 / (time.perf_counter() - t0)
    con.close()
    return single, batch


def _pg_client(url: str, ids: list[int], uc: int, n: int, seed: int, ready, go, results) -> None:  # type: ignore[no-untyped-def]
    svc = RegistryService(make_engine(url))
    trader = svc.actor("trader")
    ops = transfers(ids, uc, n, 100 + seed, f"pg{seed}")
    ready.release()
    go.wait()
    ok = refused = 0
    for op in ops:
        out = svc.submit(trader, [op], all_or_nothing=False)[0]
        ok += out.ok
        refused += not out.ok
    results.put((ok, refused, time.perf_counter()))


def bench_pg(url: str, n_per_client: int, clients: int = 8) -> dict[str, float]:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    svc, _trader, ids, uc = setup(url, accounts=800)
    ctx = mp.get_context("spawn")
    ready, go, results = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_pg_client, args=(url, ids, uc, n_per_client, c, ready, go, results))
             for c in range(clients)]
    for p in procs:
        p.start()
    for _ in procs:  # every client connected and warmed up: start them together
        ready.acquire()
    t0 = time.perf_counter()
    go.set()
    out = [results.get() for _ in procs]
    elapsed = max(r[2] for r in out) - t0
    for p in procs:
        p.join()
    ok = sum(r[0] for r in out)
    rate = ok / elapsed
    with svc.engine.connect() as conn:
        overdrafts = conn.execute(text("SELECT count(*) FROM positions WHERE total < 0 OR reserved > total")).scalar_one()
    conserved = all(x.conserved for x in RegistryQueries(svc.engine).totals())
    recon = reconcile(svc.engine)
    return {"rate": rate, "committed": ok, "overdrafts": overdrafts, "conserved": conserved,
            "reconciled": not recon, "pgbench_same": pgbench_same_sql(url, clients, n_per_client),
            "pgbench_floor": pgbench_floor(url, clients, n_per_client)}


# The statements one transfer sends (see StatementCounter: ~15), with pgbench variables, on copies
# of the registry's tables without their unique constraints (pgbench cannot keep serials unique).
SAME_SQL = """\\set a random(1, 800)
\\set b random(1, 800)
\\set q random(1, 500)
\\set k random(1, 1000000000)
BEGIN;
SELECT key, payload_hash, txn_id FROM pgb_idem WHERE party_id = 1 AND operation = 'transfer' AND key IN (:k::text);
SELECT * FROM pgb_accounts WHERE id IN (:a, :b) ORDER BY id FOR UPDATE;
SELECT account_id, unit_class_id, restriction_id, total, reserved FROM pgb_positions
  WHERE (account_id, unit_class_id, restriction_id) IN ((:a, 1, 0), (:b, 1, 0));
SELECT start, "end" FROM pgb_blocks WHERE account_id = :a AND unit_class_id = 1 AND restriction_id = 0
  AND start > 0 ORDER BY start LIMIT 16;
SELECT start, "end" FROM (SELECT start, "end" FROM pgb_blocks WHERE account_id = :b AND unit_class_id = 1
  AND restriction_id = 0 AND start < :b * 1000000 ORDER BY start DESC LIMIT 1) AS below
  UNION ALL SELECT start, "end" FROM pgb_blocks WHERE account_id = :b AND unit_class_id = 1 AND restriction_id = 0
  AND start IN (:b * 1000000 + 1000000);
SELECT nextval('pgb_txn_ids') FROM generate_series(1, 1);
INSERT INTO pgb_transactions (id, type, status, market, unit_class_id, restriction_id, quantity, sender_id,
  receiver_id, actor_user, actor_party, actor_role, at_us, note, serials, serial_lo, serial_hi)
  VALUES (:k, 'transfer', 'completed', 'BJ', 1, 0, :q, :a, :b, 'trader', 1, 'investor', 0, '', :k || '-' || :k + :q,
  :k, :k + :q);
UPDATE pgb_positions SET total = total - :q, reserved = reserved WHERE account_id = :a AND unit_class_id = 1 AND restriction_id = 0;
UPDATE pgb_positions SET total = total + :q, reserved = reserved WHERE account_id = :b AND unit_class_id = 1 AND restriction_id = 0;
UPDATE pgb_blocks SET account_id = :a, restriction_id = 0, start = start, "end" = "end" WHERE account_id = :a
  AND unit_class_id = 1 AND restriction_id = 0 AND start = :a * 1000000;
INSERT INTO pgb_blocks (account_id, unit_class_id, restriction_id, start, "end") VALUES (:b, 1, 0, :k, :k + :q);
INSERT INTO pgb_journal (txn_id, account_id, account_seq, unit_class_id, restriction_id, d_total, d_reserved,
  serials, kind, at_us, prev_hash, hash) VALUES
  (:k, :a, :k, 1, 0, -:q, 0, :k || '-' || :k + :q, 'transfer', 0, md5(:k::text) || md5(:a::text), md5(:q::text) || md5(:b::text)),
  (:k, :b, :k, 1, 0, :q, 0, :k || '-' || :k + :q, 'transfer', 0, md5(:k::text) || md5(:b::text), md5(:q::text) || md5(:a::text));
UPDATE pgb_accounts SET journal_count = journal_count + 1, head_hash = md5(:k::text) WHERE id = :a;
UPDATE pgb_accounts SET journal_count = journal_count + 1, head_hash = md5(:k::text) WHERE id = :b;
INSERT INTO pgb_idem (party_id, operation, key, payload_hash, txn_id, created_us) VALUES (1, 'transfer', :k::text, md5(:k::text), :k, 0);
END;
"""

_PGB_SETUP = [
    "DROP TABLE IF EXISTS pgb_idem, pgb_accounts, pgb_positions, pgb_blocks, pgb_transactions, pgb_journal, "
    "pgb_movements",  # pgb_movements: left by an older version of this bench
    "DROP SEQUENCE IF EXISTS pgb_txn_ids",
    "CREATE SEQUENCE pgb_txn_ids",
    "CREATE TABLE pgb_idem (LIKE idempotency_keys INCLUDING DEFAULTS)",
    "CREATE INDEX ON pgb_idem (party_id, operation, key)",
    "CREATE TABLE pgb_accounts (LIKE accounts INCLUDING DEFAULTS)",
    "ALTER TABLE pgb_accounts ADD PRIMARY KEY (id)",
    "CREATE TABLE pgb_positions (LIKE positions INCLUDING DEFAULTS)",
    "ALTER TABLE pgb_positions ADD PRIMARY KEY (account_id, unit_class_id, restriction_id)",
    "CREATE TABLE pgb_blocks (LIKE blocks INCLUDING DEFAULTS)",
    "CREATE INDEX ON pgb_blocks (account_id, unit_class_id, restriction_id, start)",
    "CREATE INDEX ON pgb_blocks (unit_class_id, start)",
    "CREATE TABLE pgb_transactions (LIKE transactions INCLUDING DEFAULTS)",
    "CREATE INDEX ON pgb_transactions (id)",
    "CREATE TABLE pgb_journal (LIKE journal INCLUDING DEFAULTS)",
    "CREATE INDEX ON pgb_journal (seq)",
    "CREATE INDEX ON pgb_journal (account_id, account_seq)",
    "INSERT INTO pgb_accounts (id, number, market, type, party_id, status, name, created_us, journal_count) "
    "SELECT g, 'PGB' || g, 'BJ', 'holding', 1, 'open', '', 0, 0 FROM generate_series(1, 800) g",
    "INSERT INTO pgb_positions SELECT g, 1, 0, 1000000000, 0 FROM generate_series(1, 800) g",
    "INSERT INTO pgb_blocks (account_id, unit_class_id, restriction_id, start, \"end\") "
    "SELECT g, 1, 0, g * 1000000, g * 1000000 + 999999 FROM generate_series(1, 800) g",
]


def pgbench_same_sql(url: str, clients: int, n_per_client: int) -> float:
    """pgbench -c 8 running the statements our transfer sends (server-side cost, no Python)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for stmt in _PGB_SETUP:
            conn.execute(text(stmt))
    engine.dispose()
    return _pgbench(url, clients, n_per_client, SAME_SQL)


def _pgbench(url: str, clients: int, n_per_client: int, script_text: str) -> float:
    exe = os.environ.get("PGBENCH") or shutil.which("pgbench")
    if not exe:
        return float("nan")
    script = Path(tempfile.mkstemp(suffix=".sql")[1])
    script.write_text(script_text)
    libpq = url.replace("postgresql+psycopg://", "postgresql://")
    proc = subprocess.run([exe, "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-t", str(n_per_client),
                           "-f", str(script), libpq], capture_output=True, text=True)
    script.unlink()
    for line in proc.stdout.splitlines():
        if line.startswith("tps"):
            return float(line.split("=")[1].split()[0])
    raise RuntimeError(f"pgbench failed: {proc.stderr.strip()[-400:]}")


def pgbench_floor(url: str, clients: int, n_per_client: int) -> float:
    """pgbench -c 8 running the floor's SQL (two balance updates, one journal insert per transfer)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS floor_balances, floor_journal"))
        conn.execute(text("CREATE TABLE floor_balances (account int PRIMARY KEY, total bigint NOT NULL)"))
        conn.execute(text("CREATE TABLE floor_journal (seq bigserial PRIMARY KEY, src int, dst int, qty int)"))
        conn.execute(text(f"INSERT INTO floor_balances SELECT g, {STOCK} FROM generate_series(0, 799) g"))
    engine.dispose()
    return _pgbench(url, clients, n_per_client,
                    "\\set a random(0, 799)\n\\set b random(0, 799)\n\\set q random(1, 500)\n"
                    "BEGIN;\n"
                    "UPDATE floor_balances SET total = total - :q WHERE account = :a;\n"
                    "UPDATE floor_balances SET total = total + :q WHERE account = :b;\n"
                    "INSERT INTO floor_journal (src, dst, qty) VALUES (:a, :b, :q);\n"
                    "END;\n")


def bench_verify(tmp: Path, rows: int) -> tuple[int, float]:
    """Build `rows` journal lines with valid chains (1,000 accounts), then time verify-journal."""
    url = f"sqlite:///{tmp / 'verify.db'}"
    engine = make_engine(url)
    upgrade(engine)
    svc = RegistryService(engine)
    svc.init_markets()
    n_acc = 1000
    per = rows // n_acc
    with engine.begin() as conn:
        party = svc.registry_party("BJ")
        conn.execute(text("INSERT INTO accounts (id, number, market, type, party_id, status, name, created_us, "
                          "journal_count) VALUES (:i, :n, 'BJ', 'holding', :p, 'open', '', 0, 0)"),
                     [{"i": 100_000 + a, "n": f"V{a}", "p": party} for a in range(n_acc)])
        raw = conn.connection.dbapi_connection
        cur = raw.cursor()  # type: ignore[union-attr]
        heads = []
        for a in range(n_acc):
            prev = GENESIS
            batch = []
            for s in range(1, per + 1):
                h = line_digest(txn_id=s, account_id=100_000 + a, account_seq=s, unit_class_id=1, restriction_id=0,
                                d_total=1, d_reserved=0, serials=f"{s}-{s}", kind="transfer",
                                at_us=s, prev_hash=prev)
                batch.append((s, 100_000 + a, s, 1, 0, 1, 0, f"{s}-{s}", "transfer", s, prev, h))
                prev = h
            cur.executemany("INSERT INTO journal (txn_id, account_id, account_seq, unit_class_id, restriction_id, "
                            "d_total, d_reserved, serials, kind, at_us, prev_hash, hash) "
                            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", batch)
            heads.append((per, prev, 100_000 + a))
        cur.executemany("UPDATE accounts SET journal_count = ?, head_hash = ? WHERE id = ?", heads)
    t0 = time.perf_counter()
    report = verify(engine)
    elapsed = time.perf_counter() - t0
    assert report.ok and report.rows == per * n_acc, report.problems[:3]
    return report.rows, elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smoke mode: small counts, no targets enforced")
    args = ap.parse_args()
    n_single, n_batches, n_pg, n_verify = (300, 2, 100, 100_000) if args.quick else (3_000, 10, 600, 1_000_000)
    tmp = Path(tempfile.mkdtemp(prefix="openets-bench-"))
    try:
        s = bench_sqlite(tmp, n_single, n_batches)
        print(f"SQLite (WAL, synchronous=FULL), {ACCOUNTS} accounts:")
        print(f"  one transfer per transaction : {s['single']:8.0f} transfers/s  (target ≥ 1,500)  "
              f"floor {s['floor_single']:8.0f}/s  ratio {s['single'] / s['floor_single']:.2f}  "
              f"{s['single_stmts']:.1f} statements/transfer")
        print(f"  1,000 per transaction        : {s['batch']:8.0f} transfers/s  (target ≥ 10,000) "
              f"floor {s['floor_batch']:8.0f}/s  ratio {s['batch'] / s['floor_batch']:.2f}  "
              f"{s['batch_stmts']:.3f} statements/transfer")
        pg_url = os.environ.get("OPENETS_BENCH_PG")
        if pg_url:
            p = bench_pg(pg_url, n_pg)
            print("PostgreSQL, 8 client processes, 800 accounts:")
            print(f"  {p['rate']:8.0f} transfers/s (target ≥ 600); committed {p['committed']}, overdrafts "
                  f"{p['overdrafts']}, conserved {p['conserved']}, reconciled {p['reconciled']}")
            print(f"  pgbench -c 8, the same SQL as a transfer: {p['pgbench_same']:8.0f} tps, our ratio "
                  f"{p['rate'] / p['pgbench_same']:.2f} (target ≥ 0.50)")
            print(f"  pgbench -c 8, the floor SQL (2 updates + 1 insert): {p['pgbench_floor']:8.0f} tps, our ratio "
                  f"{p['rate'] / p['pgbench_floor']:.2f}")
            assert p["overdrafts"] == 0 and p["conserved"] and p["reconciled"]
        else:
            print("PostgreSQL: skipped (set OPENETS_BENCH_PG to a database the bench may wipe)")
        rows, secs = bench_verify(tmp, n_verify)
        print(f"verify-journal over {rows:,} rows: {secs:.2f} s (target < 10 s for 1,000,000)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
