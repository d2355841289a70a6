"""The service under load: 8 client processes on loopback (sharing the 2 cores with the server)
against `uvicorn openets.api.main:app --workers 2` on PostgreSQL (OPENETS_BENCH_PG; SQLite otherwise,
said in the output): authenticated transfers (each with its own Idempotency-Key) and public
market-data reads (book and tape). Rates, p50 and p99 latency; the transfer rate beside the
registry's own service-level rate on the same database (no HTTP).

    python bench/api_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import text  # noqa: E402

PW = "bench password 123"
SECRET = "bench-secret-of-thirty-two-bytes-or-more"
CLIENTS = 8
WORKERS = 2
RECONNECT = 25


def setup(url: str) -> list[tuple[str, str, str]]:
    """Eight companies with a compliance account and a password, eight more to receive; a market with a
    book and trades."""
    from datetime import UTC, datetime

    from openets.core.clock import FixedClock
    from openets.services.auth import AuthService
    from openets.services.exchange import open_exchange
    from openets.storage.db import make_engine
    from openets.storage.migrate import upgrade
    from openets.testing.builders import build_world

    engine = make_engine(url)
    if url.startswith("postgresql"):
        with engine.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    clock = FixedClock(datetime(2017, 6, 1, 2, 0, tzinfo=UTC))
    # each client moves tonnes from its own company to a company of its own (as the registry bench moves
    # them between random pairs of 800 accounts): the row locks of one transfer do not queue another
    # client's; the last company makes the market
    w = build_world(engine, clock, companies=2 * CLIENTS + 1, cap=10**10, issue=10**9, allocate=10_000_000)
    auth = AuthService(w.svc)
    for actor in w.companies:
        auth.set_password(actor.user, PW)
    ex = open_exchange(w.svc, "BEA-2016")
    ex.deposit(w.companies[-1], 10**12)
    for i in range(40):  # a book with depth and a tape
        ex.submit(w.companies[i % CLIENTS], account=w.accounts[i % CLIENTS].number, side="sell", quantity=100,
                  price_fen=5000 + 10 * (i % 10))
        ex.submit(w.companies[-1], account=w.accounts[-1].number, side="buy", quantity=50, price_fen=5000)
    engine.dispose()
    return [(w.companies[i].user, w.accounts[i].number, w.accounts[CLIENTS + i].number) for i in range(CLIENTS)]


def client(port: int, user: str, src: str, dst: str, n: int, ready, go, reads, out) -> None:  # type: ignore[no-untyped-def]
    # the standard library's HTTP client on keep-alive connections: about a quarter of httpx's CPU per
    # request, which matters when the load generator shares the server's 2 cores
    import http.client
    import json
    from urllib.parse import urlencode

    # A keep-alive connection stays with the worker that accepted it; 8 long-lived connections can all land
    # on one worker. Clients reconnect every RECONNECT requests, as real ones come and go, so the workers
    # share the load (an idle worker accepts first). A closed HTTPConnection opens anew on its next request.
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    calls = itertools.count(1)

    def call(method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        answer = r.status, r.read()
        if next(calls) % RECONNECT == 0:
            c.close()
        return answer

    status, raw = call("POST", "/auth/token", urlencode({"username": user, "password": PW}).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, raw
    auth = {"Authorization": f"Bearer {json.loads(raw)['access_token']}", "Content-Type": "application/json"}
    call("GET", "/market/BEA-2016/book")  # warm
    ready.release()
    go.wait()
    t_lat, r_lat = [], []
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for i in range(n):
        s = time.perf_counter()
        status, raw = call("POST", "/registry/transfers", json.dumps(
            {"unit_class": "BEA-2016", "quantity": 1, "from_account": src, "to_account": dst}).encode(),
            {**auth, "Idempotency-Key": f"{user}-{i}"})
        assert status == 201, raw
        t_lat.append(time.perf_counter() - s)
    t_done = time.perf_counter()
    reads.wait()  # the reads start together, once every client's transfers are done
    t1 = time.perf_counter()
    for i in range(n * 4):
        s = time.perf_counter()
        status, raw = call("GET", "/market/BEA-2016/book" if i % 2 else "/market/BEA-2016/trades?limit=20")
        assert status == 200, raw
        r_lat.append(time.perf_counter() - s)
    t2 = time.perf_counter()
    c.close()
    out.put((t0, t_done, t1, t2, t_lat, r_lat, time.process_time() - cpu0))


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workers", type=int, default=WORKERS, help="uvicorn worker processes")
    args = ap.parse_args()
    n = 40 if args.quick else 400
    pg = os.environ.get("OPENETS_BENCH_PG")
    tmp = tempfile.mkdtemp()
    url = pg or f"sqlite:///{tmp}/api.db"
    pairs = setup(url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "OPENETS_DATABASE_URL": url, "OPENETS_SECRET": SECRET, "OPENETS_NOW": "2017-06-01T10:00:00"}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "openets.api.main:app", "--port", str(port),
                               "--workers", str(args.workers), "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        ctx = mp.get_context("spawn")
        ready, go, reads, out = ctx.Semaphore(0), ctx.Event(), ctx.Barrier(len(pairs)), ctx.Queue()
        procs = [ctx.Process(target=client, args=(port, u, a, b, n, ready, go, reads, out)) for u, a, b in pairs]
        for p in procs:
            p.start()
        for _ in procs:
            ready.acquire()
        go.set()
        res = [out.get(timeout=600) for _ in procs]
        for p in procs:
            p.join()
    finally:
        server.terminate()
        server.wait(10)
    t_start, t_mid = min(r[0] for r in res), max(r[1] for r in res)
    r_start, t_end = min(r[2] for r in res), max(r[3] for r in res)
    t_lat = [x for r in res for x in r[4]]
    r_lat = [x for r in res for x in r[5]]
    t_rate = len(t_lat) / (t_mid - t_start)
    r_rate = len(r_lat) / (t_end - r_start)
    load = sum(r[6] for r in res) / ((t_mid - t_start + t_end - r_start) * (os.cpu_count() or 1))
    db = "PostgreSQL" if pg else "SQLite (set OPENETS_BENCH_PG for PostgreSQL)"
    line = (f"API on {db}, uvicorn {args.workers} workers, {CLIENTS} clients on the same 2 cores: transfers {t_rate:,.0f}/s "
            f"(target ≥ 300; p50 {pct(t_lat, .5):.1f} ms, p99 {pct(t_lat, .99):.1f} ms); market-data reads "
            f"{r_rate:,.0f}/s (target ≥ 1,500; p50 {pct(r_lat, .5):.1f} ms, p99 {pct(r_lat, .99):.1f} ms); the load "
            f"generator itself used {load:.0%} of the machine's CPU")
    if pg:
        from registry_bench import bench_pg  # the registry's own service-level rate, no HTTP, same database

        own = bench_pg(pg, n)["rate"]
        line += f"; the registry service alone: {own:,.0f} transfers/s, ratio {t_rate / own:.2f}"
    print(line)


if __name__ == "__main__":
    main()
