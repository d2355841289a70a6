"""A company's transfer and surrender (清缴), each in three steps: the form → a confirmation page that
states exactly what will happen (from, to with its holder's name, quantity, unit class; for a
surrender the compliance year and the obligation before and after) → confirm. The confirmation page
carries a client key for the registry's idempotency: a double submit moves once. The registry
decides as for the API and CLI (its checks, four eyes where the rule set wants it); a refusal is one
translated line on the form."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openets.core.actor import Actor
from openets.core.errors import DomainError, NotFound
from openets.core.numbers import parse_int
from openets.core.quantity import parse_tonnes
from openets.core.text import check_text
from openets.services.names import party_names
from openets.web.company_pages import obligations

if TYPE_CHECKING:
    from openets.services.queries import RegistryQueries
    from openets.services.registry import AccountRef, RegistryService

Field = Annotated[str, Form(max_length=64)]
Key = Annotated[str, Form(max_length=128)]


def mount_company_actions(app: FastAPI, *, registry: RegistryService, queries: RegistryQueries,
                          who: Callable[[Request], Actor | None], page: Callable[..., HTMLResponse]) -> None:
    from openets.registry.commands import Surrender, Transfer

    def submission_key(key: str) -> str:
        """The confirmation page's client key: without it a double submit would move twice."""
        text = check_text(key, "key", max_length=128)
        if not text:
            raise DomainError("key_missing", "the confirmation's submission key is missing: confirm from the confirmation page")
        return text

    def own_account(me: Actor, number: str) -> AccountRef:
        acc = registry.account_ref(check_text(number, "from_account", max_length=32))
        if acc.party_id != me.party_id:  # not yours: the same answer as no such account
            raise NotFound("account", number)
        return acc

    def available(me: Actor, number: str, unit_class: str) -> int:
        return sum(h.available for h in queries.holdings(me.party_id)
                   if h.account == number and h.unit_class == unit_class and not h.restriction_id)

    def form_page(request: Request, me: Actor, kind: str, *, status: int = 200, refusal: DomainError | None = None,
                  form: dict[str, str] | None = None) -> HTMLResponse:
        held = queries.holdings(me.party_id)
        years = [f"{o['market']} {o['year']}" for o in obligations(registry, me.party_id)] if kind == "surrender" else []
        return page(request, "company_move.html", status=status, me=me, kind=kind, refusal=refusal, form=form or {},
                    accounts=sorted({h.account for h in held}), unit_classes=sorted({h.unit_class for h in held}),
                    years=years)

    def refused(request: Request, me: Actor, kind: str, exc: DomainError, form: dict[str, str]) -> HTMLResponse:
        request.state.problem = exc.code  # the audit row: refused, and why
        return form_page(request, me, kind, status=422, refusal=exc, form=form)

    def holder(acc: AccountRef) -> str:
        return party_names(registry.engine, [acc.party_id]).get(acc.party_id, ("", ""))[0]

    def year_of(text: str, market: str) -> int:
        got_market, _, year = text.strip().partition(" ")
        if got_market != market:
            raise DomainError("compliance_year_invalid", f"the compliance year is one of market {market}")
        return parse_int(year, "compliance year", minimum=2005, maximum=2100)

    # -- transfer ---------------------------------------------------------------------------------
    @app.get("/ui/company/transfer", response_class=HTMLResponse, include_in_schema=False)
    def transfer_form(request: Request) -> Response:
        me = who(request)
        if me is None:
            return RedirectResponse("/ui/login", status_code=303)
        return form_page(request, me, "transfer")

    @app.post("/ui/company/transfer/review", response_class=HTMLResponse, include_in_schema=False)
    def transfer_review(request: Request, from_account: Field, to_account: Field, unit_class: Field,
                        quantity: Field) -> Response:
        me = who(request)
        if me is None:
            return RedirectResponse("/ui/login", status_code=303)
        form = {"from_account": from_account, "to_account": to_account, "unit_class": unit_class, "quantity": quantity}
        try:
            frm = own_account(me, from_account)
            to = registry.account_ref(check_text(to_account.strip(), "to_account", max_length=32))
            registry.unit_class_id(unit_class)
            qty = parse_tonnes(quantity)
        except DomainError as exc:
            return refused(request, me, "transfer", exc, form)
        have = available(me, frm.number, unit_class)
        return page(request, "company_confirm.html", me=me, kind="transfer", key=uuid.uuid4().hex,
                    form={**form, "to_account": to.number, "quantity": str(qty)},
                    facts={"from": frm.number, "from_holder": holder(frm), "to": to.number, "to_holder": holder(to),
                           "quantity": qty, "unit_class": unit_class, "before": have, "after": have - qty})

    @app.post("/ui/company/transfer", response_class=HTMLResponse, include_in_schema=False)
    def transfer(request: Request, from_account: Field, to_account: Field, unit_class: Field, quantity: Field,
                 key: Key) -> Response:
        me = who(request)
        if me is None:
            return RedirectResponse("/ui/login", status_code=303)
        form = {"from_account": from_account, "to_account": to_account, "unit_class": unit_class, "quantity": quantity}
        try:
            frm, to = own_account(me, from_account), registry.account_ref(check_text(to_account, "to_account", max_length=32))
            op = Transfer(key=submission_key(key), from_account=frm.id, to_account=to.id,
                          unit_class=registry.unit_class_id(unit_class), quantity=parse_tonnes(quantity))
            out = registry.submit(me, [op])[0]
        except DomainError as exc:
            return refused(request, me, "transfer", exc, form)
        return done(request, me, "transfer", out, frm.number)

    # -- surrender --------------------------------------------------------------------------------
    @app.get("/ui/company/surrender", response_class=HTMLResponse, include_in_schema=False)
    def surrender_form(request: Request) -> Response:
        me = who(request)
        if me is None:
            return RedirectResponse("/ui/login", status_code=303)
        return form_page(request, me, "surrender")

    @app.post("/ui/company/surrender/review", response_class=HTMLResponse, include_in_schema=False)
    def surrender_review(request: Request, from_account: Field, unit_class: Field, quantity: Field,
                         compliance_year: Field) -> Response:
        me = who(request)
        if me is None:
            return RedirectResponse("/ui/login", status_code=303)
        form = {"from_account": from_account, "unit_class": unit_class, "quantity": quantity,
                "compliance_year": compliance_year}
        try:
            frm = own_account(me, from_account)
            registry.unit_class_id(unit_class)
            qty, year = parse_tonnes(quantity), year_of(compliance_year, frm.market)
            ob = next((o for o in obligations(registry, me.party_id) if (o["market"], o["year"]) == (frm.market, year)),
                      None)
            if ob is None:
                raise DomainError("obligation_missing", f"no obligation of market {frm.market} for {year}")
        except DomainError as exc:
            return refused(request, me, "surrender", exc, form)
        have = available(me, frm.number, unit_class)
        after = ob["surrendered"] + qty
        return page(request, "company_confirm.html", me=me, kind="surrender", key=uuid.uuid4().hex,
                    form={**form, "quantity": str(qty)},
                    facts={"from": frm.number, "from_holder": holder(frm), "quantity": qty, "unit_class": unit_class,
                           "before": have, "after": have - qty, "market": frm.market, "year": year,
                           "deadline": ob["deadline"], "owed": ob["owed"], "surrendered_before": ob["surrendered"],
                           "surrendered_after": after, "shortfall_before": ob["shortfall"],
                           "shortfall_after": None if ob["owed"] is None else max(0, ob["owed"] - after)})

    @app.post("/ui/company/surrender", response_class=HTMLResponse, include_in_schema=False)
    def surrender(request: Request, from_account: Field, unit_class: Field, quantity: Field, compliance_year: Field,
                  key: Key) -> Response:
        me = who(request)
        if me is None:
            return RedirectResponse("/ui/login", status_code=303)
        form = {"from_account": from_account, "unit_class": unit_class, "quantity": quantity,
                "compliance_year": compliance_year}
        try:
            frm = own_account(me, from_account)
            op = Surrender(key=submission_key(key), from_account=frm.id,
                           unit_class=registry.unit_class_id(unit_class), quantity=parse_tonnes(quantity),
                           compliance_year=year_of(compliance_year, frm.market))
            out = registry.submit(me, [op])[0]
        except DomainError as exc:
            return refused(request, me, "surrender", exc, form)
        return done(request, me, "surrender", out, frm.number)

    def done(request: Request, me: Actor, kind: str, out: Any, number: str) -> HTMLResponse:
        rec = out.record
        return page(request, "company_done.html", me=me, kind=kind, txn=rec.id, txn_status=rec.status.value,
                    quantity=rec.quantity, replayed=out.replayed, account=number)
