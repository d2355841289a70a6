"""Why the national 2024 steel/cement/aluminium year reported 0 fines though ~2.7 % of its companies miss
the deadline (issue 15), and the fix.

Every company is given exactly its verified emissions, so nobody needs to trade: the scenario's market
has no listed trade at all. Decree 775 prices the fine at the average price of the month before the
deadline (1–31 Dec 2025 for a 31 Dec deadline); with no trade of its own in that window
``Consequences.decide`` refuses (``no_trades``), and the simulation swallowed that refusal — so no
fine, no listing and no next-year deduction were decided for anyone. A registry that does not hold the
whole market's trades takes the price as the exchange certifies it (the Ningxia case: 98.00 yuan,
certified by the Shanghai exchange): ``decide(certified_price_fen=…)``; the simulation passes the
scenario's stated market price. The late payers are fined too: at the deadline they had surrendered
nothing, so their whole obligation is the fine's shortfall; the consequences are decided after their late
surrender (deadline + 5 days), so a late payer that paid in full is neither listed nor owes anything
against next year (decided before it, as they were, it owed its whole obligation)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openets.cli.app import app
from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.services.compliance import Consequences
from openets.services.registry import RegistryService
from openets.services.rulebook import default_rulebook
from openets.simulation.schema import BUNDLED
from openets.storage.db import make_engine


def test_the_missed_deadlines_are_fined_at_the_certified_price(tmp_path: Path) -> None:
    text = (BUNDLED / "national-2024-industry.toml").read_text(encoding="utf-8")
    for a, b in {"companies = 150": "companies = 10", "trading_days = 20": "trading_days = 2",
                 "orders_per_day = 300": "orders_per_day = 30", 'late_share = "0.02"': 'late_share = "0.1"',
                 'never_share = "0.01"': 'never_share = "0.1"'}.items():
        assert a in text
        text = text.replace(a, b)
    path = tmp_path / "small.toml"
    path.write_text(text, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'year.db'}"
    r = CliRunner().invoke(app, ["run", str(path), "--db", db, "--report", str(tmp_path / "report"), "--json"])
    assert r.exit_code == 0, r.stderr
    (cea,) = json.loads(r.stdout)["markets"]
    assert cea["trades"] == 0 and cea["compliance"] == "80.0 %"  # 1 late + 1 never of 10: no trade at all
    engine = make_engine(db)
    svc = RegistryService(engine, clock=FixedClock(datetime(2026, 1, 10, tzinfo=UTC)), rulebook=default_rulebook())
    got = Consequences(svc).published("CEA", 2024)
    fines = [p for p in got if p.kind == "fine"]
    listed = {p.company for p in got if p.kind == "listed"}
    assert len(fines) == 2 and len(listed) == 1  # the never payer; the late one paid in full, late
    for f in fines:  # 5 (the stated default multiple) × 60.00 yuan × the shortfall, in fen
        assert f.amount_fen == 5 * 6000 * f.shortfall
        assert "60.00 yuan (average price of the month before the deadline)" in f.basis
        assert "2025-12-01–2025-12-31" in f.basis and "certified" in f.basis
    # and the shortfall owed against next year (Art. 24: if not corrected), as it stood at the decision
    assert {p.company for p in got if p.kind == "next_year"} == listed < {f.company for f in fines}
    # the cause: without the certified price, the Decree's price cannot be had from this market's trades
    with pytest.raises(DomainError) as e:
        Consequences(svc).decide(svc.actor("cea-reg-1"), "CEA", 2024)
    assert e.value.code == "no_trades" and "2025-12-01" in str(e.value)
    # and with it, a second decision records nothing twice
    assert Consequences(svc).decide(svc.actor("cea-reg-1"), "CEA", 2024,
                                    certified_price_fen=Decimal(6000)) == []
