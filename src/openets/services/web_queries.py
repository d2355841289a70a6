"""Read-side queries for the dashboard: the years that have reports, a party's cash accounts, the
years a company reported, the account requests waiting for a market's regulator."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from openets.storage import tables as t


@dataclass(frozen=True, slots=True)
class CashRow:
    market: str
    balance_fen: int
    reserved_fen: int


@dataclass(frozen=True, slots=True)
class PendingAccount:
    number: str
    party: str  # the party's name
    type: str


class WebQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def report_years(self) -> list[tuple[str, int]]:
        """Every (market, year) with an emission report, in order."""
        er = t.emission_reports
        with self.engine.connect() as c:
            return [(r.market, r.year) for r in c.execute(
                select(er.c.market, er.c.year).distinct().order_by(er.c.market, er.c.year))]

    def company_report_years(self, company: str) -> list[tuple[str, int]]:
        """The (market, year) pairs the company has reports for."""
        er = t.emission_reports
        with self.engine.connect() as c:
            return [(r.market, r.year) for r in c.execute(
                select(er.c.market, er.c.year).where(er.c.company == company).distinct())]

    def cash_accounts(self, party: int) -> list[CashRow]:
        ca = t.cash_accounts
        with self.engine.connect() as c:
            return [CashRow(r.market, r.balance_fen, r.reserved_fen)
                    for r in c.execute(select(ca).where(ca.c.party_id == party))]

    def pending_accounts(self, market: str) -> list[PendingAccount]:
        """Account requests of the market waiting for a decision, by number."""
        a, p = t.accounts, t.parties
        with self.engine.connect() as c:
            return [PendingAccount(r.number, r.name, r.type) for r in c.execute(
                select(a.c.number, a.c.type, p.c.name).join(p, p.c.id == a.c.party_id)
                .where(a.c.market == market, a.c.status == "requested").order_by(a.c.number))]
