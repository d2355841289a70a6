"""Registry set-up: the markets' own parties and accounts, parties, installations, generating units,
users, unit classes and restrictions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select

from openets.core.actor import SYSTEM_SETUP, Actor, Role
from openets.core.clock import to_us
from openets.core.errors import DomainError, NotFound
from openets.core.ids import UnitClassCode
from openets.registry.model import GOVERNMENT_ACCOUNTS, Account, AccountStatus, PartyKind, UnitClass, UnitKind
from openets.registry.transactions import TxType
from openets.services.registry.base import ServiceBase, enum_value
from openets.storage import tables as t
from openets.storage.db import run_in_transaction
from openets.storage.fastsql import run
from openets.storage.registry_repo import account_from_row

_TYPES = {x.value for x in TxType}
_NEED_PERSON = (Role.REGULATOR, Role.ADMINISTRATOR)
_REGULATOR_GRANTS = (Role.COMPANY, Role.INVESTOR, Role.VERIFIER)
REGULATOR_PARTIES = (PartyKind.COMPANY, PartyKind.INVESTOR, PartyKind.VERIFIER)

# a party and its users, prebuilt (run on the driver cursor: storage/fastsql.py); a set-up of 1,000 firms
# runs each of them 1,000 times
_PARTY_COLS = ("kind", "name", "name_en", "market", "registration_id", "sector", "region", "created_us")
_SEL_REGISTRATION = select(t.parties.c.id).where(t.parties.c.registration_id == bindparam("reg"))
_INS_PARTY = insert(t.parties).values({c: bindparam(c) for c in _PARTY_COLS}).returning(t.parties.c.id)
_SEL_PARTY_MARKET = select(t.parties.c.market).where(t.parties.c.id == bindparam("id"))
_SEL_USER = select(t.users.c.name, t.users.c.person_id).where(t.users.c.name == bindparam("n"))
_INS_USER = insert(t.users).values({c: bindparam(c) for c in ("name", "display_name", "created_us", "person_id")})
_SEL_REPRESENTS = select(t.representatives.c.user_name).where(
    t.representatives.c.user_name == bindparam("n"), t.representatives.c.party_id == bindparam("p"))
_INS_REPRESENTATIVE = insert(t.representatives).values({c: bindparam(c) for c in ("user_name", "party_id", "role",
                                                                                  "market")})


def authorise_party(actor: Actor, kind: PartyKind, market: str | None) -> None:
    """Who may register a party of ``kind`` in ``market`` (the grant rules of ``add_user``, for parties):
    an administrator any party; a regulator company, investor and verifier parties of its own market
    (a party of no market, or of another, is not its to register); anyone else is refused. Refusals:
    read_only (an auditor), not_authorised."""
    actor.require_may_act()
    if actor is SYSTEM_SETUP or actor.role is Role.ADMINISTRATOR:
        return
    if actor.role is Role.REGULATOR and kind in REGULATOR_PARTIES:
        if market is not None and market == actor.market:
            return
        raise DomainError("not_authorised", f"{actor.describe()} registers parties only of {actor.market} "
                          f"(market {market or 'none'} given): an administrator registers the others")
    raise DomainError("not_authorised", f"{actor.describe()} may not register {kind} parties: an administrator "
                      "does, or a regulator for company, investor and verifier parties of its own market")


def _authorise_grant(c: Connection, actor: Actor | None, role: Role, party_market: str | None) -> None:
    """Who may grant ``role`` for a party of ``party_market`` (see ``add_user``); refusals: not_authorised."""
    if actor is None:
        exists = c.execute(select(t.representatives.c.user_name).where(
            t.representatives.c.role == Role.ADMINISTRATOR.value).limit(1)).first()
        if role is not Role.ADMINISTRATOR or exists is not None:
            raise DomainError("not_authorised", "creating a user needs an acting administrator or regulator "
                              "(only the first administrator is created without one)")
        return
    if actor is SYSTEM_SETUP or actor.role is Role.ADMINISTRATOR:
        return
    if actor.role is Role.REGULATOR and role in _REGULATOR_GRANTS:
        if party_market is not None and party_market == actor.market:
            return
        raise DomainError("not_authorised", f"{actor.describe()} grants roles only for parties of {actor.market}")
    raise DomainError("not_authorised", f"{actor.describe()} may not grant the {role} role")


def authorise_credentials(c: Connection, actor: Actor, user: str, act: str) -> None:
    """Who may act on ``user``'s credentials (``act``: "password" or "revoke"); refusals: not_found,
    read_only, not_authorised. Oneself always (one's own password, one's own sessions, like a logout);
    an administrator anyone's; a revocation also a regulator who could grant every role the user holds
    (the grant rules above: company, investor and verifier users of parties of its own market)."""
    if c.execute(select(t.users.c.name).where(t.users.c.name == user)).first() is None:
        raise NotFound("user", user)
    if actor.user == user:
        return
    actor.require_may_act()
    if actor is SYSTEM_SETUP or actor.role is Role.ADMINISTRATOR:
        return
    if act != "revoke":
        raise DomainError("not_authorised", f"{actor.describe()} may set only its own password "
                          "(an administrator sets anyone's)")
    if actor.role is not Role.REGULATOR:
        raise DomainError("not_authorised", f"{actor.describe()} may not revoke {user}: only oneself, an "
                          "administrator or the regulator of the user's market")
    reps = c.execute(select(t.representatives.c.role, t.parties.c.market).join(
        t.parties, t.parties.c.id == t.representatives.c.party_id).where(
        t.representatives.c.user_name == user)).all()
    if not reps:
        raise DomainError("not_authorised", f"{user} represents no party: only an administrator revokes them")
    for rep in reps:
        try:
            _authorise_grant(c, actor, Role(rep.role), rep.market)
        except DomainError:
            raise DomainError("not_authorised", f"{actor.describe()} may not revoke {user}: the {rep.role} role "
                              f"of {rep.market or 'no market'} is not one it grants (company, investor and "
                              f"verifier users of {actor.market})") from None


class SetupMixin(ServiceBase):
    def init_markets(self) -> list[Account]:
        """Give every market its registry party, a system user and its government accounts
        (idempotent: running it again creates nothing new)."""

        def work(conn: Connection) -> list[Account]:
            now_us = to_us(self.clock.now())
            created = []
            for code, market in self.rulebook.markets.items():
                party = conn.execute(select(t.parties.c.id).where(
                    t.parties.c.kind == PartyKind.REGISTRY.value, t.parties.c.market == code)).scalar()
                if party is None:
                    party = conn.execute(insert(t.parties).values(
                        kind=PartyKind.REGISTRY.value, name=market.registry_operator or market.name_zh,
                        name_en=f"{market.name_en} registry", market=code, created_us=now_us,
                    ).returning(t.parties.c.id)).scalar_one()
                for type_ in sorted(GOVERNMENT_ACCOUNTS):
                    number = f"{code}-{type_.upper()}"
                    if conn.execute(select(t.accounts.c.id).where(t.accounts.c.number == number)).first():
                        continue
                    conn.execute(insert(t.accounts).values(
                        number=number, market=code, type=type_.value, party_id=party,
                        status=AccountStatus.OPEN.value, name=f"{market.name_en} {type_}", created_us=now_us,
                        journal_count=0))
                    created.append(number)
            self._market_accounts = None
            return [account_from_row(r) for r in conn.execute(
                select(t.accounts).where(t.accounts.c.number.in_(created)))]

        return run_in_transaction(self.engine, work)

    def registry_party(self, market: str) -> int:
        with self.engine.connect() as conn:
            pid = conn.execute(select(t.parties.c.id).where(
                t.parties.c.kind == PartyKind.REGISTRY.value, t.parties.c.market == market)).scalar()
        if pid is None:
            raise DomainError("not_initialised", f"market {market} is not initialised: run `openets registry init`")
        return pid

    def register_party(self, actor: Actor, *, kind: PartyKind, name: str, name_en: str = "",
                       market: str | None = None, registration_id: str | None = None, sector: str | None = None,
                       region: str | None = None) -> int:
        """Register a party as ``actor`` (``authorise_party``: an administrator, or a regulator for
        company, investor and verifier parties of its own market); the act behind ``registry add-party``.
        ``create_party`` is the system set-up's (the demo, simulations, test builders)."""
        authorise_party(actor, kind, market)
        return self.create_party(kind=kind, name=name, name_en=name_en, market=market,
                                 registration_id=registration_id, sector=sector, region=region)

    def create_party(self, *, kind: PartyKind, name: str, name_en: str = "", market: str | None = None,
                     registration_id: str | None = None, sector: str | None = None,
                     region: str | None = None, conn: Connection | None = None) -> int:
        if market is not None:
            self.rulebook.market(market)
        if region is not None and not (len(region) == 6 and region.isdigit()):
            raise DomainError("region_invalid", f"region {region!r} is not a six-digit GB/T 2260 code")
        values = dict(kind=kind.value, name=name, name_en=name_en, market=market, registration_id=registration_id,
                      sector=sector, region=region, created_us=to_us(self.clock.now()))

        def work(c: Connection) -> int:
            if registration_id and run(c, _SEL_REGISTRATION, {"reg": registration_id}, raw=True):
                raise DomainError("party_exists", f"a party with registration id {registration_id} exists")
            return int(run(c, _INS_PARTY, values, raw=True)[0][0])

        return work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def add_installation(self, *, party_id: int, name: str, county_code: str, sector: str,
                         conn: Connection | None = None) -> int:
        if not (len(county_code) == 6 and county_code.isdigit()):
            raise DomainError("county_code_invalid", f"county code {county_code!r} is not a six-digit GB/T 2260 code")

        def work(c: Connection) -> int:
            kind = c.execute(select(t.parties.c.kind).where(t.parties.c.id == party_id)).scalar()
            if kind is None:
                raise NotFound("party", party_id)
            if kind != PartyKind.COMPANY.value:
                raise DomainError("not_a_company", f"party {party_id} is a {kind}, not a covered company")
            return c.execute(insert(t.installations).values(
                party_id=party_id, name=name, county_code=county_code, sector=sector,
            ).returning(t.installations.c.id)).scalar_one()

        return work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def add_generating_unit(self, *, installation_id: int, name: str, capacity_mw: int, fuel: str, cooling: str,
                            category: str, conn: Connection | None = None) -> int:
        if capacity_mw <= 0:
            raise DomainError("capacity_invalid", "capacity must be positive")

        def work(c: Connection) -> int:
            if c.execute(select(t.installations.c.id).where(t.installations.c.id == installation_id)).first() is None:
                raise NotFound("installation", installation_id)
            return c.execute(insert(t.generating_units).values(
                installation_id=installation_id, name=name, capacity_mw=capacity_mw, fuel=fuel, cooling=cooling,
                category=category).returning(t.generating_units.c.id)).scalar_one()

        return work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def add_user(self, actor: Actor | None, *, name: str, party_id: int, role: Role, market: str | None = None,
                 person: str | None = None, conn: Connection | None = None) -> None:
        """Make ``name`` an authorised representative of a party (creating the user if new), as ``actor``:
        an administrator grants any role; a regulator only company, investor or verifier roles for a
        party of its own market; anyone else is refused (``not_authorised``). ``actor=None`` only
        bootstraps the first administrator, while none exists. Regulators and administrators need a
        ``person`` (the natural person four eyes compare); an existing user keeps theirs."""
        if actor is not None:
            actor.require_may_act()
        if person is not None and not (0 < len(person) <= 64 and person.isprintable()):
            raise DomainError("person_invalid", "a person id is 1 to 64 printable characters")
        if role is Role.SYSTEM:
            raise DomainError("not_authorised", "the system role is not granted to users")
        if role is Role.REGULATOR and market is None:
            raise DomainError("market_missing", "a regulator needs the market they regulate")
        if market is not None:
            self.rulebook.market(market)

        def work(c: Connection) -> None:
            found = run(c, _SEL_PARTY_MARKET, {"id": party_id})
            if not found:
                raise NotFound("party", party_id)
            party_market = found[0]
            users = run(c, _SEL_USER, {"n": name})
            known = users[0] if users else None
            _authorise_grant(c, actor, role, party_market.market)
            if (role in _NEED_PERSON and actor is not SYSTEM_SETUP and person is None
                    and (known is None or known.person_id is None)):
                raise DomainError("person_missing", f"a {role} user needs --person (the natural person behind {name})")
            if known is None:
                run(c, _INS_USER, {"name": name, "display_name": name, "created_us": to_us(self.clock.now()),
                                   "person_id": person})
            elif person is not None and known.person_id != person:
                raise DomainError("person_mismatch", f"user {name} is another person ({known.person_id or 'unrecorded'})")
            if run(c, _SEL_REPRESENTS, {"n": name, "p": party_id}, raw=True):
                raise DomainError("representative_exists", f"{name} already represents party {party_id}")
            run(c, _INS_REPRESENTATIVE, {"user_name": name, "party_id": party_id, "role": role.value, "market": market})

        work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def create_unit_class(self, actor: Actor, *, kind: UnitKind, market: str, vintage: int, cap: int | None = None,
                          standard: str | None = None, project_id: str | None = None,
                          project_type: str | None = None, location: str | None = None,
                          conn: Connection | None = None) -> UnitClass:
        actor.require_may_act()
        m = self.rulebook.market(market)
        kind = enum_value(UnitKind, kind, "unit kind")
        actor.require_regulator(market)
        if not 2005 <= vintage <= 2100:
            raise DomainError("vintage_invalid", f"vintage {vintage} is out of range")
        if cap is not None and cap < 0:
            raise DomainError("cap_invalid", "a cap cannot be negative")
        if kind is UnitKind.ALLOWANCE:
            if cap is None:
                raise DomainError("cap_missing", "allowances need the cap of their market and vintage")
            code = f"{m.allowance_prefix}-{vintage}"
        else:
            if not standard or not project_id:
                raise DomainError("offset_incomplete", "offset credits need a standard and a project id")
            code = f"{standard}:{project_id}:{vintage}"

        def work(c: Connection) -> UnitClass:
            if c.execute(select(t.unit_classes.c.id).where(t.unit_classes.c.code == code)).first():
                raise DomainError("unit_class_exists", f"unit class {code} exists")
            uid = c.execute(insert(t.unit_classes).values(
                code=code, kind=kind.value, market=market, vintage=vintage, standard=standard, project_id=project_id,
                project_type=project_type, location=location, cap=cap, issued=0).returning(t.unit_classes.c.id)
            ).scalar_one()
            return UnitClass(uid, UnitClassCode(code), kind, market, vintage, standard, project_id, project_type, location, cap, 0)

        return work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def create_restriction(self, actor: Actor, *, allowed_types: Sequence[str], bound_holder: int | None = None,
                           bound_market: str | None = None, bound_year: int | None = None,
                           expires_at: datetime | None = None, note: str = "") -> int:
        actor.require_may_act()
        if actor.role is not Role.REGULATOR:
            raise DomainError("not_authorised", f"{actor.describe()} is not a regulator")
        bad = [x for x in allowed_types if x not in _TYPES]
        if bad:
            raise DomainError("type_invalid", f"unknown transaction types {bad}")

        def work(c: Connection) -> int:
            return c.execute(insert(t.restrictions).values(
                allowed_types=",".join(sorted(allowed_types)), bound_holder=bound_holder, bound_market=bound_market,
                bound_year=bound_year, expires_us=to_us(expires_at) if expires_at else None, note=note,
            ).returning(t.restrictions.c.id)).scalar_one()

        return run_in_transaction(self.engine, work)
