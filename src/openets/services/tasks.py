"""What waits for a user's decision — a regulator's task list: transactions awaiting a second
regulator (issuance, allocation, offset issuance …), allocation runs to issue, account requests,
verified MRV reports to confirm. An item proposed by the user themself is listed as theirs (they
may withdraw it, not approve it: four eyes). And the users of the service, with whom they act for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select

from openets.core.actor import Actor, Role
from openets.core.clock import from_us
from openets.messages import Named, Phrases
from openets.registry.transactions import TxStatus
from openets.storage import tables as t


@dataclass(frozen=True, slots=True)
class Task:
    kind: str  # transaction, allocation_run, account, mrv_report, falsification (a finding to decide: Decree 775)
    id: str  # the transaction / run / report id, or the account number
    key: str  # the sentence saying what it is: the catalogue's ``sentence_<key>`` …
    proposed_by: str
    at: datetime | None
    mine: bool  # proposed by the user asking: theirs to withdraw, someone else's to approve
    command: str  # how to decide it on the command line
    params: Mapping[str, object] = field(default_factory=dict)  # … and its params (a code as Named)

    def what(self, phrases: Phrases) -> str:
        """What it is in ``phrases``' language, e.g. 签发 2,000,000 吨 BEA-2016 → BJ-ISSUANCE."""
        return phrases.sentence(self.key, **self.params)


def pending_for(engine: Engine, me: Actor) -> list[Task]:
    """What waits in ``me``'s market for a regulator's decision, oldest first within each kind; for
    anyone else (companies, verifiers …) nothing: no one else approves."""
    if me.role is not Role.REGULATOR or not me.market:
        return []
    tx, uc, ac, ar, er, p = (t.transactions, t.unit_classes, t.accounts, t.allocation_runs, t.emission_reports,
                             t.parties)
    out: list[Task] = []
    recv = ac.alias("recv")
    with engine.connect() as c:
        for r in c.execute(select(tx.c.id, tx.c.type, tx.c.quantity, tx.c.actor_user, tx.c.at_us, uc.c.code,
                                  recv.c.number).outerjoin(uc, uc.c.id == tx.c.unit_class_id)
                           .outerjoin(recv, recv.c.id == tx.c.receiver_id)
                           .where(tx.c.status == TxStatus.AWAITING_APPROVAL.value, tx.c.market == me.market)
                           .order_by(tx.c.id)):
            mine = r.actor_user == me.user
            out.append(Task("transaction", str(r.id), "task_transaction_to" if r.number else "task_transaction",
                            r.actor_user, from_us(r.at_us), mine,
                            f"openets registry approve {r.id}" + (" --withdraw" if mine else ""),
                            {"type": Named("tx", r.type), "quantity": r.quantity, "unit_class": r.code or "",
                             "receiver": r.number}))
        for a_ in c.execute(select(ar.c.id, ar.c.compliance_year, ar.c.kind, ar.c.total, ar.c.proposed_by,
                                  ar.c.proposed_us).where(ar.c.market == me.market, ar.c.status == "proposed")
                           .order_by(ar.c.id)):
            out.append(Task("allocation_run", str(a_.id), "task_allocation_run", a_.proposed_by,
                            from_us(a_.proposed_us), a_.proposed_by == me.user,
                            f"openets allocation issue {a_.id} --unit-class … --from …",
                            {"year": a_.compliance_year, "kind": Named("run_kind", a_.kind), "total": a_.total}))
        for q in c.execute(select(ac.c.number, ac.c.type, p.c.name, p.c.registration_id).join(p, p.c.id == ac.c.party_id)
                           .where(ac.c.market == me.market, ac.c.status == "requested").order_by(ac.c.number)):
            out.append(Task("account", q.number, "task_account_of" if q.registration_id else "task_account",
                            q.name, None, False, f"openets registry approve-account {q.number}",
                            {"type": Named("account_type", q.type), "name": q.name, "company": q.registration_id}))
        for e in c.execute(select(er.c.id, er.c.company, er.c.year, p.c.name).outerjoin(
                p, p.c.registration_id == er.c.company).where(er.c.market == me.market, er.c.state == "verified")
                .order_by(er.c.id)):
            out.append(Task("mrv_report", str(e.id), "task_mrv_report", e.company, None, False,
                            f"openets mrv confirm {e.id}", {"year": e.year, "name": e.name or e.company,
                                                            "company": e.company}))
        ff = t.falsification_findings
        for f in c.execute(select(ff.c.id, ff.c.company, ff.c.report_year, ff.c.kind, ff.c.found_by, ff.c.found_us)
                           .where(ff.c.market == me.market, ff.c.status == "found").order_by(ff.c.id)):
            out.append(Task("falsification", str(f.id), "task_falsification", f.found_by, from_us(f.found_us),
                            f.found_by == me.user,
                            f"openets mrv falsification-decide {f.id} --fine-yuan … [--cut 0.5 | --corrected]",
                            {"kind": Named("falsification_kind", f.kind), "company": f.company,
                             "year": f.report_year}))
    return out


@dataclass(frozen=True, slots=True)
class UserRow:
    user: str
    display_name: str
    role: str | None
    market: str | None
    party_id: int | None
    party: str | None  # the party's name
    registration_id: str | None  # its unified social credit code, when it has one
    has_password: bool


def list_users(engine: Engine, *, market: str | None = None) -> list[UserRow]:
    """Every user with each party they act for (a user without a role listed once), by name."""
    u, rep, p, cr = t.users, t.representatives, t.parties, t.credentials
    q = (select(u.c.name, u.c.display_name, rep.c.role, rep.c.market, rep.c.party_id, p.c.name.label("party"),
                p.c.registration_id, cr.c.user_name.label("cred"))
         .outerjoin(rep, rep.c.user_name == u.c.name).outerjoin(p, p.c.id == rep.c.party_id)
         .outerjoin(cr, cr.c.user_name == u.c.name).order_by(u.c.name, rep.c.party_id))
    if market:
        q = q.where((rep.c.market == market) | (p.c.market == market))
    with engine.connect() as c:
        return [UserRow(r.name, r.display_name, r.role, r.market, r.party_id, r.party, r.registration_id,
                        r.cred is not None) for r in c.execute(q)]
