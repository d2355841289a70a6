"""Who may register parties, administer the database and move exchange cash (issue 19, items 4–5
follow-up): each refusal is an exit code, one clear line and an unchanged database digest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from openets.cli.app import app
from openets.core.actor import SYSTEM_SETUP, Role
from openets.registry.model import PartyKind
from openets.services.database import make_engine as open_engine
from openets.services.exchange import open_exchange
from openets.testing.builders import build_world
from openets.testing.digest import digest

runner = CliRunner()


@pytest.fixture
def world(db_url: str) -> str:
    """Market BJ: regulators BJ-reg-1/-2, company user BJ-co-0, an administrator root, an auditor aud,
    and SH's regulator SH-reg-1."""
    w = build_world(open_engine(db_url), companies=1)
    svc = w.svc
    svc.add_user(SYSTEM_SETUP, name="root", party_id=svc.registry_party("BJ"), role=Role.ADMINISTRATOR, market="BJ")
    aud = svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
    svc.add_user(SYSTEM_SETUP, name="aud", party_id=aud, role=Role.AUDITOR)
    svc.add_user(SYSTEM_SETUP, name="SH-reg-1", party_id=svc.registry_party("SH"), role=Role.REGULATOR, market="SH")
    op = open_exchange(svc, "BEA-2016").ensure_exchange_party()
    svc.add_user(SYSTEM_SETUP, name="bj-exchange", party_id=op, role=Role.EXCHANGE, market="BJ")
    svc.engine.dispose()
    return db_url


def ok(*args: str) -> dict:  # type: ignore[type-arg]
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def refused(db: str, *args: str, code: int = 1) -> str:
    """The command is refused: exit ``code``, one ``error:`` line, nothing on stdout, the digest unchanged."""
    before = _digest(db)
    r = runner.invoke(app, [*args, "--db", db])
    err = r.stderr.strip()
    assert r.exit_code == code, (r.exit_code, err)
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err, err
    assert r.stdout == ""
    assert _digest(db) == before
    return err


def _digest(db: str) -> dict[str, tuple[int, str]]:
    eng = open_engine(db)
    try:
        return digest(eng)
    finally:
        eng.dispose()  # no connection left open: a restore takes the SQLite file out of WAL mode


PARTY = ("registry", "add-party", "--kind", "company", "--name", "丙", "--market", "BJ", "--registration-id", "R-NEW")


def test_add_party_names_its_actor(world: str) -> None:
    assert "not logged in" in refused(world, *PARTY)
    assert "[read_only]" in refused(world, *PARTY, "--as", "aud")
    assert "[not_authorised]" in refused(world, *PARTY, "--as", "BJ-co-0")
    # a regulator registers its own market's companies, investors and verifiers only
    assert "registers parties only of SH" in refused(world, *PARTY, "--as", "SH-reg-1")
    assert "may not register exchange parties" in refused(
        world, "registry", "add-party", "--kind", "exchange", "--name", "所", "--market", "BJ", "--as", "BJ-reg-1")
    assert "market none given" in refused(
        world, "registry", "add-party", "--kind", "verifier", "--name", "核查", "--as", "BJ-reg-1")
    assert ok(*PARTY, "--as", "BJ-reg-1", "--db", world)["party"] > 0
    assert ok("registry", "add-party", "--kind", "verifier", "--name", "核查", "--as", "root", "--db", world)["party"] > 0


def test_a_party_import_names_every_row_its_actor_may_not_register(world: str, tmp_path: Path) -> None:
    path = tmp_path / "parties.csv"
    path.write_text("ref,kind,name,market\n"
                    "p1,company,甲,BJ\n"  # BJ-reg-1's own: fine
                    "p2,company,乙,SH\n"  # another market's
                    "p3,exchange,所,BJ\n"  # not a kind a regulator registers
                    "p4,verifier,核查,\n", encoding="utf-8")  # no market
    err = refused(world, "registry", "import", str(path), "--kind", "parties", "--as", "BJ-reg-1")
    assert err.startswith("error: 3 problems, nothing imported: ") and err.endswith("[not_authorised]"), err
    for needle in ('row 3, column "market"', 'row 4, column "kind"', 'row 5, column "market"'):
        assert needle in err, (needle, err)
    assert "row 2" not in err
    assert ok("registry", "import", str(path), "--kind", "parties", "--as", "root", "--db", world)["parties"] == 4


