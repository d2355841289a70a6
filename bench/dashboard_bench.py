"""Every dashboard page as the user of its role, one client: p50 and p95 per page against the 300 ms
target, beside a floor measured in the same run (GET /health through the same app and client).

Full: the demo year (1,360 companies, ~130,000 orders), built once with ``openets demo`` into a temporary
folder (or ``--db URL``, a demo database made before); the time is the README's (2017-06-14 10:00 in
Beijing). ``--quick``: a small Beijing world from ``testing.builders`` (60 companies, a few trades).
The client is Starlette's TestClient (in-process, no sockets): the figure is the app's own time.

    python bench/dashboard_bench.py [--quick] [--db URL] [--rounds N] [--only PART-OF-URL]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

PW = "bench password 123"
SECRET = "bench-secret-of-thirty-two-bytes-or-more"
TARGET_MS = 300.0
README_NOW = datetime(2017, 6, 14, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def quick_world(url: str) -> tuple[datetime, dict[str, str], list[str]]:
    """A Beijing world: 60 companies with compliance accounts, trades on three days, an auditor."""
    from openets.core.actor import SYSTEM_SETUP, Role
    from openets.core.clock import FixedClock
    from openets.services.exchange import open_exchange
    from openets.storage.db import make_engine
    from openets.storage.migrate import upgrade
    from openets.testing.builders import build_world

    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(datetime(2017, 6, 1, 2, 0, tzinfo=UTC))
    w = build_world(engine, clock, companies=60)
    w.svc.add_user(SYSTEM_SETUP, name="bench-auditor", party_id=w.svc.registry_party("BJ"), role=Role.AUDITOR)
    seller, buyer = w.companies[:2]
    ex = open_exchange(w.svc, "BEA-2016")
    ex.deposit(buyer, 100_000_000)
    for day, price in ((1, 5000), (2, 5150), (5, 5080)):
        clock.at = datetime(2017, 6, day, 2, 0, tzinfo=UTC)
        for k in range(20):
            ex.submit(seller, account=w.accounts[0].number, side="sell", quantity=10, price_fen=price + k)
            ex.submit(buyer, account=w.accounts[1].number, side="buy", quantity=10, price_fen=price + k)
        ex.close_day()
    at = datetime(2017, 6, 6, 2, 0, tzinfo=UTC)
    return at, {"company": "BJ-co-1", "regulator": "BJ-reg-1", "auditor": "bench-auditor"}, ["BEA-2016"]


def demo_world(url: str) -> tuple[datetime, dict[str, str], list[str]]:
    """The demo's users: a Beijing company's representative, a Beijing regulator, an auditor (added)."""
    from sqlalchemy import text

    from openets.core.actor import SYSTEM_SETUP, Role
    from openets.services.registry import RegistryService
    from openets.services.tasks import list_users
    from openets.storage.db import make_engine

    engine = make_engine(url)
    svc = RegistryService(engine)
    users: dict[str, str] = {}
    for u in sorted(list_users(engine), key=lambda u: u.user):
        if u.role == "company" and u.market is None and u.registration_id and "company" not in users:
            users["company"] = u.user
        if u.role in ("regulator", "auditor") and u.role not in users and u.market in ("BJ", None):
            users[u.role] = u.user
    with engine.connect() as c:
        instruments = [r[0] for r in c.execute(text("SELECT DISTINCT instrument FROM orders ORDER BY 1"))]
    if "auditor" not in users:
        svc.add_user(SYSTEM_SETUP, name="bench-auditor", party_id=svc.registry_party("BJ"), role=Role.AUDITOR)
        users["auditor"] = "bench-auditor"
    return README_NOW, users, instruments


def pages(instruments: list[str], company_links: list[str]) -> list[tuple[str, str]]:
    """(role, URL): every dashboard page, as the role whose page it is ("public": anyone)."""
    out = [("public", "/"), ("public", "/ui/login"), ("public", "/ui/lab")]
    out += [("public", f"/ui/market/{i}") for i in instruments]
    out += [("company", "/ui/me"), ("company", f"/ui/market/{instruments[0]}")]
    out += [("company", f"/ui/company/{p}") for p in ("holdings", "obligations", "orders", "reports", "transfer",
                                                       "surrender")]
    out += [("company", link) for link in company_links]
    out += [("regulator", "/ui/tasks"), ("regulator", "/ui/accounts"), ("regulator", "/ui/compliance/BJ/2016"),
            ("regulator", "/ui/compliance/BJ/2016?sort=shortfall&page=2"),
            ("regulator", "/ui/compliance/BJ/2016/export.csv"), ("regulator", "/ui/compliance/BJ/2016/export.xlsx"),
            ("regulator", "/ui/audit"), ("auditor", "/ui/audit"),
            ("public", "/docs")]
    return out


def timed(get: Callable[[], object], rounds: int) -> list[float]:
    got = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        get()
        got.append((time.perf_counter() - t0) * 1000)
    return got


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20, method="inclusive")[-1] if len(xs) > 1 else xs[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small world from testing.builders, not the demo year")
    ap.add_argument("--db", help="a demo database made before (otherwise openets demo builds one in a temp folder)")
    ap.add_argument("--rounds", type=int, default=0, help="requests per page (default 20, quick 10)")
    ap.add_argument("--only", default="", help="only the pages whose URL contains this (e.g. export)")
    args = ap.parse_args()
    rounds = args.rounds or (10 if args.quick else 20)

    from fastapi.testclient import TestClient

    from openets.api.app import create_app
    from openets.core.clock import FixedClock
    from openets.services.auth import AuthService
    from openets.services.registry import RegistryService
    from openets.storage.db import make_engine
    from openets.web.pages import COOKIE

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        if args.quick and not args.db:
            at, users, instruments = quick_world(url)
            what = "quick world (60 companies)"
        else:
            if not args.db:
                src = str(Path(__file__).resolve().parents[1] / "src")  # this checkout's code, installed or not
                env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (src, os.environ.get("PYTHONPATH"))))}
                subprocess.run([sys.executable, "-m", "openets.cli.app", "demo", "--db", url, "--report",
                                str(Path(tmp) / "report"), "--json"], check=True, stdout=subprocess.DEVNULL, env=env)
            at, users, instruments = demo_world(url)
            what = "demo year"
        print(f"{what}: ready in {time.perf_counter() - t0:.1f} s; users {users}")
        engine = make_engine(url)
        auth = AuthService(RegistryService(engine))
        for user in users.values():
            auth.set_password(user, PW)
        app = create_app(engine, secret=SECRET, clock=FixedClock(at))
        clients: dict[str, TestClient] = {"public": TestClient(app)}
        for role, user in users.items():
            c = TestClient(app)
            r = c.post("/ui/login", data={"username": user, "password": PW}, follow_redirects=False)
            assert r.status_code == 303, (user, r.status_code, r.text[:200])
            c.cookies.set(COOKIE, r.cookies[COOKIE])
            clients[role] = c

        def get(c: TestClient, path: str) -> Callable[[], object]:
            def one() -> object:
                r = c.get(path, follow_redirects=False)
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
                return r
            return one

        # the company's own statement, order and report pages: the first link of each list page
        company_links = []
        for page, pattern in (("holdings", r"/ui/company/statement/[^\"?]+"), ("orders", r"/ui/company/orders/\d+"),
                              ("reports", r"/ui/company/reports/\d+")):
            found = re.search(pattern, clients["company"].get(f"/ui/company/{page}").text)
            if found:
                company_links.append(found.group(0))
        listed = [(role, path) for role, path in pages(instruments, company_links) if args.only in path]
        floor = timed(get(clients["public"], "/health"), rounds * 3)
        f50 = statistics.median(floor)
        print(f"{'page':<44} {'role':<10} {'p50 ms':>8} {'p95 ms':>8} {'p50/floor':>10}  (target p95 < {TARGET_MS:.0f} ms)")
        print(f"{'/health (floor)':<44} {'public':<10} {f50:>8.1f} {p95(floor):>8.1f} {1:>10.1f}")
        missed = []
        for role, path in listed:
            get(clients[role], path)()  # warm: templates compiled, caches filled
            xs = timed(get(clients[role], path), rounds)
            high = p95(xs)
            mark = "" if high < TARGET_MS else "  MISSED"
            if mark:
                missed.append(path)
            print(f"{path:<44} {role:<10} {statistics.median(xs):>8.1f} {high:>8.1f} {statistics.median(xs) / f50:>10.1f}{mark}")
        print(f"{len(listed) - len(missed)} of {len(listed)} pages under {TARGET_MS:.0f} ms at p95"
              + (f"; missed: {', '.join(missed)}" if missed else ""))


if __name__ == "__main__":
    main()
