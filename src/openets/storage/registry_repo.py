"""Loading registry working sets and writing back what the engine changed, in one connection."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, func, insert, select, text, tuple_, update

from openets.ledger.book import PositionKey
from openets.registry.engine import WorkingSet, to_us
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


def from_us(us: int) -> datetime:
    return datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000)


def account_from_row(r: object) -> Account:
    return Account(r.id, r.number, r.market, AccountType(r.type), r.party_id, AccountStatus(r.status), r.name)  # type: ignore[attr-defined]


def unit_class_from_row(r: object) -> UnitClass:
    return UnitClass(r.id, r.code, UnitKind(r.kind), r.market, r.vintage, r.standard, r.project_id,  # type: ignore[attr-defined]
                     r.project_type, r.location, r.cap, r.issued)  # type: ignore[attr-defined]


def restriction_from_row(r: object) -> Restriction:
    return Restriction(
        r.id, frozenset(x for x in r.allowed_types.split(",") if x), r.bound_holder,  # type: ignore[attr-defined]
        r.bound_market, r.bound_year,  # type: ignore[attr-defined]
        from_us(r.expires_us) if r.expires_us is not None else None, r.note,  # type: ignore[attr-defined]
    )


def txn_from_row(r: object) -> TxRecord:
    return TxRecord(
        id=r.id, type=TxType(r.type), status=TxStatus(r.status), market=r.market,  # type: ignore[attr-defined]
        unit_class_id=r.unit_class_id, restriction_id=r.restriction_id, quantity=r.quantity,  # type: ignore[attr-defined]
        actor_user=r.actor_user, actor_party=r.actor_party, actor_role=r.actor_role,  # type: ignore[attr-defined]
        at=from_us(r.at_us), sender_id=r.sender_id, receiver_id=r.receiver_id,  # type: ignore[attr-defined]
        compliance_year=r.compliance_year, reverses_id=r.reverses_id,  # type: ignore[attr-defined]
        reservation_id=r.reservation_id, approved_by=r.approved_by, note=r.note,  # type: ignore[attr-defined]
    )


def txn_row(rec: TxRecord) -> dict[str, object]:
    return {
        "id": rec.id, "type": rec.type.value, "status": rec.status.value, "market": rec.market,
        "unit_class_id": rec.unit_class_id, "restriction_id": rec.restriction_id, "quantity": rec.quantity,
        "sender_id": rec.sender_id, "receiver_id": rec.receiver_id, "compliance_year": rec.compliance_year,
        "reverses_id": rec.reverses_id, "reservation_id": rec.reservation_id, "actor_user": rec.actor_user,
        "actor_party": rec.actor_party, "actor_role": rec.actor_role, "approved_by": rec.approved_by,
        "at_us": to_us(rec.at), "note": rec.note,
    }


# statements compiled once and reused (SQLAlchemy caches their compiled form)
_upd_position = (
    update(t.positions)
    .where(t.positions.c.account_id == bindparam("k_a"), t.positions.c.unit_class_id == bindparam("k_u"),
           t.positions.c.restriction_id == bindparam("k_r"))
    .values(total=bindparam("total"), reserved=bindparam("reserved"))
)
_upd_block = (
    update(t.blocks).where(t.blocks.c.id == bindparam("b_id"))
    .values(account_id=bindparam("a"), unit_class_id=bindparam("u"), restriction_id=bindparam("r"),
            start=bindparam("s"), end=bindparam("e"))
)
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
    .values(status=bindparam("st"), approved_by=bindparam("ap"))
)


class RegistryRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"

    # -- reads -----------------------------------------------------------------------------------
    def accounts(self, ids: Iterable[int], *, lock: bool = False) -> dict[int, Account]:
        ids = sorted(set(ids))
        if not ids:
            return {}
        q = select(t.accounts).where(t.accounts.c.id.in_(ids)).order_by(t.accounts.c.id)
        if lock and not self.sqlite:
            q = q.with_for_update()  # in id order: no deadlocks between writers
        return {r.id: account_from_row(r) for r in self.conn.execute(q)}

    def heads(self, ids: Iterable[int]) -> dict[int, tuple[int, str | None]]:
        q = select(t.accounts.c.id, t.accounts.c.journal_count, t.accounts.c.head_hash).where(
            t.accounts.c.id.in_(sorted(set(ids))))
        return {r.id: (r.journal_count, r.head_hash) for r in self.conn.execute(q)}

    def account_by_number(self, number: str) -> Account | None:
        r = self.conn.execute(select(t.accounts).where(t.accounts.c.number == number)).first()
        return account_from_row(r) if r else None

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
        q = select(t.unit_classes).where(t.unit_classes.c.id.in_(ids)).order_by(t.unit_classes.c.id)
        if lock and not self.sqlite:
            q = q.with_for_update()
        return {r.id: unit_class_from_row(r) for r in self.conn.execute(q)}

    def unit_class_by_code(self, code: str) -> UnitClass | None:
        r = self.conn.execute(select(t.unit_classes).where(t.unit_classes.c.code == code)).first()
        return unit_class_from_row(r) if r else None

    def restrictions(self, ids: Iterable[int]) -> dict[int, Restriction]:
        ids = sorted({i for i in ids if i})
        if not ids:
            return {}
        q = select(t.restrictions).where(t.restrictions.c.id.in_(ids))
        return {r.id: restriction_from_row(r) for r in self.conn.execute(q)}

    def reservations(self, ids: Iterable[int]) -> dict[int, Reservation]:
        ids = sorted(set(ids))
        if not ids:
            return {}
        q = select(t.reservations).where(t.reservations.c.id.in_(ids))
        return {
            r.id: Reservation(r.id, r.account_id, r.unit_class_id, r.restriction_id, r.quantity, r.kind, r.status,
                              r.txn_id, {"note": r.note} if r.note else {})
            for r in self.conn.execute(q)
        }

    def txn(self, txn_id: int, *, lock: bool = False) -> TxRecord | None:
        q = select(t.transactions).where(t.transactions.c.id == txn_id)
        if lock and not self.sqlite:
            q = q.with_for_update()
        r = self.conn.execute(q).first()
        return txn_from_row(r) if r else None

    def txn_ranges(self, rec: TxRecord) -> list[tuple[int, int]]:
        """The serial ranges a completed movement delivered to its receiver."""
        q = select(t.journal.c.serial_start, t.journal.c.serial_end).where(
            t.journal.c.txn_id == rec.id, t.journal.c.account_id == rec.receiver_id, t.journal.c.d_total > 0
        ).order_by(t.journal.c.serial_start)
        return [(r.serial_start, r.serial_end) for r in self.conn.execute(q)]

    def is_reversed(self, txn_id: int) -> bool:
        q = select(t.transactions.c.id).where(t.transactions.c.reverses_id == txn_id)
        return self.conn.execute(q).first() is not None

    def load_positions(self, ws: WorkingSet, keys: Iterable[PositionKey]) -> None:
        keys = sorted({k for k in keys if k not in ws.book.positions})
        if not keys:
            return
        pk = tuple_(t.positions.c.account_id, t.positions.c.unit_class_id, t.positions.c.restriction_id)
        rows = self.conn.execute(select(t.positions).where(pk.in_(keys))).all()
        bk = tuple_(t.blocks.c.account_id, t.blocks.c.unit_class_id, t.blocks.c.restriction_id)
        found = [PositionKey(r.account_id, r.unit_class_id, r.restriction_id) for r in rows]
        per_key: dict[PositionKey, list[tuple[int, int, int]]] = {k: [] for k in found}
        if found:
            for b in self.conn.execute(
                select(t.blocks.c.id, t.blocks.c.account_id, t.blocks.c.unit_class_id, t.blocks.c.restriction_id,
                       t.blocks.c.start, t.blocks.c.end).where(bk.in_(found))
            ):
                per_key[PositionKey(b.account_id, b.unit_class_id, b.restriction_id)].append((b.id, b.start, b.end))
        for r, k in zip(rows, found):
            ws.book.load_position(k, r.total, r.reserved, per_key[k])

    def idempotent_hits(self, party_id: int, operation: str, keys: list[str]) -> dict[str, tuple[str, int]]:
        if not keys:
            return {}
        q = select(t.idempotency.c.key, t.idempotency.c.payload_hash, t.idempotency.c.txn_id).where(
            t.idempotency.c.party_id == party_id, t.idempotency.c.operation == operation,
            t.idempotency.c.key.in_(keys))
        return {r.key: (r.payload_hash, r.txn_id) for r in self.conn.execute(q)}

    def allocate_txn_ids(self, n: int) -> list[int]:
        if n == 0:
            return []
        if self.sqlite:  # safe: BEGIN IMMEDIATE holds the write lock
            start = self.conn.execute(select(func.coalesce(func.max(t.transactions.c.id), 0))).scalar_one() + 1
            return list(range(start, start + n))
        rows = self.conn.execute(text("SELECT nextval('txn_ids') FROM generate_series(1, :n)"), {"n": n})
        return [r[0] for r in rows]

    # -- writes ----------------------------------------------------------------------------------
    def persist(self, ws: WorkingSet, idem_rows: list[dict[str, object]] | None = None) -> None:
        c = self.conn
        book = ws.book
        if ws.new_txns:
            c.execute(insert(t.transactions), [txn_row(r) for r in ws.new_txns])
        if ws.changed_txns:
            c.execute(_upd_txn, [{"t_id": r.id, "st": r.status.value, "ap": r.approved_by} for r in ws.changed_txns])
        if ws.new_reservations:
            c.execute(insert(t.reservations), [
                {"id": r.id, "account_id": r.account_id, "unit_class_id": r.unit_class_id,
                 "restriction_id": r.restriction_id, "quantity": r.quantity, "kind": r.kind, "status": r.status,
                 "txn_id": r.txn_id, "note": r.meta.get("note", "")} for r in ws.new_reservations])
        new_ids = {r.id for r in ws.new_reservations}
        changed = [r for r in ws.changed_reservations.values() if r.id not in new_ids]
        if changed:
            c.execute(_upd_reservation, [{"r_id": r.id, "qty": r.quantity, "st": r.status} for r in changed])
        if new_ids:  # a reservation made and changed in the same batch: write its final state
            later = [r for r in ws.changed_reservations.values() if r.id in new_ids]
            if later:
                c.execute(_upd_reservation, [{"r_id": r.id, "qty": r.quantity, "st": r.status} for r in later])
        if ws.issued:
            c.execute(_upd_issued, [{"u_id": k, "iss": v} for k, v in ws.issued.items()])
        new_pos, upd_pos = [], []
        for key in book.touched:
            p = book.positions[key]
            row = {"total": p.total, "reserved": p.reserved}
            if p.loaded:
                upd_pos.append({"k_a": key.account_id, "k_u": key.unit_class_id, "k_r": key.restriction_id, **row})
            else:
                new_pos.append({"account_id": key.account_id, "unit_class_id": key.unit_class_id,
                                "restriction_id": key.restriction_id, **row})
                p.loaded = True
        if upd_pos:
            c.execute(_upd_position, upd_pos)
        if new_pos:
            c.execute(insert(t.positions), new_pos)
        updates, inserts, deletes = book.block_diff()
        if deletes:
            c.execute(t.blocks.delete().where(t.blocks.c.id.in_(deletes)))
        if updates:
            rows = [{"b_id": i, "a": k.account_id, "u": k.unit_class_id, "r": k.restriction_id, "s": s, "e": e}
                    for i, k, s, e in updates]
            # a block whose start moved goes through a negative start first, so that it never collides
            # with another row of the unique (unit class, start) index while the batch is half applied
            moved = [r for r in rows if book.loaded_blocks[r["b_id"]][1] != r["s"]]
            if moved:
                c.execute(_upd_block, [{**r, "s": -r["s"]} for r in moved])
            c.execute(_upd_block, rows)
        if inserts:
            c.execute(insert(t.blocks), [{"account_id": k.account_id, "unit_class_id": k.unit_class_id,
                                          "restriction_id": k.restriction_id, "start": s, "end": e}
                                         for k, s, e in inserts])
        if book.lines:
            c.execute(insert(t.journal), [
                {"txn_id": ln.txn_id, "account_id": ln.account_id, "account_seq": ln.account_seq,
                 "unit_class_id": ln.unit_class_id, "restriction_id": ln.restriction_id, "d_total": ln.d_total,
                 "d_reserved": ln.d_reserved, "serial_start": ln.serial_start, "serial_end": ln.serial_end,
                 "kind": ln.kind, "at_us": ln.at_us, "prev_hash": ln.prev_hash, "hash": ln.hash}
                for ln in book.lines])
            touched_accounts = {ln.account_id for ln in book.lines}
            c.execute(_upd_head, [{"a_id": a, "cnt": book.heads[a][0], "head": book.heads[a][1]}
                                  for a in sorted(touched_accounts)])
        if idem_rows:
            c.execute(insert(t.idempotency), idem_rows)
