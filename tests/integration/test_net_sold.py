"""What "net allowances sold 2019–2024" counts (the 2023–2024 plan's carry-over limit, mechanisms.md
§8.3, ``FlexibilityService.net_sold``): registry transfers of the market's allowances out of the
company's accounts minus into them — a move between its own accounts is no sale."""

from __future__ import annotations

from datetime import UTC, datetime

from openets.core.clock import FixedClock
from openets.registry.commands import Transfer
from openets.registry.model import AccountType
from openets.services.flexibility import FlexibilityService
from openets.testing.builders import build_world


def test_a_move_between_the_companys_own_accounts_is_no_sale(engine) -> None:  # type: ignore[no-untyped-def]
    """A moves 5,000 t from its compliance account to its own holding account (out 5,000, in 5,000: 0),
    then sells B 2,000 t from the holding account: net sold 5,000 − 5,000 + 2,000 = 2,000 t; B: −2,000 t."""
    clock = FixedClock(datetime(2024, 6, 3, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2024, companies=2, issue=1_000_000, allocate=100_000)
    a, _ = w.companies
    holding = w.svc.decide_account(w.reg, w.svc.request_account(a, market="CEA", type=AccountType.HOLDING,
                                                                 number="CEA-H00000").number, approve=True)
    v24 = w.unit_class.id
    w.svc.one(a, Transfer(from_account=w.accounts[0].id, to_account=holding.id, unit_class=v24, quantity=5_000))
    flex = FlexibilityService(w.svc)
    assert flex.net_sold("CEA", "CEA-REG-00000", (2019, 2024)) == 0
    w.svc.one(a, Transfer(from_account=holding.id, to_account=w.accounts[1].id, unit_class=v24, quantity=2_000))
    assert flex.net_sold("CEA", "CEA-REG-00000", (2019, 2024)) == 2_000
    assert flex.net_sold("CEA", "CEA-REG-00001", (2019, 2024)) == -2_000


def test_exchange_trades_listed_and_block_count_as_sales(engine) -> None:  # type: ignore[no-untyped-def]
    """The exchange delivers by registry transfer (T+0 in the national rules): a listed trade of 3,000 t
    and a block trade of 100,000 t, A selling to B, on 3 Jun 2024: A net sold 103,000 t, B −103,000 t."""
    from datetime import date

    from openets.market.rules import parse_trading_rules
    from openets.rules.loader import default_rulebook
    from openets.services.exchange import ExchangeService

    clock = FixedClock(datetime(2024, 6, 3, 2, tzinfo=UTC))  # 10:00 in Beijing, a Monday
    w = build_world(engine, clock, market="CEA", vintage=2024, companies=2, issue=1_000_000, allocate=200_000)
    ex = ExchangeService(w.svc, market="CEA", instrument=w.unit_class.code,
                         trading=parse_trading_rules("CEA", default_rulebook().lookup(
                             "CEA", 2024, date(2024, 6, 3), "trading").raw["trading"]))
    ex.reference = 9000
    ex._rebuild()
    a, b = w.companies
    ex.deposit(b, 2_000_000_000)
    sa, ba = w.accounts[0].number, w.accounts[1].number
    ex.submit(a, account=sa, side="sell", quantity=3_000, price_fen=9000)
    assert ex.submit(b, account=ba, side="buy", quantity=3_000, price_fen=9000).trades == [(9000, 3_000)]
    clock.at = datetime(2024, 6, 3, 6, tzinfo=UTC)  # 14:00: the block session
    assert ex.block_trade(a, sa, b, ba, price_fen=9000, quantity=100_000) > 0
    flex = FlexibilityService(w.svc)
    assert flex.net_sold("CEA", "CEA-REG-00000", (2019, 2024)) == 103_000
    assert flex.net_sold("CEA", "CEA-REG-00001", (2019, 2024)) == -103_000
