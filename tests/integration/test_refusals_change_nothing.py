"""Issue 19 item 9: a refused order changes nothing in the ledger's tables — no order row, no cash
row, no exchange party, the book's version unchanged — and its refusal is in the audit trail.
Also item 4 at the service: the auditor and a regulator move no exchange cash."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from openets.core.actor import SYSTEM_SETUP, Actor, Role
from openets.core.errors import DomainError
from openets.market.orderbook import BUY, SELL
from openets.market.rules import parse_trading_rules
from openets.registry.model import PartyKind
from openets.rules.loader import default_rulebook
from openets.services.exchange import ExchangeService, OrderRequest
from openets.testing.builders import build_world
from openets.testing.digest import audit_rows, digest


def exchange(w, reference: int = 5000) -> ExchangeService:  # type: ignore[no-untyped-def]
    rs = default_rulebook().lookup("BJ", 2016, date(2017, 6, 1), "trading")
    ex = ExchangeService(w.svc, market="BJ", instrument=w.unit_class.code,
                         trading=parse_trading_rules("BJ", rs.raw["trading"]))
    ex.reference = reference  # BJ band ±20 % (unverified): 40.00–60.00 yuan
    ex._rebuild()
    return ex


def test_each_refusal_kind_leaves_the_database_as_it_was(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, market="BJ", companies=2)  # Thursday 1 June 2017, 10:00 in Beijing
    ex = exchange(w)
    a, b = w.companies
    ex.deposit(b, 100_000)  # 1,000 yuan: a 100 t bid at 50 yuan needs 5,000 yuan + fee
    acc_a, acc_b = w.accounts[0].number, w.accounts[1].number
    assert ex.submit(a, account=acc_a, side=SELL, quantity=10, price_fen=5500, client_id="a-1").status == "open"
    cases = [
        (OrderRequest(a, acc_a, SELL, 0, 5000), "quantity_invalid"),
        (OrderRequest(a, acc_a, SELL, 10, 7000), "price_outside_band"),
        (OrderRequest(a, acc_a, SELL, 20_000, 5000), "available_balance"),  # it holds 10,000 t
        (OrderRequest(b, acc_b, BUY, 100, 5000), "cash_insufficient"),
        (OrderRequest(a, "BJ-NOPE", SELL, 1, 5000), "account_not_found"),
        (OrderRequest(b, acc_a, SELL, 1, 5000), "account_not_found"),  # someone else's account
        (OrderRequest(a, acc_a, "hold", 1, 5000), "order_invalid"),
        (OrderRequest(a, acc_a, SELL, 1, 5000, client_id="a-1"), "duplicate_client_order_id"),
    ]
    for request, why in cases:
        before, audited = digest(engine), len(audit_rows(engine))
        placed = ex.submit_many([request])[0]
        assert (placed.status, placed.reason, placed.order_id) == ("rejected", why, 0)
        assert digest(engine) == before, why  # every table, the book's version included
        new = audit_rows(engine)[audited:]
        assert new == [(request.actor.user, "ORDER",
                        f"/market/BEA-2016/orders refused: {why} (party {request.actor.party_id})", 422)]
    assert ex.depth() == {"bids": [], "asks": [(5500, 10)]}
    assert ex.reconcile() == []


def test_a_refusal_on_a_closed_market_creates_no_party_and_no_cash_row(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, market="BJ", companies=1)
    clock.at = datetime(2017, 6, 17, 2, 0, tzinfo=UTC)  # Saturday 17 June 2017: closed
    before = digest(engine)
    ex = exchange(w)  # opening the exchange writes nothing
    placed = ex.submit(w.companies[0], account=w.accounts[0].number, side=SELL, quantity=1, price_fen=5000)
    assert (placed.status, placed.reason) == ("rejected", "market_closed")
    assert digest(engine) == before  # no exchange party, no cash account, no order, no book version
    assert ex.exchange_party is None  # made by the first fee it is paid (test_exchange_flows: fees)


def test_who_moves_exchange_cash(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, market="BJ", companies=1)
    ex = exchange(w)
    svc = w.svc
    aud = svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
    svc.add_user(SYSTEM_SETUP, name="aud", party_id=aud, role=Role.AUDITOR)
    op = ex.ensure_exchange_party()
    svc.add_user(SYSTEM_SETUP, name="bj-exchange", party_id=op, role=Role.EXCHANGE, market="BJ")
    company, auditor, operator = w.companies[0], svc.actor("aud"), svc.actor("bj-exchange")
    before = digest(engine)
    with pytest.raises(DomainError) as refused:
        ex.deposit(auditor, 100)
    assert refused.value.code == "read_only"
    for who in (w.reg, operator):  # a regulator holds no cash; the operator names the member it records for
        with pytest.raises(DomainError) as refused:
            ex.deposit(who, 100)
        assert refused.value.code == "not_authorised"
    sh_operator = Actor("sh-exchange", operator.party_id, Role.EXCHANGE, "SH")
    with pytest.raises(DomainError):
        ex.deposit(sh_operator, 100, party=company.party_id)  # another market's exchange
    with pytest.raises(DomainError):
        ex.deposit(company, 100, party=aud)  # a member pays into its own account only
    assert digest(engine) == before
    ex.deposit(company, 100)
    ex.deposit(operator, 250, party=company.party_id)  # the desk records a member's bank transfer
    ex.withdraw(company, 50)
    assert ex.cash(company.party_id) == (100 + 250 - 50, 0)
