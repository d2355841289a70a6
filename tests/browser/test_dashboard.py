"""The dashboard in a real browser (Playwright driving Debian's Chromium): log in as a company, see
its balance, place an order, see it in the book; the public pages draw the K-line and the
cross-market chart with data (screenshots kept in the test's folder).

Runs where /usr/bin/chromium exists; CI installs it and sets OPENETS_REQUIRE_BROWSER=1 so that a
missing browser fails instead of skipping."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
PW = "correct horse battery"


def _need_browser() -> None:
    if os.environ.get("OPENETS_BROWSER") == "later":
        pytest.skip("the browser suite runs once per CI run, on PostgreSQL")
    if not Path(CHROMIUM).exists():
        if os.environ.get("OPENETS_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed here (apt-get install chromium); CI runs this")


@pytest.fixture
def server(engine, clock):  # type: ignore[no-untyped-def]
    _need_browser()
    import uvicorn

    from openets.api.app import create_app
    from openets.services.auth import AuthService
    from openets.services.exchange import open_exchange
    from openets.testing.builders import build_world

    w = build_world(engine, clock)  # Beijing; two companies with 10,000 t of BEA-2016
    AuthService(w.svc).set_password("BJ-co-1", PW)
    seller, buyer = w.companies
    ex = open_exchange(w.svc, "BEA-2016")
    ex.deposit(buyer, 100_000_000)
    for day, price in ((1, 5000), (2, 5150), (5, 5080)):  # three trading days of trades: a K-line with data
        clock.at = datetime(2017, 6, day, 2, 0, tzinfo=UTC)
        ex.submit(seller, account=w.accounts[0].number, side="sell", quantity=100, price_fen=price)
        ex.submit(buyer, account=w.accounts[1].number, side="buy", quantity=60, price_fen=price)
        ex.submit(buyer, account=w.accounts[1].number, side="buy", quantity=40, price_fen=price + 20)
        ex.close_day()
    clock.at = datetime(2017, 6, 6, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Beijing: the market is open
    ex.submit(seller, account=w.accounts[0].number, side="sell", quantity=500, price_fen=5200)
    app = create_app(engine, secret="browser-secret-of-thirty-two-bytes-or-more", clock=clock)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}", w
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def page(server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        yield pg
        browser.close()


def test_company_logs_in_sees_its_balance_and_places_an_order(server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, w = server
    page.goto(f"{base}/ui/login")
    page.fill("input[name=username]", "BJ-co-1")
    page.fill("input[name=password]", PW)
    page.click("#login button")
    page.wait_for_url(f"{base}/ui/me")
    holdings = page.inner_text("#holdings")
    assert w.accounts[1].number in holdings and "10300" in holdings.replace(",", "")  # 10,000 + 300 bought
    page.goto(f"{base}/ui/market/BEA-2016")
    page.select_option("#order select[name=side]", "buy")
    page.fill("#order input[name=quantity]", "120")
    page.fill("#order input[name=price]", "49.50")
    page.click("#order button")
    page.wait_for_url(f"{base}/ui/market/BEA-2016")
    book = page.inner_text("#book")
    assert "49.50" in book and "120" in book  # our bid rests in the book
    assert "52.00" in book  # below the seller's ask
    assert "49.50" in page.inner_text("#orders")
    page.screenshot(path=str(tmp_path / "market.png"), full_page=True)
    # a refused order says why, in one line
    page.fill("#order input[name=quantity]", "10")
    page.fill("#order input[name=price]", "99.00")  # outside Beijing's band
    page.click("#order button")
    assert "price_outside_band" in page.inner_text("#error")


def test_public_pages_draw_the_charts_with_data(server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, _ = server
    page.goto(f"{base}/ui/market/BEA-2016")
    page.wait_for_function("document.getElementById('kline').data !== undefined")
    points = page.evaluate("document.getElementById('kline').data[0].x.length")
    assert points == 3  # three trading days of bars
    assert page.locator("#kline .main-svg").count() >= 1  # drawn, not only configured
    shot = tmp_path / "kline.png"
    page.locator("#kline").screenshot(path=str(shot))
    assert shot.stat().st_size > 5_000
    page.goto(f"{base}/")
    page.wait_for_function("document.getElementById('prices').data !== undefined")
    assert page.evaluate("document.getElementById('prices').data[0].y.length") == 3
    assert "BEA-2016" in page.inner_text("#instruments")
    page.click("#lang")
    assert "Market overview" in page.inner_text("h1")


def test_chart_date_axes_read_in_the_page_language(server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, _ = server
    han = re.compile(r"[\u4e00-\u9fff]")
    for url, chart in (("/ui/market/BEA-2016", "kline"), ("/", "prices")):
        page.goto(f"{base}{url}")  # Chinese by default: 6月1日 … (the catalogue's 年/月/日 formats)
        page.wait_for_function(f"document.querySelectorAll('#{chart} .xtick text').length > 0")
        ticks = page.eval_on_selector_all(f"#{chart} .xtick text", "els => els.map(e => e.textContent)")
        assert ticks and all("月" in t and "日" in t for t in ticks), ticks
        page.locator(f"#{chart}").screenshot(path=str(tmp_path / f"{chart}-zh.png"))
        page.goto(f"{base}{url}?lang=en")
        page.wait_for_function(f"document.querySelectorAll('#{chart} .xtick text').length > 0")
        ticks = page.eval_on_selector_all(f"#{chart} .xtick text", "els => els.map(e => e.textContent)")
        assert ticks and not any(han.search(t) for t in ticks) and any("Jun" in t for t in ticks), ticks
        page.goto(f"{base}{url}?lang=zh")
