"""Who the command line acts as, and its audit rows.

``openets login USER`` asks for the password (or reads it from stdin) and keeps a session for that
database in the user's config directory (``$OPENETS_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/openets``,
else ``~/.config/openets``; the file readable by its owner only); every command then acts as that
user until ``openets logout`` or the session expires. ``--as USER`` acts without a credential and is
refused unless the local administration mode is on (``OPENETS_LOCAL_ADMIN=1``: someone with the
database in hand, e.g. setting a market up); its audit rows say ``cli-local-admin``.

Every command runs inside :func:`audited`: its first write transaction also writes its audit row
(user, role, command, parameters), and a refusal after the actor is known writes a row saying so — or,
when a step of the command had already committed (and written the row), amends that row to the refusal."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openets.core.actor import Actor
from openets.core.errors import DomainError
from openets.core.settings import flag, setting
from openets.core.text import shown

if TYPE_CHECKING:
    from openets.services.registry import RegistryService

LOCAL_ADMIN = "OPENETS_LOCAL_ADMIN"
SECRET_PARAMS = {"db", "password", "password_stdin"}  # never in an audit row
UNAUDITED = {"openets serve"}
BOOTSTRAP = "cli-bootstrap"  # the audit source of the first administrator's creation, with no acting user


class Failure(Exception):
    """A refusal to report as one line and exit code (the CLI's ``Failure``; re-exported by common)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def local_admin() -> bool:
    return flag("local_admin")


def config_dir() -> Path:
    own = setting("config_dir")
    if own:
        return Path(own)
    base = setting("xdg_config_home") or str(Path.home() / ".config")
    return Path(base) / "openets"


def _sessions_file() -> Path:
    return config_dir() / "sessions.json"


def database_key(url: str) -> str:
    """Sessions are per database: a SQLite file by its absolute path, a server by its URL without a password."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.drivername.startswith("sqlite") and u.database and u.database != ":memory:":
        return f"sqlite:///{Path(u.database).resolve()}"
    return u.render_as_string(hide_password=True)


def _load() -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(_sessions_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(data: dict[str, dict[str, Any]]) -> None:
    path = _sessions_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # created owner-only, never readable by others
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def remember(url: str, user: str, party: int, key: str, expires: datetime) -> Path:
    data = _load()
    data[database_key(url)] = {"user": user, "party": party, "key": key, "expires": expires.isoformat()}
    _save(data)
    return _sessions_file()


def forget(url: str) -> dict[str, Any] | None:
    data = _load()
    got = data.pop(database_key(url), None)
    if got is not None:
        _save(data)
    return got


def stored(url: str) -> dict[str, Any] | None:
    return _load().get(database_key(url))


# -- the acting user and the command's audit row --------------------------------------------------------------
@dataclass(slots=True)
class _Acting:
    command: str
    params: dict[str, Any]
    actor: Actor | None = None
    source: str = "cli"
    registry: RegistryService | None = None


_acting: ContextVar[_Acting | None] = ContextVar("openets_cli_acting", default=None)


def acting(registry: RegistryService, user: str | None, party: int | None = None) -> Actor:
    """The user this command acts as: the logged-in one for this database, or (local administration
    mode only) the one named by ``--as`` / ``$OPENETS_USER``."""
    from openets.services.auth import AuthService
    from openets.services.cli_sessions import session_actor

    named = user or setting("user")
    url = registry.engine.url.render_as_string(hide_password=False)
    if local_admin() and named:
        actor, source = registry.actor(named, party), "cli-local-admin"
    else:
        got = stored(url)
        if got is None:
            if named:
                raise Failure(f"--as {named}: acting as a user without their credential is only for local "
                              f"administration ({LOCAL_ADMIN}=1, recorded in the audit log); "
                              f"otherwise log in first: openets login {named}")
            raise Failure("not logged in: openets login USER (or, administering locally, "
                          f"{LOCAL_ADMIN}=1 with --as USER)")
        actor, source = session_actor(AuthService(registry), str(got.get("key", ""))), "cli"
        if named and named != actor.user:
            raise Failure(f"logged in as {actor.user}, not {named}: openets logout, then openets login {named}")
        if party is not None and party != actor.party_id:
            raise Failure(f"logged in for party {actor.party_id}, not {party}: log in again with --party {party}")
    state = _acting.get()
    if state is not None:
        state.actor, state.source, state.registry = actor, source, registry
    return actor


def acting_or_bootstrap(registry: RegistryService, user: str | None, party: int | None = None) -> Actor | None:
    """As :func:`acting`; but with nobody named and nobody logged in, ``None``: the bootstrap of the
    first administrator (the service refuses anything else), audited with source ``cli-bootstrap``."""
    if user or setting("user") or stored(registry.engine.url.render_as_string(hide_password=False)) is not None:
        return acting(registry, user, party)
    state = _acting.get()
    if state is not None:
        state.source, state.registry = BOOTSTRAP, registry
    return None


def administering(registry: RegistryService, user: str | None, party: int | None, what: str) -> Actor | None:
    """The acting administrator of a command over the database itself (``registry init``, ``restore``):
    as :func:`acting`, refused unless an administrator; on a database with no users yet (nobody to act
    as) ``None``, the bootstrap, audited with source ``cli-bootstrap``."""
    from openets.services.administration import authorise_administration, has_users

    if not has_users(registry.engine):
        state = _acting.get()
        if state is not None:
            state.source, state.registry = BOOTSTRAP, registry
        return None
    from sqlalchemy.exc import SQLAlchemyError

    try:
        actor = acting(registry, user, party)
    except SQLAlchemyError:  # a schema older than this version (users.person_id came in 0017): read the
        actor = _older_schema_actor(registry, user, party)  # acting user from what every version has
    authorise_administration(registry.engine, actor, what)
    return actor


def _older_schema_actor(registry: RegistryService, user: str | None, party: int | None) -> Actor:
    """The ``--as`` user of the local administration mode on a database whose schema predates this
    version (``registry init`` upgrades it): its representative row, the columns of migration 0001."""
    from openets.services.administration import older_schema_actor

    named = user or setting("user")
    if not (local_admin() and named):
        raise Failure(f"the database's schema is older than this version: upgrade it as an administrator in "
                      f"local administration mode ({LOCAL_ADMIN}=1, --as USER)")
    actor = older_schema_actor(registry.engine, named, party)
    state = _acting.get()
    if state is not None:
        state.actor, state.source, state.registry = actor, "cli-local-admin", registry
    return actor


def _row(state: _Acting, status: int, answer: str) -> dict[str, object] | None:
    from openets.core.clock import SystemClock
    from openets.services.audit import audit_row

    if state.actor is None and "user" in state.params and state.source != BOOTSTRAP:
        return None  # a command that acts as someone: its row waits for a write made once that is known

    clock = state.registry.clock if state.registry is not None else SystemClock()
    # a path given in bytes that are not UTF-8 is kept as its escapes (core.text.shown): never a lone surrogate
    # handed to the driver
    target = shown(json.dumps({k: v for k, v in state.params.items() if k not in SECRET_PARAMS and v not in (None, False)},
                              ensure_ascii=False, default=str))
    return audit_row(clock, user=state.actor.user if state.actor else None,
                     role=state.actor.role.value if state.actor else None, source=state.source, method="CLI",
                     path=f"{state.command} {target}", status=status, action=state.command.replace(" ", ".")[:64],
                     answer=answer)


@contextmanager
def audited() -> Iterator[None]:
    """Run a command with its audit row written in its first write transaction; a refusal once the
    actor is known gets its own row."""
    from openets.services.database import PendingAudit, amend_audit, audit_with_writes, write_audit

    command, params = _command()
    if command in UNAUDITED:  # the server audits its own requests; its context must not carry a command's row
        yield
        return
    state = _Acting(command, params)
    token = _acting.set(state)
    pending = PendingAudit(lambda: _row(state, 0, "ok"), refused_status=1)
    try:
        with audit_with_writes(pending):
            yield
    except (DomainError, Failure) as exc:
        code = str(exc.code if isinstance(exc, DomainError) else "refused")
        if state.registry is not None and pending.written and pending.row_id is not None:
            if pending.refusal is not None:  # the refusal's write already said so on the row (its reason)
                raise
            # a step committed (and wrote the command's row, "ok"), then a later one refused: the one
            # row says how the command ended
            try:
                amend_audit(state.registry.engine, pending.row_id, 1, code)
            except Exception:  # noqa: BLE001 - the refusal is what the user must see, not this
                print("warning: the refusal could not be recorded on the command's audit row", file=sys.stderr)
        elif state.actor is not None and state.registry is not None and not pending.written:
            row = _row(state, 1, code)
            if row is not None:
                try:
                    write_audit(state.registry.engine, row)
                except Exception:  # noqa: BLE001 - the refusal is what the user must see, not this
                    print("warning: the refusal's audit row could not be written", file=sys.stderr)
        raise
    finally:
        _acting.reset(token)


def _command() -> tuple[str, dict[str, Any]]:
    try:  # typer ≥ 0.25 carries its own copy of click (as cli/app.py notes)
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - older typer on top of click
        from click import get_current_context  # type: ignore[no-redef,assignment,unused-ignore]
    ctx = get_current_context(silent=True)
    if ctx is None:
        return "openets", {}
    _, _, rest = ctx.command_path.partition(" ")  # the program's name as the user typed it: openets
    return f"openets {rest}".strip(), dict(ctx.params)
