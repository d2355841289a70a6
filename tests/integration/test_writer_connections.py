"""SQLite: a thread keeps its write connection between units of work; errors, disposal and other
threads get their own."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from openets.storage import db
from openets.storage.db import make_engine, unit_of_work

pytestmark = pytest.mark.skipif(os.environ.get("OPENETS_DATABASE_URL", "").startswith("postgresql"),
                                reason="SQLite's kept write connections")


def _raw(conn):  # type: ignore[no-untyped-def]
    return conn.connection.dbapi_connection


def test_kept_between_units_of_work_fresh_after_an_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with unit_of_work(engine) as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
        first = c
    with unit_of_work(engine) as c:
        assert c is first
        c.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(ZeroDivisionError), unit_of_work(engine) as c:  # a refusal: rolled back, kept
        c.execute(text("INSERT INTO t VALUES (2)"))
        1 / 0  # noqa: B018
    with unit_of_work(engine) as c:
        assert c is first
        assert c.execute(text("SELECT x FROM t")).scalars().all() == [1]
    with pytest.raises(OperationalError), unit_of_work(engine) as c:  # a database error: set aside
        c.execute(text("INSERT INTO t VALUES (3)"))
        c.execute(text("INSERT INTO no_such_table VALUES (1)"))
    with unit_of_work(engine) as c:
        assert c is not first and first.closed
        assert c.execute(text("SELECT x FROM t")).scalars().all() == [1]  # both failed ones rolled back
    engine.dispose()


def test_threads_have_their_own_and_dispose_closes_this_threads(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    engine = make_engine(f"sqlite:///{path}")
    with unit_of_work(engine) as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
        mine = _raw(c)
    theirs = []

    def other() -> None:
        with unit_of_work(engine) as c:
            c.execute(text("INSERT INTO t VALUES (1)"))
            theirs.append(_raw(c))

    th = threading.Thread(target=other)
    th.start()
    th.join()
    assert theirs and theirs[0] is not mine
    with unit_of_work(engine) as c:
        c.execute(text("INSERT INTO t VALUES (2)"))
    engine.dispose()
    assert id(engine) not in db._writers.conns  # closed with the pool: its WAL went into the file
    copy = tmp_path / "copy.db"
    copy.write_bytes(path.read_bytes())  # the file alone (as the test template is copied)
    check = make_engine(f"sqlite:///{copy}")
    with check.connect() as c:
        assert sorted(c.execute(text("SELECT x FROM t")).scalars()) == [1, 2]
    check.dispose()


def test_many_threads_never_drain_the_pool(tmp_path: Path) -> None:
    """Kept connections are checked out of the pool for good: only a few an engine, so that 20 threads
    (more than the pool's 5 + 10) all get connections, twice, and readers still do."""
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with unit_of_work(engine) as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
    between = threading.Barrier(20)
    done: list[int] = []

    def work(i: int) -> None:
        for round_ in range(2):
            with unit_of_work(engine) as c:
                c.execute(text("INSERT INTO t VALUES (:x)"), {"x": i * 10 + round_})
            if round_ == 0:
                between.wait(timeout=20)  # all 20 hold whatever they kept while the others go again
        with engine.connect() as c:  # a reader
            c.execute(text("SELECT count(*) FROM t")).scalar()
        done.append(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=25)
    assert sorted(done) == list(range(20))
    assert len(db._kept.get(engine, ())) <= 4
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM t")).scalar() == 40
    engine.dispose()
