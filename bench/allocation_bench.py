"""Allocation figures: 10,000 companies (mixed sectors, 3,000 power units with correction factors)
allocated with validation, and issued into the registry on SQLite.

    python bench/allocation_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openets.core.actor import SYSTEM_SETUP, Role  # noqa: E402
from openets.core.clock import FixedClock  # noqa: E402
from openets.registry.commands import Approve, Issue  # noqa: E402
from openets.registry.model import UnitKind  # noqa: E402
from openets.rules.loader import default_rulebook  # noqa: E402
from openets.services.allocation import AllocationService, read_production  # noqa: E402
from openets.services.queries import RegistryQueries  # noqa: E402
from openets.services.registry import RegistryService  # noqa: E402
from openets.storage import tables as t  # noqa: E402
from openets.storage.db import make_engine  # noqa: E402
from openets.storage.migrate import upgrade  # noqa: E402

RULES = Path(__file__).parent / "data" / "mixed-sectors.toml"


def write_production(path: Path, companies: int, power_units: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    lines = ["company,source_id,sector,output,fuel,capacity_mw,cooling,electricity_mwh,heat_gj,heat_supply_ratio,"
             "load_factor"]
    for i in range(companies):
        if i < power_units:
            fuel = rng.choice(["coal", "coal", "coal", "gas", "cfb"])
            lines.append(f"C{i:05d},U{i:05d},power,,{fuel},{rng.choice([300, 350, 600, 660, 1000])},"
                         f"{rng.choice(['water', 'air'])},{rng.randint(500_000, 6_000_000)},"
                         f"{rng.randint(0, 3_000_000)},{rng.randint(0, 40) / 100},{rng.randint(60, 95) / 100}")
        else:
            sector = rng.choice(["cement", "cement", "aluminium"])
            lines.append(f"C{i:05d},I{i:05d},{sector},{rng.randint(100_000, 5_000_000)},,,,,,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    companies, power = (1_000, 300) if args.quick else (10_000, 3_000)
    tmp = Path(tempfile.mkdtemp(prefix="openets-alloc-bench-"))
    try:
        prod = tmp / "production.csv"
        write_production(prod, companies, power)
        engine = make_engine(f"sqlite:///{tmp / 'alloc.db'}")
        upgrade(engine)
        clock = FixedClock(datetime(2029, 6, 1, tzinfo=UTC))
        reg = RegistryService(engine, clock=clock, rulebook=default_rulebook().with_file(RULES))
        reg.init_markets()
        alloc = AllocationService(reg)

        t0 = time.perf_counter()
        rows = read_production(prod)
        t1 = time.perf_counter()
        result = alloc.compute(rows, market="CEA", year=2030, kind="final")
        t2 = time.perf_counter()

        # set-up, not timed: regulators, the companies with open compliance accounts, the allowances
        party = reg.registry_party("CEA")
        reg.add_user(SYSTEM_SETUP, name="r1", party_id=party, role=Role.REGULATOR, market="CEA")
        reg.add_user(SYSTEM_SETUP, name="r2", party_id=party, role=Role.REGULATOR, market="CEA")
        r1, r2 = reg.actor("r1"), reg.actor("r2")
        with engine.begin() as c:
            start = c.execute(text("SELECT coalesce(max(id), 0) FROM parties")).scalar_one() + 1
            c.execute(insert(t.parties), [{"id": start + i, "kind": "company", "name": f"企业{i}", "name_en": "",
                                           "market": "CEA", "registration_id": f"C{i:05d}", "created_us": 0}
                                          for i in range(companies)])
            c.execute(insert(t.accounts), [{"number": f"CEA-C{i:05d}", "market": "CEA", "type": "compliance",
                                            "party_id": start + i, "status": "open", "name": "", "created_us": 0,
                                            "journal_count": 0} for i in range(companies)])
        uc = reg.create_unit_class(r1, kind=UnitKind.ALLOWANCE, market="CEA", vintage=2030, cap=10**13)
        rec = reg.one(r1, Issue(to_account=reg.account("CEA-ISSUANCE").id, unit_class=uc.id, quantity=10**12))
        reg.one(r2, Approve(txn=rec.id))
        run = alloc.propose(r1, result, market="CEA", year=2030)

        t3 = time.perf_counter()
        alloc.issue(r2, run.run, unit_class=uc.code, from_account="CEA-ISSUANCE")
        t4 = time.perf_counter()
        totals = [x for x in RegistryQueries(engine).totals() if x.unit_class == uc.code][0]
        assert totals.conserved and totals.in_circulation - (10**12 - result.total) == result.total
        print(f"allocation of {companies:,} companies ({power:,} power units with correction factors):")
        print(f"  read and validate {t1 - t0:.2f} s + allocate {t2 - t1:.2f} s = {t2 - t0:.2f} s (target < 1 s)")
        print(f"  issue into the registry (SQLite, one transaction): {t4 - t3:.2f} s (target < 2 s); "
              f"total {result.total:,} t")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