def test_purge_keys_and_restore_are_an_administrators(world: str, tmp_path: Path) -> None:
    for who, needle in ((None, "not logged in"), ("aud", "[read_only]"), ("BJ-reg-1", "only an administrator does"),
                        ("BJ-co-0", "[not_authorised]")):
        as_ = ["--as", who] if who else []
        assert needle in refused(world, "registry", "purge-keys", "--older-than-days", "7", *as_)
    assert ok("registry", "purge-keys", "--older-than-days", "7", "--as", "root", "--db", world) == {"purged": 0}
    copy = tmp_path / "b.db"
    ok("registry", "backup", str(copy), "--db", world)
    for who, needle in ((None, "not logged in"), ("aud", "[read_only]"), ("BJ-reg-1", "[not_authorised]")):
        as_ = ["--as", who] if who else []
        assert needle in refused(world, "registry", "restore", str(copy), *as_)
    if world.startswith("sqlite"):  # PostgreSQL restores with pg_restore: the round trip is the backup test's
        # the commands before ran in this process and each thread keeps its write connections to their
        # engines (storage/db.py); one command a process, as from a shell, keeps none across commands
        from openets.storage import db as storage_db

        for eng, *_ in list(storage_db._writers.conns.values()):
            eng.dispose()
        assert ok("registry", "restore", str(copy), "--as", "root", "--db", world)["journal_ok"] is True


def test_init_bootstraps_a_new_database_only(world: str, tmp_path: Path) -> None:
    # the world has users: upgrading it is an administrator's act
    assert "not logged in" in refused(world, "registry", "init")
    assert "only an administrator does" in refused(world, "registry", "init", "--as", "BJ-reg-1")
    assert "[read_only]" in refused(world, "registry", "init", "--as", "aud")
    assert ok("registry", "init", "--as", "root", "--db", world)["accounts_created"] == 0
    # a new database has nobody to act as: its first init needs no user
    fresh = f"sqlite:///{tmp_path / 'new.db'}"
    assert ok("registry", "init", "--db", fresh)["accounts_created"] > 0
    assert ok("registry", "init", "--db", fresh)["accounts_created"] == 0  # still no users: again without one


