"""Loading registry working sets and writing back what the engine changed, in one connection."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, func, insert, literal_column, or_, select, tuple_, union_all, update

from openets.core.batching import chunks as _chunks
from openets.core.clock import from_us, to_us
from openets.ledger.book import PositionKey
from openets.ledger.journal import JournalLine, format_serials, parse_serials
from openets.registry.engine import WorkingSet
from openets.registry.model import (
    Account,
    AccountStatus,
    AccountType,
    Reservation,
    Restriction,
    UnitClass,
    UnitKind,
)
from openets.registry.transactions import TxRecord, TxStatus, TxType
from openets.storage import tables as t
from openets.storage.fastsql import pipeline, run, run_many, run_together

# accounts already built, by their row's values (an Account is frozen, so one object serves every read of
# the same row; a changed row is another key). Bounded: emptied when it grows past _ACCOUNTS_KEPT.
_accounts_seen: dict[tuple[Any, ...], Account] = {}
_ACCOUNTS_KEPT = 50_000


def account_from_row(r: Any) -> Account:  # r: a result row, its columns as attributes
    key = (r.id, r.number, r.market, r.type, r.party_id, r.status, r.name)
    acc = _accounts_seen.get(key)
    if acc is None:  # the enums converted once per row's values (a value outside them raises, as before)
        if len(_accounts_seen) >= _ACCOUNTS_KEPT:
            _accounts_seen.clear()
        acc = _accounts_seen[key] = Account(r.id, r.number, r.market, AccountType(r.type), r.party_id,
                                            AccountStatus(r.status), r.name)
    return acc


def unit_class_from_row(r: Any) -> UnitClass:  # r: a result row, its columns as attributes
    return UnitClass(r.id, r.code, UnitKind(r.kind), r.market, r.vintage, r.standard, r.project_id,
                     r.project_type, r.location, r.cap, r.issued)


def restriction_from_row(r: Any) -> Restriction:  # r: a result row, its columns as attributes
    return Restriction(
        r.id, frozenset(x for x in r.allowed_types.split(",") if x), r.bound_holder,
        r.bound_market, r.bound_year,
        from_us(r.expires_us) if r.expires_us is not None else None, r.note,
    )


def txn_from_row(r: Any) -> TxRecord:  # r: a result row, its columns as attributes
    return TxRecord(
        id=r.id, type=TxType(r.type), status=TxStatus(r.status), market=r.market,
        unit_class_id=r.unit_class_id, restriction_id=r.restriction_id, quantity=r.quantity,
        actor_user=r.actor_user, actor_party=r.actor_party, actor_role=r.actor_role,
        at=from_us(r.at_us), sender_id=r.sender_id, receiver_id=r.receiver_id,
        compliance_year=r.compliance_year, reverses_id=r.reverses_id,
        reservation_id=r.reservation_id, approved_by=r.approved_by, note=r.note,
        ranges=parse_serials(r.serials),
    )


def _serials(r: TxRecord) -> tuple[str, int | None, int | None]:
    """The ranges a transaction moved, as text, and their lowest and highest serial."""
    if not r.ranges:
        return "", None, None
    return format_serials(r.ranges), min(s for s, _ in r.ranges), max(e for _, e in r.ranges)


def txn_row(r: TxRecord) -> tuple[object, ...]:
    """A transaction's row, in ``_TXN_COLS`` order."""
    return (r.id, r.type.value, r.status.value, r.market, r.unit_class_id, r.restriction_id, r.quantity, r.sender_id,
            r.receiver_id, r.compliance_year, r.reverses_id, r.reservation_id, r.actor_user, r.actor_party,
            r.actor_role, r.approved_by, to_us(r.at), r.note, *_serials(r))


# statements compiled once and reused (SQLAlchemy caches their compiled form)
_upd_position = (
    update(t.positions)
    .where(t.positions.c.account_id == bindparam("k_a"), t.positions.c.unit_class_id == bindparam("k_u"),
           t.positions.c.restriction_id == bindparam("k_r"))
    .values(total=bindparam("total"), reserved=bindparam("reserved"), last_in_us=bindparam("last_in"))
)
_stored_block = ((t.blocks.c.account_id == bindparam("oa")) & (t.blocks.c.unit_class_id == bindparam("u"))
                 & (t.blocks.c.restriction_id == bindparam("or")) & (t.blocks.c.start == bindparam("os")))
