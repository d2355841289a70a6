"""Registry use cases. Every value-moving request goes through :meth:`RegistryService.submit`:
one database transaction, idempotent per client key, checked by the domain before anything moves.

The service is a facade: set-up (:mod:`.setup`), accounts and lookups (:mod:`.accounts`), and the
unit of work (:mod:`.submit`) each live in their own module."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine, select

from openets.core.actor import Actor, Role
from openets.core.batching import gc_paused
from openets.core.clock import Clock, SystemClock, to_us
from openets.core.errors import DomainError
from openets.registry.commands import Command
from openets.registry.model import AccountType, UnitClass
from openets.registry.transactions import TxRecord
from openets.rules.loader import RuleBook
from openets.services.registry.accounts import AccountsMixin
from openets.services.registry.setup import SetupMixin
from openets.services.registry.submit import Outcome, UnitOfWork
from openets.services.rulebook import default_rulebook, typed
from openets.storage import tables as t
from openets.storage.db import run_in_transaction


class RegistryService(SetupMixin, AccountsMixin):
    def __init__(self, engine: Engine, *, clock: Clock | None = None, rulebook: RuleBook | None = None) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        # every section parsed now: a bad rule file fails here, not in the middle of a run
        self.rulebook = typed(rulebook) if rulebook is not None else default_rulebook()
        self._market_accounts: dict[tuple[str, AccountType], int] | None = None
        self._uc_cache: dict[int, UnitClass] = {}

    # -- actors ----------------------------------------------------------------------------------
    def actor(self, user: str, party_id: int | None = None) -> Actor:
        with self.engine.connect() as conn:
            q = select(t.representatives, t.users.c.person_id).join(
                t.users, t.users.c.name == t.representatives.c.user_name).where(t.representatives.c.user_name == user)
            if party_id is not None:
                q = q.where(t.representatives.c.party_id == party_id)
            rows = conn.execute(q).all()
        if not rows:
            raise DomainError("not_a_representative", f"user {user!r} does not represent "
                              + (f"party {party_id}" if party_id is not None else "any party"))
        if len(rows) > 1:
            raise DomainError("party_ambiguous", f"user {user!r} represents several parties: name one")
        r = rows[0]
        return Actor(user, r.party_id, Role(r.role), r.market, r.person_id)

    # -- the one way value moves -----------------------------------------------------------------
    def submit(self, actor: Actor, ops: Sequence[Command], *, all_or_nothing: bool = True) -> list[Outcome]:
        """Run ``ops`` in one database transaction.

        all_or_nothing: the first refusal rolls everything back and is raised. Otherwise refused
        ops are reported in their outcome and the rest commit.
        """
        with gc_paused():
            return run_in_transaction(self.engine, lambda conn: self._submit(conn, actor, ops, all_or_nothing))

    def submit_in(self, conn: Connection, actor: Actor, ops: Sequence[Command], *,
                  all_or_nothing: bool = True) -> list[Outcome]:
        """As :meth:`submit`, inside a transaction the caller already holds (a larger unit of work)."""
        return self._submit(conn, actor, ops, all_or_nothing)

    def one(self, actor: Actor, op: Command) -> TxRecord:
        outcome = self.submit(actor, [op])[0]
        assert outcome.record is not None
        return outcome.record

    def _submit(self, conn: Connection, actor: Actor, ops: Sequence[Command], all_or_nothing: bool) -> list[Outcome]:
        return UnitOfWork(self, conn, actor, ops, all_or_nothing).run()

    # -- retention -------------------------------------------------------------------------------
    def purge_idempotency_keys(self, actor: Actor, *, older_than_days: int, minimum_days: int = 7) -> int:
        """Forget client keys older than ``older_than_days`` (never fewer than ``minimum_days``), as an
        administrator (``Actor.require_administrator``: a forgotten key lets a repeated request act twice).

        Only the keys go: transactions and the journal are never deleted (the journal's triggers
        refuse it), so records are kept for as long as the database is (≥ 5 years required)."""
        actor.require_administrator("purge idempotency keys")
        if older_than_days < minimum_days:
            raise DomainError("retention_too_short",
                              f"idempotency keys are kept at least {minimum_days} days, not {older_than_days}")
        cutoff = to_us(self.clock.now()) - older_than_days * 86_400 * 1_000_000

        def work(c: Connection) -> int:
            return c.execute(t.idempotency.delete().where(t.idempotency.c.created_us < cutoff)).rowcount

        return run_in_transaction(self.engine, work)
