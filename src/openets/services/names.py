"""Companies by name and unified social credit code (统一社会信用代码) for every list that names one: a
company is recorded by its registration id (the credit code, or a market's own id where it has no
code); the lists show its name beside it, and "—" for a party without a code."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, select

from openets.storage import tables as t

NO_CODE = "—"


def company_names(engine: Engine, codes: Iterable[str]) -> dict[str, str]:
    """Registration id → the company's name (those not found are left out)."""
    wanted = sorted({c for c in codes if c})
    out: dict[str, str] = {}
    p = t.parties
    with engine.connect() as c:
        for i in range(0, len(wanted), 500):  # IN lists of bounded length
            out.update({r.registration_id: r.name for r in c.execute(
                select(p.c.registration_id, p.c.name).where(p.c.registration_id.in_(wanted[i:i + 500])))})
    return out


def party_names(engine: Engine, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Party id → (name, credit code or "—")."""
    wanted = sorted({int(i) for i in ids})
    out: dict[int, tuple[str, str]] = {}
    p = t.parties
    with engine.connect() as c:
        for i in range(0, len(wanted), 500):
            out.update({r.id: (r.name, r.registration_id or NO_CODE) for r in c.execute(
                select(p.c.id, p.c.name, p.c.registration_id).where(p.c.id.in_(wanted[i:i + 500])))})
    return out