_upd_block = (update(t.blocks).where(_stored_block)
              .values(account_id=bindparam("a"), restriction_id=bindparam("r"), start=bindparam("s"), end=bindparam("e")))
_del_block = t.blocks.delete().where(_stored_block)
_UPD_BLOCK_COLS = ("oa", "u", "or", "os", "a", "r", "s", "e")
_upd_head = (
    update(t.accounts).where(t.accounts.c.id == bindparam("a_id"))
    .values(journal_count=bindparam("cnt"), head_hash=bindparam("head"))
)
_upd_issued = update(t.unit_classes).where(t.unit_classes.c.id == bindparam("u_id")).values(issued=bindparam("iss"))
_upd_reservation = (
    update(t.reservations).where(t.reservations.c.id == bindparam("r_id"))
    .values(quantity=bindparam("qty"), status=bindparam("st"))
)
_upd_txn = (
    update(t.transactions).where(t.transactions.c.id == bindparam("t_id"))
    .values(status=bindparam("st"), approved_by=bindparam("ap"), serials=bindparam("se"), serial_lo=bindparam("lo"),
            serial_hi=bindparam("hi"), at_us=bindparam("at"))
)


_ids: BindParameter[Any] = bindparam("ids", expanding=True)
_sel_accounts = select(t.accounts).where(t.accounts.c.id.in_(_ids)).order_by(t.accounts.c.id)
_sel_accounts_lock = _sel_accounts.with_for_update()  # in id order: no deadlocks between writers
_sel_unit_classes = select(t.unit_classes).where(t.unit_classes.c.id.in_(_ids)).order_by(t.unit_classes.c.id)
_sel_unit_classes_lock = _sel_unit_classes.with_for_update()
_sel_restrictions = select(t.restrictions).where(t.restrictions.c.id.in_(_ids))
_sel_reservations = select(t.reservations).where(t.reservations.c.id.in_(_ids))
_sel_idem = select(t.idempotency.c.key, t.idempotency.c.payload_hash, t.idempotency.c.txn_id).where(
    t.idempotency.c.party_id == bindparam("party"), t.idempotency.c.operation == bindparam("op"),
    t.idempotency.c.key.in_(bindparam("keys", expanding=True)))
_pos_key = tuple_(t.positions.c.account_id, t.positions.c.unit_class_id, t.positions.c.restriction_id)
_sel_positions = (
    select(t.positions.c.account_id, t.positions.c.unit_class_id, t.positions.c.restriction_id,
           t.positions.c.total, t.positions.c.reserved, t.blocks.c.start, t.blocks.c.end, t.positions.c.last_in_us)
    .outerjoin(t.blocks, (t.blocks.c.account_id == t.positions.c.account_id)
               & (t.blocks.c.unit_class_id == t.positions.c.unit_class_id)
               & (t.blocks.c.restriction_id == t.positions.c.restriction_id))
    .where(_pos_key.in_(bindparam("keys", expanding=True)))
)
_sel_positions_only = select(t.positions.c.account_id, t.positions.c.unit_class_id, t.positions.c.restriction_id,
                             t.positions.c.total, t.positions.c.reserved, t.positions.c.last_in_us).where(
    _pos_key.in_(bindparam("keys", expanding=True)))
_POSITION_PROBES = 8


def _positions_by_key(n: int):
    """n positions by key as n ORed key probes: SQLite answers a row-value IN list through a
    temporary table (~12 µs for two keys against ~3 µs probing the key twice)."""
    p = t.positions.c
    return select(p.account_id, p.unit_class_id, p.restriction_id, p.total, p.reserved, p.last_in_us).where(or_(*(
        (p.account_id == bindparam(f"a{i}")) & (p.unit_class_id == bindparam(f"u{i}"))
        & (p.restriction_id == bindparam(f"r{i}")) for i in range(n))))


_sel_positions_probe = [None, *(_positions_by_key(n) for n in range(1, _POSITION_PROBES + 1))]
_block_cols = (t.blocks.c.start, t.blocks.c.end)
_in_position = ((t.blocks.c.account_id == bindparam("a")) & (t.blocks.c.unit_class_id == bindparam("u"))
                & (t.blocks.c.restriction_id == bindparam("r")))
_sel_lowest = (select(*_block_cols).where(_in_position, t.blocks.c.start > bindparam("after"))
               .order_by(t.blocks.c.start).limit(bindparam("lim")))