def test_checkpoint_needs_no_user_the_key_file_is_the_proof(world: str, tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_bytes(b"0123456789abcdef-regulator")
    out = ok("registry", "checkpoint", "--out", str(tmp_path / "cp.json.gz"), "--key-file", str(key), "--db", world)
    assert (tmp_path / "cp.json.gz").exists() and out


def test_exchange_cash_moves_for_the_member_it_names(world: str) -> None:
    eng = open_engine(world)
    member = build_party(eng, "BJ-REG-00000")
    eng.dispose()
    cash = ("market", "deposit", "BEA-2016", "--amount", "100.00")
    assert "[read_only]" in refused(world, *cash, "--as", "aud")
    assert "[not_authorised]" in refused(world, *cash, "--as", "BJ-reg-1")  # a regulator holds no cash
    assert "[not_authorised]" in refused(world, *cash, "--as", "bj-exchange")  # the operator names the member
    assert "[not_authorised]" in refused(world, *cash, "--member", "1", "--as", "BJ-co-0")  # its own only
    assert "[not_a_member]" in refused(world, *cash, "--member", "1", "--as", "bj-exchange")  # party 1: a registry
    assert "[not_found]" in refused(world, *cash, "--member", "999999", "--as", "bj-exchange")
    assert "[not_authorised]" in refused(world, "market", "withdraw", "BEA-2016", "--amount", "1", "--member",
                                         str(member), "--as", "BJ-reg-1")
    # the member's own user, then the exchange operator recording a bank transfer: 100.00 + 250.00 − 50.00
    assert ok(*cash, "--as", "BJ-co-0", "--db", world)["balance_yuan"] == "100.00"
    got = ok("market", "deposit", "BEA-2016", "--amount", "250", "--member", str(member), "--as", "bj-exchange",
             "--db", world)
    assert (got["party"], got["balance_yuan"]) == (member, "350.00")
    got = ok("market", "withdraw", "BEA-2016", "--amount", "50", "--member", str(member), "--as", "bj-exchange",
             "--db", world)
    assert (got["party"], got["balance_yuan"]) == (member, "300.00")


def build_party(eng: Engine, registration_id: str) -> int:
    from sqlalchemy import select

    from openets.storage import tables as t

    with eng.connect() as c:
        return int(c.execute(select(t.parties.c.id).where(t.parties.c.registration_id == registration_id)).scalar_one())


def test_grant_limit_is_a_regulators_act(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Carry-over under the 2023–2024 plan for a company that sold nothing: 10,000 t + 1.5 × 0 = 10,000 t."""
    from datetime import UTC, datetime

    from openets.core.clock import FixedClock

    monkeypatch.setenv("OPENETS_NOW", "2025-03-03T10:00:00+08:00")
    w = build_world(open_engine(db_url), FixedClock(datetime(2025, 3, 3, 2, tzinfo=UTC)), market="CEA",
                    vintage=2024, companies=1, allocate=100_000)
    aud = w.svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
    w.svc.add_user(SYSTEM_SETUP, name="aud", party_id=aud, role=Role.AUDITOR)
    w.svc.add_user(SYSTEM_SETUP, name="BJ-reg-1", party_id=w.svc.registry_party("BJ"), role=Role.REGULATOR,
                   market="BJ")
    w.svc.engine.dispose()
    grant = ("registry", "grant-limit", "--company", "CEA-REG-00000", "--market", "CEA", "--year", "2024",
             "--kind", "carry_over")
    assert "not logged in" in refused(db_url, *grant)
    assert "[read_only]" in refused(db_url, *grant, "--as", "aud")
    assert "is not a regulator of CEA [not_authorised]" in refused(db_url, *grant, "--as", "BJ-reg-1")
    assert "[not_authorised]" in refused(db_url, *grant, "--as", "CEA-co-0")
    assert "not found" in refused(db_url, "registry", "grant-limit", "--company", "NOPE", "--market", "CEA", "--year",
                                  "2024", "--kind", "carry_over", "--as", "CEA-reg-1")
    got = ok(*grant, "--as", "CEA-reg-1", "--db", db_url)
    assert (got["kind"], got["year"], got["quantity"]) == ("carry_over", 2024, 10_000)
    assert ok("registry", "limits", got["account"], "--db", db_url) == [got]
    assert "not found" in refused(db_url, "registry", "limits", "CEA-NOPE")


def _live_refusals(db: str, tmp_path: Path) -> None:
    from openets.simulation.schema import BUNDLED
    from openets.testing.lab import write_lab_file

    lab = write_lab_file(tmp_path, 6, 2, 20)
    for args in (("demo", "--report", str(tmp_path / "r")),
                 ("run", str(BUNDLED / "pilots-2016.toml"), "--report", str(tmp_path / "r")),
                 ("walkthrough",), ("walkthrough", "--no-fresh"), ("lab", "run", str(lab))):
        err = refused(db, *args)
        assert "is a live registry" in err and "writes as nobody" in err, (args, err)
    assert not (tmp_path / "r").exists()


def test_demo_run_walkthrough_and_lab_refuse_a_live_registry(world: str, tmp_path: Path) -> None:
    from openets.services.auth import AuthService
    from openets.services.registry import RegistryService

    eng = open_engine(world)
    AuthService(RegistryService(eng)).set_password("root", "correct horse battery")
    eng.dispose()
    _live_refusals(world, tmp_path)
    assert "users with passwords" in refused(world, "walkthrough")


def test_a_registry_with_only_its_bootstrap_administrator_is_live(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'new.db'}"
    ok("registry", "init", "--db", db)
    ok("registry", "add-user", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root", "--db", db)
    _live_refusals(db, tmp_path)


def test_the_walkthrough_runs_again_over_its_own_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    for _ in range(2):  # its users are its own: made by the system set-up, no password, nobody acted as them
        assert runner.invoke(app, ["walkthrough", "--db", db, "--json"]).exit_code == 0


def test_init_upgrades_an_older_schema_as_its_administrator(tmp_path: Path) -> None:
    """A database of migration 0016 (before users had persons, 0017): its administrator upgrades it."""
    from sqlalchemy import text

    from openets.storage.migrate import upgrade

    db = f"sqlite:///{tmp_path / 'old.db'}"
    eng = open_engine(db)
    upgrade(eng, "0016")
    with eng.begin() as c:
        c.execute(text("INSERT INTO parties (kind, name, name_en, created_us) VALUES ('registry', '登记', 'r', 0)"))
        for name, role in (("root", "administrator"), ("li", "regulator")):
            c.execute(text("INSERT INTO users (name, display_name, created_us) VALUES (:n, :n, 0)"), {"n": name})
            c.execute(text("INSERT INTO representatives (user_name, party_id, role, market) VALUES (:n, 1, :r, 'BJ')"),
                      {"n": name, "r": role})
    eng.dispose()

    def version() -> str:
        e = open_engine(db)
        with e.connect() as c:
            got = str(c.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
        e.dispose()
        return got

    for as_, needle in (([], "not logged in"), (["--as", "li"], "only an administrator does")):
        r = runner.invoke(app, ["registry", "init", "--db", db, *as_])  # the digest reads this version's columns
        lines = r.stderr.strip().splitlines()
        # the refusal's own audit row does not fit a 0016 audit log (its columns came in 0018): said, once
        assert lines[:-1] in ([], ["warning: the refusal's audit row could not be written"]), lines
        assert r.exit_code == 1 and lines[-1].startswith("error: ") and needle in lines[-1], lines
        assert version() == "0016"
    assert ok("registry", "init", "--as", "root", "--db", db)["accounts_created"] > 0
    from alembic.script import ScriptDirectory

    from openets.storage.migrate import alembic_config
    assert version() == ScriptDirectory.from_config(alembic_config()).get_current_head()  # upgraded to the newest
