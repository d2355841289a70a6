"""The dashboard's pages, mounted on the API app. Thin like the routes: read through the services,
render with Jinja2. Logged-in users carry their token in an HttpOnly, SameSite=Strict cookie; forms
post back and redirect (or show the refusal in one line). Chinese by default, English with ?lang=en
(remembered in a cookie)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Form, Path, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from openets.core.actor import Actor, Role
from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError
from openets.core.prices import yuan_text
from openets.messages import Phrases, words
from openets.services.market_queries import MarketQueries
from openets.services.web_queries import WebQueries
from openets.web.acting import note_actor
from openets.web.i18n import page_lang

if TYPE_CHECKING:  # the parts of the app the pages are given (no import at run time)
    from openets.services.auth import AuthService
    from openets.services.exchange.hub import Exchanges
    from openets.services.queries import RegistryQueries
    from openets.services.registry import RegistryService

COOKIE = "openets_token"
_env = Environment(loader=FileSystemLoader(FsPath(__file__).parent / "templates"), autoescape=select_autoescape())


def local_time(at: datetime) -> str:
    """An instant as people in the market read it: Beijing time (the markets' zone), to the minute."""
    return at.astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M")


def _yuan(fen: int | None) -> str:
    return "" if fen is None else yuan_text(fen, grouped=True)


def mount_dashboard(app: FastAPI, *, registry: RegistryService, auth: AuthService, hub: Exchanges,
                    queries: RegistryQueries, current: Callable[..., Actor]) -> None:
    web = WebQueries(registry.engine)
    market_queries = MarketQueries(registry.engine)

    def who(request: Request) -> Actor | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        try:
            actor = auth.actor_for(token)
        except DomainError:
            return None
        note_actor(request, actor)  # the audit row names the dashboard's user too
        return actor

    def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        lang = page_lang(request)
        me = ctx.pop("me", None) or who(request)
        w = words(lang)
        tr = Phrases(w, lang)
        # a refusal handed to a page as its ``error`` (or ``closed``) is shown through the catalogue
        shown = {k: tr.problem(v) if k in ("error", "closed") and isinstance(v, DomainError) else v
                 for k, v in ctx.items()}
        body = _env.get_template(name).render(w=w, tr=tr, lang=lang, me=me, tz=MARKET_TZ, **shown)
        resp = HTMLResponse(body, status_code=status)
        if request.query_params.get("lang"):
            resp.set_cookie("lang", lang, samesite="strict")
        return resp

    def error_page(request: Request, status: int, code: str, detail: str) -> HTMLResponse | None:
        # the dashboard's own URLs answer errors as pages; the API's stay problem details
        path = request.url.path
        if path != "/" and not path.startswith("/ui/"):
            return None
        return page(request, "error.html", status=status, http_status=status, code=code, detail=detail)

    app.state.error_page = error_page

    def to_login() -> RedirectResponse:
        return RedirectResponse("/ui/login", status_code=303)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:  # shipped with the package (static/README.md: version, licence)
        return FileResponse(FsPath(__file__).parent / "static" / "plotly.min.js", media_type="text/javascript")

    @app.get("/static/noto-sans-sc.otf", include_in_schema=False)
    def chinese_font() -> FileResponse:  # the Noto Sans SC the reports use (installed package): Han glyphs offline
        from pylopdf_fonts_zh_cn import sans_path

        return FileResponse(sans_path(), media_type="font/otf", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview(request: Request) -> HTMLResponse:
        from openets.services.compliance import ComplianceService

        rows, series = [], {}
        for i in hub.instruments():
            daily, count = hub.daily_bars(i.instrument)  # the history, whether or not the instrument trades today
            rows.append({"instrument": i.instrument, "market": i.market,
                         "close": _yuan(daily[-1].close) if daily else "", "count": count})
            if daily:
                series[i.instrument] = {"x": [b.start.date().isoformat() for b in daily],
                                        "y": [b.close / 100 for b in daily]}
        compliance = []
        years = web.report_years()
        cs = ComplianceService(registry)
        for market, year in years:
            try:
                compliance.append({"market": market, "year": year, "rate": cs.rates(market, year)})
            except DomainError:
                continue  # no rules or nobody covered: nothing to show
        return page(request, "overview.html", instruments=rows, series=series, compliance=compliance)

    @app.get("/ui/market/{instrument}", response_class=HTMLResponse, include_in_schema=False)
    def market_page(request: Request, instrument: str) -> HTMLResponse:
        return market(request, instrument)

    def market(request: Request, instrument: str, error: DomainError | None = None, hint: bool = False) -> HTMLResponse:
        me = who(request)
        history, _count = hub.daily_bars(instrument)  # NotFound for an unknown instrument
        prints = hub.tape(instrument, last=20)  # the tape's newest end only
        closed: DomainError | None = None
        try:
            ex, depth = hub.depth(instrument, 10)
        except DomainError as exc:  # no trading rules in force today: its history, and why no book
            ex, depth, closed = None, {"bids": [], "asks": []}, exc
        daily = [{"day": b.start.date().isoformat(), "open": b.open / 100, "high": b.high / 100, "low": b.low / 100,
                  "close": b.close / 100, "volume": b.volume} for b in history]
        accounts, orders = [], []
        if me is not None and ex is not None:
            accounts = market_queries.open_accounts(me.party_id, ex.market)
            orders = [{**asdict(o), "price": _yuan(o.price_fen)} for o in hub.open_orders(instrument, me.party_id)]
        band = (f"{_yuan(ex.rules.band_low)} – {_yuan(ex.rules.band_high)}"
                if ex is not None and ex.rules.band_low is not None else "—")
        return page(request, "market.html", status=422 if error else 200, me=me, instrument=instrument, bars=daily,
                    band=band, error=error, hint=hint, closed=closed,
                    bids=[{"price": _yuan(p), "quantity": q} for p, q in depth["bids"]],
                    asks=[{"price": _yuan(p), "quantity": q} for p, q in depth["asks"]],
                    tape=[{"at": local_time(p.at), "price": _yuan(p.price),
                           "quantity": p.quantity} for p in prints[::-1]], accounts=accounts, orders=orders)

    @app.post("/ui/market/{instrument}/orders", include_in_schema=False)
    def place(request: Request, instrument: str, account: str = Form(...), side: str = Form(...),
              quantity: str = Form(...), price: str = Form("")) -> Response:
        from openets.core.numbers import parse_price_fen
        from openets.core.quantity import parse_tonnes

        me = who(request)
        if me is None:
            return to_login()
        try:  # the one bounded parser: a huge exponent or Infinity is refused before any conversion
            qty = parse_tonnes(quantity)
            fen = parse_price_fen(price) if price.strip() else None
        except DomainError as exc:
            request.state.problem = exc.code
            return market(request, instrument, error=exc, hint=True)  # with the form's rule beside it
        with hub.locked(instrument) as ex:
            placed = ex.submit(me, account=account, side=side, quantity=qty, price_fen=fen,
                               type="limit" if fen else "market")
        if placed.status == "rejected":
            request.state.problem = placed.reason or "order_rejected"  # the audit row: refused, and why
            return market(request, instrument,
                          error=DomainError(placed.reason or "order_rejected", f"order refused: {placed.reason}"))
        return RedirectResponse(f"/ui/market/{instrument}", status_code=303)

    @app.post("/ui/market/{instrument}/orders/{order_id}/cancel", include_in_schema=False)
    def cancel(request: Request, instrument: str, order_id: Annotated[int, Path(ge=1, le=2**53)]) -> Response:
        me = who(request)
        if me is None:
            return to_login()
        try:
            with hub.locked(instrument) as ex:
                ex.cancel(me, order_id)
        except DomainError as exc:
            return market(request, instrument, error=exc)
        return RedirectResponse(f"/ui/market/{instrument}", status_code=303)

    @app.get("/ui/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request) -> HTMLResponse:
        return page(request, "login.html")

    @app.post("/ui/login", include_in_schema=False)
    def login(request: Request, username: str = Form(...), password: str = Form(...)) -> Response:
        try:
            tok = auth.login(username, password, client=auth.client_of(request.client.host if request.client else None,
                                                                       request.headers.get("x-forwarded-for")))
        except DomainError as exc:
            return page(request, "login.html", status=401, error=exc)
        resp = RedirectResponse("/ui/me", status_code=303)
        resp.set_cookie(COOKIE, tok.access_token, max_age=tok.expires_in, httponly=True, samesite="strict")
        return resp

    @app.get("/ui/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        me = who(request)
        if me is not None:
            auth.revoke(me.user)
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(COOKIE)
        return resp

    @app.get("/ui/me", response_class=HTMLResponse, include_in_schema=False)
    def me_page(request: Request) -> Response:
        from openets.web.company_pages import obligations

        me = who(request)
        if me is None:
            return to_login()
        holdings = queries.holdings(me.party_id)
        cash = [{"market": r.market, "balance": _yuan(r.balance_fen), "reserved": _yuan(r.reserved_fen)}
                for r in web.cash_accounts(me.party_id)]
        return page(request, "me.html", me=me, holdings=holdings, cash=cash,
                    obligations=obligations(registry, me.party_id))

    @app.get("/ui/accounts", response_class=HTMLResponse, include_in_schema=False)
    def accounts(request: Request) -> Response:
        me = who(request)
        if me is None:
            return to_login()
        pending = []
        if me.role is Role.REGULATOR and me.market:
            pending = [asdict(r) for r in web.pending_accounts(me.market)]
        return page(request, "accounts.html", me=me, pending=pending)

    @app.post("/ui/accounts/{number}/{decision}", include_in_schema=False)
    def decide(request: Request, number: str, decision: str) -> Response:
        me = who(request)
        if me is None:
            return to_login()
        if decision not in ("approve", "reject"):
            return page(request, "accounts.html", status=404, me=me, pending=[],
                        error=DomainError("decision_invalid", "approve or reject"))
        try:
            registry.decide_account(me, number, approve=decision == "approve")
        except DomainError as exc:
            request.state.problem = exc.code
            return page(request, "accounts.html", status=422, me=me, pending=[], error=exc)
        return RedirectResponse("/ui/accounts", status_code=303)

    from openets.web.company_actions import mount_company_actions
    from openets.web.company_pages import mount_company
    from openets.web.compliance_page import mount_compliance
    from openets.web.falsification_page import mount_falsification
    from openets.web.lab_page import mount_lab
    from openets.web.role_pages import mount_roles
    from openets.web.work import mount_work

    mount_work(app, registry=registry, who=who, page=page)
    mount_compliance(app, registry=registry, who=who, page=page, yuan=_yuan)
    mount_lab(app, page=page)
    mount_company(app, registry=registry, queries=queries, who=who, page=page, yuan=_yuan, local_time=local_time)
    mount_company_actions(app, registry=registry, queries=queries, who=who, page=page)
    mount_roles(app, registry=registry, hub=hub, who=who, page=page, yuan=_yuan)
    mount_falsification(app, registry=registry, who=who, page=page, yuan=_yuan)