_NEIGHBOUR_PROBES = 8  # ranges per neighbours statement


def _neighbours_stmt(k: int):
    """The position's blocks starting right after one of k ranges, and for each range the block
    starting highest below it (the only one that can end right before it: a position's blocks do not
    overlap). Probes on the position's key, so no index on ``end`` is needed."""
    below = [select(*_block_cols).where(_in_position, t.blocks.c.start < bindparam(f"s{i}"))
             .order_by(t.blocks.c.start.desc()).limit(1).subquery() for i in range(k)]
    return union_all(*(select(b.c.start, b.c.end) for b in below),
                     select(*_block_cols).where(_in_position, t.blocks.c.start.in_(bindparam("after", expanding=True))))


_sel_neighbours = [_neighbours_stmt(k) for k in range(_NEIGHBOUR_PROBES + 1)]
_sel_max_txn = select(func.coalesce(func.max(t.transactions.c.id), 0))
_sel_next_txn_ids = select(func.nextval(literal_column("'txn_ids'::regclass"))).select_from(
    func.generate_series(1, bindparam("n")))
def _insert(table, columns: tuple[str, ...]):
    return insert(table).values({c: bindparam(c) for c in columns})


_TXN_COLS = ("id", "type", "status", "market", "unit_class_id", "restriction_id", "quantity", "sender_id", "receiver_id",
             "compliance_year", "reverses_id", "reservation_id", "actor_user", "actor_party", "actor_role",
             "approved_by", "at_us", "note", "serials", "serial_lo", "serial_hi")
_ins_txn = _insert(t.transactions, _TXN_COLS)
_ins_reservation = _insert(t.reservations, ("id", "account_id", "unit_class_id", "restriction_id", "quantity", "kind",
                                            "status", "txn_id", "note"))
_POSITION_COLS = ("account_id", "unit_class_id", "restriction_id", "total", "reserved", "last_in_us")
_ins_position = _insert(t.positions, _POSITION_COLS)
_BLOCK_COLS = ("account_id", "unit_class_id", "restriction_id", "start", "end")
_ins_block = _insert(t.blocks, _BLOCK_COLS)
_JOURNAL_COLS = JournalLine._fields  # a line is written as it is
_ins_journal = _insert(t.journal, _JOURNAL_COLS)
_ins_idem = _insert(t.idempotency, ("party_id", "operation", "key", "payload_hash", "txn_id", "created_us"))


class RegistryRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self._pre: dict[tuple[object, ...], list[Any]] = {}  # answers read ahead by prefetch()

    def prefetch(self, *, party_id: int, operation: str, keys: list[str], account_ids: Iterable[int],
                 positions: Iterable[PositionKey], txn_ids: int) -> None:
        """The reads a small request will make — its idempotency keys, its accounts (row-locked, in id
        order), their positions and its transaction ids — sent together: on PostgreSQL one round trip
        instead of four. The later calls with the same arguments are answered from them (once)."""
        ids = sorted(set(account_ids))
        pos = sorted(set(positions))
        items: list[tuple[Any, dict[str, Any]]] = [(_sel_accounts_lock, {"ids": ids}),
                                                   (_sel_positions_only, {"keys": pos})]
        names: list[tuple[object, ...]] = [("accounts", tuple(ids)), ("positions", tuple(pos))]
        if keys:
            items.append((_sel_idem, {"party": party_id, "op": operation, "keys": keys}))
            names.append(("idem", party_id, operation, tuple(keys)))
        if txn_ids:
            items.append((_sel_next_txn_ids, {"n": txn_ids}))
            names.append(("txn_ids", txn_ids))
        self._pre.update(zip(names, run_together(self.conn, items), strict=True))

    # -- reads -----------------------------------------------------------------------------------
    def accounts(self, ids: Iterable[int], *, lock: bool = False
                 ) -> tuple[dict[int, Account], dict[int, tuple[int, str | None]]]:
        """Accounts and the heads of their journal chains (PostgreSQL: row-locked when ``lock``)."""
        ids = sorted(set(ids))
        if not ids:
            return {}, {}
        q = _sel_accounts_lock if lock and not self.sqlite else _sel_accounts
        rows = self._pre.pop(("accounts", tuple(ids)), None) if lock else None
        if rows is None:
            rows = [r for part in _chunks(ids) for r in run(self.conn, q, {"ids": part})]
        return ({r.id: account_from_row(r) for r in rows}, {r.id: (r.journal_count, r.head_hash) for r in rows})

    def market_accounts(self) -> dict[tuple[str, AccountType], int]:
        gov = (AccountType.SURRENDER, AccountType.RETIREMENT, AccountType.DELETION, AccountType.ISSUANCE,
               AccountType.ALLOCATION_RESERVE, AccountType.AUCTION)
        q = select(t.accounts.c.id, t.accounts.c.market, t.accounts.c.type).where(
            t.accounts.c.type.in_([g.value for g in gov])).order_by(t.accounts.c.id)
        out: dict[tuple[str, AccountType], int] = {}
        for r in self.conn.execute(q):
            out.setdefault((r.market, AccountType(r.type)), r.id)
        return out

    def unit_classes(self, ids: Iterable[int], *, lock: bool = False) -> dict[int, UnitClass]:
        ids = sorted(set(ids))
        if not ids:
            return {}
        q = _sel_unit_classes_lock if lock and not self.sqlite else _sel_unit_classes
        return {r.id: unit_class_from_row(r) for r in run(self.conn, q, {"ids": ids})}

    def unit_class_by_code(self, code: str) -> UnitClass | None:
        r = self.conn.execute(select(t.unit_classes).where(t.unit_classes.c.code == code)).first()
        return unit_class_from_row(r) if r else None

    def restrictions(self, ids: Iterable[int]) -> dict[int, Restriction]:
        ids = sorted({i for i in ids if i})
        if not ids:
            return {}
        return {r.id: restriction_from_row(r) for r in self.conn.execute(_sel_restrictions, {"ids": ids})}

    def flex(self, account_ids: Iterable[int]) -> tuple[dict[tuple[int, str, int], int], list[Any]]:
        """The accounts' granted limits ((account, kind, year) → tonnes) and their surrenders not reversed
        (account, market, compliance year, unit kind, vintage, quantity), for the limits' use so far."""
        ids = sorted(set(account_ids))
        fl, tx, uc = t.flex_limits, t.transactions, t.unit_classes
        limits = {(r.account_id, r.kind, r.year): int(r.quantity) for r in self.conn.execute(
            select(fl.c.account_id, fl.c.kind, fl.c.year, fl.c.quantity).where(fl.c.account_id.in_(ids)))}
        back = select(tx.c.reverses_id).where(tx.c.type == "reversal", tx.c.reverses_id.is_not(None),
                                              tx.c.status == "completed")
        # the company's own surrenders only: a forced one is the regulator's deduction, not the company's
        # use of a limit granted to it (it takes no later vintage: forced_surrender_allowances)
        rows = self.conn.execute(
            select(tx.c.sender_id, tx.c.market, tx.c.compliance_year, uc.c.kind, uc.c.vintage, tx.c.quantity)
            .join(uc, uc.c.id == tx.c.unit_class_id)
            .where(tx.c.type == "surrender", tx.c.sender_id.in_(ids), tx.c.status.in_(("completed", "awaiting_approval")),
                   tx.c.id.not_in(back))).all()
        return limits, list(rows)

    def arrived(self, key: PositionKey, ranges: list[tuple[int, int]], after_us: int) -> int | None:
        """The latest moment after ``after_us`` at which any of the serial ``ranges`` came into the
        position (its journal lines adding to it), or None: the arrival check's slow path, asked only when
        the position's ``last_in_us`` is after the entry's time (the book's ArrivalSource)."""
        j = t.journal
        rows = self.conn.execute(select(j.c.at_us, j.c.serials).where(
            j.c.account_id == key.account_id, j.c.unit_class_id == key.unit_class_id,
            j.c.restriction_id == key.restriction_id, j.c.d_total > 0, j.c.at_us > after_us)
            .order_by(j.c.at_us.desc())).all()
        for at_us, serials in rows:  # latest first: the first overlap is the answer
            if any(s <= e2 and s2 <= e for s, e in parse_serials(serials) for s2, e2 in ranges):
                return int(at_us)
        return None

    def reservations(self, ids: Iterable[int]) -> dict[int, Reservation]:
        ids = sorted(set(ids))
        if not ids:
            return {}
        return {
            r.id: Reservation(r.id, r.account_id, r.unit_class_id, r.restriction_id, r.quantity, r.kind, r.status,
                              r.txn_id, {"note": r.note} if r.note else {})
            for part in _chunks(ids) for r in run(self.conn, _sel_reservations, {"ids": part})
        }

    def txn(self, txn_id: int, *, lock: bool = False) -> TxRecord | None:
        q = select(t.transactions).where(t.transactions.c.id == txn_id)
        if lock and not self.sqlite:
            q = q.with_for_update()
        r = self.conn.execute(q).first()
        return txn_from_row(r) if r else None

    def is_reversed(self, txn_id: int) -> bool:
        """A live reversal of it exists: done, or proposed and awaiting approval (a rejected or withdrawn
        proposal does not count, as the partial unique index ``ux_transactions_reverses`` says)."""
        q = select(t.transactions.c.id).where(t.transactions.c.reverses_id == txn_id, t.transactions.c.status.in_(
            (TxStatus.AWAITING_APPROVAL.value, TxStatus.COMPLETED.value)))
        return self.conn.execute(q).first() is not None

    def load_positions(self, ws: WorkingSet, keys: Iterable[PositionKey], *, complete: bool = True) -> None:
        """Positions with all their blocks, or (``complete=False``) without: the book then fetches the
        few blocks a movement needs through :meth:`lowest` and :meth:`neighbours`."""
        keys = sorted({k for k in keys if k not in ws.book.positions})
        if len(keys) > 2000:  # bound the number of parameters in one statement
            for i in range(0, len(keys), 2000):
                self.load_positions(ws, keys[i:i + 2000], complete=complete)
            return
        if not keys:
            return
        if not complete:
            rows = self._pre.pop(("positions", tuple(keys)), None)
            if rows is None and self.sqlite and len(keys) <= _POSITION_PROBES:
                params = {f"{c}{i}": v for i, k in enumerate(keys) for c, v in zip("aur", k, strict=True)}
                rows = run(self.conn, _sel_positions_probe[len(keys)], params, raw=True)
            for r in rows if rows is not None else run(self.conn, _sel_positions_only, {"keys": keys}, raw=True):
                ws.book.load_position(PositionKey(r[0], r[1], r[2]), r[3], r[4], [], complete=False, last_in_us=r[5])
            return
        found: dict[PositionKey, tuple[int, int, list[tuple[int, int]], int | None]] = {}
        for r in run(self.conn, _sel_positions, {"keys": keys}, raw=True):
            key = PositionKey(r[0], r[1], r[2])
            entry = found.get(key)
            if entry is None:
                entry = found[key] = (r[3], r[4], [], r[7])
            if r[5] is not None:
                entry[2].append((r[5], r[6]))
        for key, (total, reserved, rows, last_in) in found.items():
            ws.book.load_position(key, total, reserved, rows, last_in_us=last_in)

    # the book's BlockSource
    def lowest(self, key: PositionKey, after: int, limit: int) -> list[tuple[int, int]]:
        params = {"a": key.account_id, "u": key.unit_class_id, "r": key.restriction_id, "after": after, "lim": limit}
        return run(self.conn, _sel_lowest, params, raw=True)

    def neighbours(self, key: PositionKey, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        out: dict[int, tuple[int, int]] = {}
        starts, ends = {s for s, _ in ranges}, {e for _, e in ranges}
        for i in range(0, len(ranges), _NEIGHBOUR_PROBES):
            part = ranges[i:i + _NEIGHBOUR_PROBES]
            params: dict[str, Any] = {"a": key.account_id, "u": key.unit_class_id, "r": key.restriction_id,
                                      "after": [e + 1 for _, e in part]}
            params.update((f"s{j}", s) for j, (s, _) in enumerate(part))
            for s, e in run(self.conn, _sel_neighbours[len(part)], params, raw=True):
                if e + 1 in starts or s - 1 in ends:  # the highest block below a range may not touch it
                    out[s] = (s, e)
        return list(out.values())

    def idempotent_hits(self, party_id: int, operation: str, keys: list[str]) -> dict[str, tuple[str, int]]:
        if not keys:
            return {}
        rows = self._pre.pop(("idem", party_id, operation, tuple(keys)), None)
        if rows is None:
            rows = [r for part in _chunks(keys) for r in
                    run(self.conn, _sel_idem, {"party": party_id, "op": operation, "keys": part})]
        return {r.key: (r.payload_hash, r.txn_id) for r in rows}

    def allocate_txn_ids(self, n: int) -> list[int]:
        if n == 0:
            return []
        if self.sqlite:  # safe: BEGIN IMMEDIATE holds the write lock
            start = run(self.conn, _sel_max_txn)[0][0] + 1
            return list(range(start, start + n))
        rows = self._pre.pop(("txn_ids", n), None)
        return [r[0] for r in (rows if rows is not None else run(self.conn, _sel_next_txn_ids, {"n": n}, raw=True))]

    # -- writes ----------------------------------------------------------------------------------
    def persist(self, ws: WorkingSet, idem_rows: list[dict[str, object]] | None = None) -> None:
        with pipeline(self.conn):  # PostgreSQL: all writes in one round trip
            self._persist(ws, idem_rows)

    def _persist(self, ws: WorkingSet, idem_rows: list[dict[str, object]] | None) -> None:
        c = self.conn
        book = ws.book
        if ws.new_txns:
            run_many(c, _ins_txn, [txn_row(r) for r in ws.new_txns], _TXN_COLS)
        if ws.changed_txns:
            run_many(c, _upd_txn, [(r.id, r.status.value, r.approved_by, *_serials(r), to_us(r.at))
                                   for r in ws.changed_txns],  # at: an approved transaction's, its approval
                     ("t_id", "st", "ap", "se", "lo", "hi", "at"))
        if ws.new_reservations:
            run_many(c, _ins_reservation, [
                {"id": r.id, "account_id": r.account_id, "unit_class_id": r.unit_class_id,
                 "restriction_id": r.restriction_id, "quantity": r.quantity, "kind": r.kind, "status": r.status,
                 "txn_id": r.txn_id, "note": r.meta.get("note", "")} for r in ws.new_reservations])
        new_ids = {r.id for r in ws.new_reservations}
        changed = [r for r in ws.changed_reservations.values() if r.id not in new_ids]
        if changed:
            run_many(c, _upd_reservation, [{"r_id": r.id, "qty": r.quantity, "st": r.status} for r in changed])
        if new_ids:  # a reservation made and changed in the same batch: write its final state
            later = [r for r in ws.changed_reservations.values() if r.id in new_ids]
            if later:
                run_many(c, _upd_reservation, [{"r_id": r.id, "qty": r.quantity, "st": r.status} for r in later])
        if ws.issued:
            run_many(c, _upd_issued, [{"u_id": k, "iss": v} for k, v in ws.issued.items()])
        new_pos: list[tuple[Any, ...]] = []
        upd_pos: list[tuple[Any, ...]] = []
        for key in book.touched:
            p = book.positions[key]
            (upd_pos if p.loaded else new_pos).append((*key, p.total, p.reserved, p.last_in_us))
            p.loaded = True
        if upd_pos:
            run_many(c, _upd_position, upd_pos, ("k_a", "k_u", "k_r", "total", "reserved", "last_in"))
        if new_pos:
            run_many(c, _ins_position, new_pos, _POSITION_COLS)
        updates, inserts, deletes = book.block_diff()
        if deletes:
            run_many(c, _del_block, [(*k, st) for k, st in deletes], ("oa", "u", "or", "os"))
        if updates:
            rows, moved = [], []
            for ok, os_, k, st, e in updates:
                if st == os_:
                    rows.append((ok.account_id, k.unit_class_id, ok.restriction_id, os_, k.account_id,
                                 k.restriction_id, st, e))
                else:  # its start moved: through a negative start first, so that it never collides with
                    # another row's key while the batch is half applied
                    moved.append((ok.account_id, k.unit_class_id, ok.restriction_id, os_, k.account_id,
                                  k.restriction_id, -st, e))
                    rows.append((k.account_id, k.unit_class_id, k.restriction_id, -st, k.account_id,
                                 k.restriction_id, st, e))
            if moved:
                run_many(c, _upd_block, moved, _UPD_BLOCK_COLS)
            run_many(c, _upd_block, rows, _UPD_BLOCK_COLS)
        if inserts:
            run_many(c, _ins_block, [(k.account_id, k.unit_class_id, k.restriction_id, st, e) for k, st, e in inserts],
                     _BLOCK_COLS)
        if book.lines:
            run_many(c, _ins_journal, book.lines, _JOURNAL_COLS)
            touched_accounts = {ln.account_id for ln in book.lines}
            run_many(c, _upd_head, [(a, *book.heads[a]) for a in sorted(touched_accounts)], ("a_id", "cnt", "head"))
        if idem_rows:
            run_many(c, _ins_idem, idem_rows)
