"""One audit row per request: an order refused at matching (after the order log wrote it) is one row,
recorded refused — not the route's success followed by the refusal."""

from __future__ import annotations

from sqlalchemy import text
from tests.api.conftest import PW

from openets.api.deps import COOKIE


def _rows(engine, path: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """Every row about orders: the request's, and any the exchange wrote of its own (``… refused: …``)."""
    with engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(text("SELECT * FROM audit_log WHERE path LIKE '%/orders%' "
                                                         "ORDER BY id"))]


def test_an_api_order_refused_at_matching_writes_one_row(make_api, login, engine) -> None:  # type: ignore[no-untyped-def]
    c, w = make_api(("BJ-co-1",))
    h = login(c, "BJ-co-1")
    r = c.post("/market/BEA-2016/orders", headers=h, json={"account": w.accounts[1].number, "side": "buy",
                                                            "quantity": 10, "price_fen": 5000, "type": "limit"})
    assert r.status_code == 422, r.text
    rows = _rows(engine, "/market/BEA-2016/orders")
    assert len(rows) == 1, rows
    assert rows[0]["status"] == 422 and rows[0]["answer"] == r.json()["title"].replace(" ", "_")


def test_a_dashboard_order_refused_at_matching_writes_one_row(make_api, engine) -> None:  # type: ignore[no-untyped-def]
    c, w = make_api(("BJ-co-1",))
    r = c.post("/ui/login", data={"username": "BJ-co-1", "password": PW}, follow_redirects=False)
    c.cookies.set(COOKIE, r.cookies[COOKIE])
    r = c.post("/ui/market/BEA-2016/orders", data={"account": w.accounts[1].number, "side": "buy", "quantity": "10",
                                                   "price": "50.00"})
    assert r.status_code == 422
    rows = _rows(engine, "/ui/market/BEA-2016/orders")
    assert len(rows) == 1, rows
    assert rows[0]["status"] == 422 and rows[0]["answer"] == "cash_insufficient" and rows[0]["user_name"] == "BJ-co-1"


def test_migration_0019_indexes_the_audit_logs_wall_clock_and_drops_it_on_downgrade(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy import inspect

    from openets.storage.db import make_engine, unit_of_work
    from openets.storage.migrate import alembic_config, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine, "0019")
    assert {"ix_audit_log_at_us"} <= {i["name"] for i in inspect(engine).get_indexes("audit_log")}
    cfg = alembic_config()
    with unit_of_work(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0018")
    assert "ix_audit_log_at_us" not in {i["name"] for i in inspect(engine).get_indexes("audit_log")}
    engine.dispose()
