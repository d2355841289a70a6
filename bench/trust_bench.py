"""The trust figures of issue 19, from running the checks themselves (SQLite, a temporary directory):

- inputs tried / handled cleanly: the fuzz harness (tests/fuzz: every CLI command, every file kind, the
  API as a company, a regulator and the auditor), counted by the harness itself;
- writers × operations, tonnes lost or invented: concurrent writer processes (testing/workers.hammer, the
  concurrency test's machinery) moving units between accounts, then every unit class's issued figure
  against what is held, surrendered, cancelled and deleted, the journal replay and the chains;
- crashes survived: a batch writer killed with SIGKILL mid-work (testing/workers.batch_writer), each
  time the registry checked whole (no journal line without its transaction, positions = replay);
- tampering cases detected and named: tests/integration/test_registry_verify.py, case by case;
- role-boundary cases refused: the auditor on every state-changing route, `users password | revoke`,
  grants (tests/api/test_auditor_moves_nothing.py, tests/cli/test_credentials.py; test_user_grants.py
  too when not --quick).

python bench/trust_bench.py [--quick]   (--quick: fewer examples, roles, writers, operations and crashes; < 60 s)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]


def pytest(paths: list[str], tmp: Path, tag: str, *, scale: float = 1.0) -> tuple[list[tuple[str, str]], dict[str, int], float]:
    """Run pytest on ``paths``: each case's (name, outcome), the harness's tally, the seconds taken."""
    junit, tally = tmp / f"{tag}.xml", tmp / f"{tag}.json"
    env = {**os.environ, "OPENETS_FUZZ_TALLY": str(tally), "OPENETS_FUZZ_SCALE": str(scale),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *paths],
                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    took = time.perf_counter() - t0
    cases = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        outcome = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
        cases.append((case.get("name", "?"), outcome))
    return cases, json.loads(tally.read_text()) if tally.exists() else {}, took


def world(url: str, companies: int) -> tuple[list[tuple[int, str]], int]:
    from openets.storage.db import make_engine
    from openets.storage.migrate import upgrade
    from openets.testing.builders import build_world

    eng = make_engine(url)
    upgrade(eng)
    w = build_world(eng, companies=companies, allocate=10_000)
    eng.dispose()
    return [(a.id, actor.user) for a, actor in zip(w.accounts, w.companies)], w.unit_class.id


def whole(url: str) -> tuple[int, int, bool, int]:
    """(tonnes lost or invented over all unit classes, reconciliation problems, chains verify, journal
    lines without their transaction)."""
    from openets.services.journal import verify
    from openets.services.queries import RegistryQueries
    from openets.services.reconcile import reconcile
    from openets.storage.db import make_engine

    eng = make_engine(url)
    off = sum(abs(t.issued - (t.in_circulation + t.surrendered + t.cancelled + t.deleted))
              for t in RegistryQueries(eng).totals())
    with eng.connect() as c:
        orphans = c.execute(text("SELECT count(*) FROM journal WHERE txn_id NOT IN (SELECT id FROM transactions)")).scalar_one()
    out = (off, len(reconcile(eng)), verify(eng).ok, int(orphans))
    eng.dispose()
    return out


def writers(tmp: Path, n: int, ops: int) -> dict[str, object]:
    from openets.testing import workers

    url = f"sqlite:///{tmp / 'writers.db'}"
    accounts, uc = world(url, companies=max(n, 2))
    t0 = time.perf_counter()
    with mp.get_context("spawn").Pool(n) as pool:
        results = pool.starmap(workers.hammer, [(url, accounts, uc, ops, seed) for seed in range(n)])
    took = time.perf_counter() - t0
    off, problems, chains, orphans = whole(url)
    return {"writers": n, "operations": n * ops, "committed": sum(r.get("committed", 0) for r in results),
            "refused by a rule": sum(v for r in results for k, v in r.items() if k not in ("committed", "replayed")),
            "tonnes lost or invented": off, "replay problems": problems, "chains verify": chains,
            "orphan journal lines": orphans, "seconds": round(took, 1)}


def crashes(tmp: Path, rounds: int) -> dict[str, object]:
    from openets.storage.db import make_engine
    from openets.testing import workers

    url = f"sqlite:///{tmp / 'crash.db'}"
    accounts, uc = world(url, companies=2)
    eng = make_engine(url)
    survived, names = 0, []
    for round_ in range(rounds):
        proc = mp.get_context("spawn").Process(target=workers.batch_writer, args=(url, accounts, uc, 200, round_))
        proc.start()
        with eng.connect() as c:
            start = c.execute(text("SELECT count(*) FROM transactions")).scalar_one()
        deadline = time.time() + 30
        while time.time() < deadline:  # let it commit something, then kill it mid-work
            time.sleep(0.1)
            with eng.connect() as c:
                if c.execute(text("SELECT count(*) FROM transactions")).scalar_one() > start + 200:
                    break
        time.sleep(0.03 * round_)
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        off, problems, chains, orphans = whole(url)
        ok = proc.exitcode == -signal.SIGKILL and off == 0 and problems == 0 and chains and orphans == 0
        survived += ok
        names.append(f"kill -9 #{round_ + 1}: {'whole' if ok else 'BROKEN'}")
    eng.dispose()
    return {"crashes": rounds, "survived": survived, "each": names}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    q = args.quick
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        out: dict[str, object] = {}
        # --quick: a quarter of the examples, the API as the auditor only
        cases, tally, took = pytest(["tests/fuzz", *(["-k", "not BJ-co-0 and not BJ-reg-1"] if q else [])], tmp,
                                    "fuzz", scale=0.25 if q else 1.0)
        tried = sum(v for k, v in tally.items() if k.endswith("tried"))
        clean = sum(v for k, v in tally.items() if k.endswith(("refused cleanly", "answered")))
        out["fuzz harness"] = {"inputs tried": tried, "handled cleanly": clean, "by kind": tally,
                               "harness tests failed": [n for n, o in cases if o != "passed"], "seconds": round(took, 1)}
        out["concurrent writers"] = writers(tmp, 4 if q else 8, 60 if q else 250)
        out["crashes"] = crashes(tmp, 2 if q else 5)
        cases, _, took = pytest(["tests/integration/test_registry_verify.py"], tmp, "tamper")
        tampering = [n for n, _ in cases if not n.startswith(("test_clean", "test_no_checkpoint"))]
        out["tampering"] = {"cases": len(tampering), "detected and named": sum(
            1 for n, o in cases if n in tampering and o == "passed"), "each": tampering, "seconds": round(took, 1)}
        roles = ["tests/api/test_auditor_moves_nothing.py", "tests/cli/test_credentials.py"]
        cases, tally, took = pytest(roles if q else [*roles, "tests/cli/test_user_grants.py"], tmp, "roles")
        out["role boundaries"] = {"cases refused": tally.get("role-boundary cases refused", 0),
                                  "tests": len(cases), "tests passed": sum(o == "passed" for _, o in cases),
                                  "seconds": round(took, 1)}
    print(json.dumps(out, indent=2, ensure_ascii=False))
    f, w, c, t = out["fuzz harness"], out["concurrent writers"], out["crashes"], out["tampering"]
    r = out["role boundaries"]
    print(f"\ninputs tried {f['inputs tried']}, handled cleanly {f['handled cleanly']}; "  # type: ignore[index]
          f"{w['writers']} writers × {w['operations']} operations: {w['tonnes lost or invented']} t lost or invented; "  # type: ignore[index]
          f"crashes survived {c['survived']}/{c['crashes']}; tampering detected and named {t['detected and named']}/"  # type: ignore[index]
          f"{t['cases']}; role-boundary cases refused {r['cases refused']} ({r['tests passed']}/{r['tests']} tests)")  # type: ignore[index]

    broken = (f["harness tests failed"] or f["inputs tried"] != f["handled cleanly"] or w["tonnes lost or invented"]  # type: ignore[index]
              or w["replay problems"] or not w["chains verify"] or c["survived"] != c["crashes"]  # type: ignore[index]
              or t["detected and named"] != t["cases"] or r["tests passed"] != r["tests"])  # type: ignore[index]
    if broken:
        sys.exit("trust_bench: a promise is broken (see above)")


if __name__ == "__main__":
    main()
