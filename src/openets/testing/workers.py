"""Writer processes for the concurrency and crash tests (module level, so spawned processes can
import them)."""

from __future__ import annotations

import random
import time

from openets.core.errors import DomainError
from openets.core.ids import AccountId, UnitClassId
from openets.registry.commands import Surrender, Transfer
from openets.services.registry import RegistryService
from openets.storage.db import make_engine


def hammer(url: str, accounts: list[tuple[AccountId, str]], unit_class: UnitClassId, n_ops: int, seed: int) -> dict[str, int]:
    """Random transfers and surrenders between the given (account id, user) pairs. Returns counts
    of committed and refused attempts; any other error propagates and fails the test."""
    rng = random.Random(seed)
    engine = make_engine(url)
    svc = RegistryService(engine)
    actors = {user: svc.actor(user) for _, user in accounts}
    counts: dict[str, int] = {"committed": 0}
    for i in range(n_ops):
        op: Transfer | Surrender
        (src, user), (dst, _) = rng.sample(accounts, 2)
        qty = rng.randint(1, 4_000)
        if rng.random() < 0.1:
            op = Surrender(from_account=src, unit_class=unit_class, quantity=qty, compliance_year=2016)
        elif rng.random() < 0.05:  # the same key from every process: must have one effect only
            op = Transfer(key=f"shared-{i}", from_account=accounts[0][0], to_account=accounts[1][0],
                    unit_class=unit_class, quantity=1)
            user = accounts[0][1]
        else:
            op = Transfer(key=f"w{seed}-{i}", from_account=src, to_account=dst, unit_class=unit_class,
                    quantity=qty)
        try:
            out = svc.submit(actors[user], [op])[0]
            counts["replayed" if out.replayed else "committed"] = counts.get(
                "replayed" if out.replayed else "committed", 0) + 1
        except DomainError as exc:
            counts[exc.code] = counts.get(exc.code, 0) + 1
    engine.dispose()
    return counts


def batch_writer(url: str, accounts: list[tuple[AccountId, str]], unit_class: UnitClassId, batch: int, seed: int) -> None:
    """Batches of transfers, forever: the crash test kills this process with SIGKILL."""
    rng = random.Random(seed)
    engine = make_engine(url)
    svc = RegistryService(engine)
    actors = {user: svc.actor(user) for _, user in accounts}
    (src, user), (dst, _) = accounts[0], accounts[1]
    n = 0
    while True:
        ops = []
        for _ in range(batch):
            n += 1
            ops.append(Transfer(key=f"crash-{seed}-{n}", from_account=src, to_account=dst,
                          unit_class=unit_class, quantity=rng.randint(1, 3)))
        svc.submit(actors[user], ops, all_or_nothing=False)
        src, dst = dst, src
        user = accounts[0][1] if src == accounts[0][0] else accounts[1][1]
        time.sleep(0)


def exchange_crash(url: str, clock_iso: str, market: str, instrument: str, orders: list[tuple[str, str, str, int, int]],
                   snapshot: str) -> None:
    """Submit ``orders`` (user, account, side, quantity, price fen) as one batch and die between
    matching and settlement, after writing the in-memory book to ``snapshot`` (JSON)."""
    import json
    import os
    import signal
    from datetime import datetime

    from openets.core.clock import FixedClock
    from openets.services import exchange as ex_mod
    from openets.services.rulebook import default_rulebook, trading_rules

    at = datetime.fromisoformat(clock_iso)
    svc = RegistryService(make_engine(url), clock=FixedClock(at))
    rs = default_rulebook().lookup(market, at.year - 1, at.date(), "trading")
    ex = ex_mod.ExchangeService(svc, market=market, instrument=instrument,
                                trading=trading_rules(rs))

    def crash(name: str) -> None:
        if name == "exchange.after_match":
            with open(snapshot, "w") as f:
                json.dump(book_state(ex), f)
            os.kill(os.getpid(), signal.SIGKILL)

    ex_mod._crash_point = crash
    ex.submit_many([ex_mod.OrderRequest(svc.actor(u), acc, side, q, p) for u, acc, side, q, p in orders])


def book_state(ex) -> dict[str, object]:
    """Everything that makes a book: each side's orders in priority order, with what remains."""
    def side(levels) -> list[list[int]]:
        return [[o.id, o.party, o.price, o.remaining] for k in levels.keys() for o in levels[k]]

    return {"bids": side(ex.book.bids), "asks": side(ex.book.asks)}
