from openets.registry.commands import Reserve, Surrender, Transfer
from openets.services.reconcile import reconcile
from openets.testing.builders import build_world


def test_replayed_journal_equals_tables(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, companies=3)
    a, b, c = w.accounts
    uc = w.unit_class.id
    w.svc.one(w.companies[0], Transfer(from_account=a.id, to_account=b.id, unit_class=uc, quantity=3_333))
    w.svc.one(w.companies[1], Transfer(from_account=b.id, to_account=c.id, unit_class=uc, quantity=7_000))
    r = w.svc.one(w.companies[2], Reserve(account=c.id, unit_class=uc, quantity=100))
    w.svc.one(w.companies[2], Surrender(from_account=c.id, unit_class=uc, quantity=16_000, compliance_year=2016))
    assert r.reservation_id is not None
    assert reconcile(engine) == []


def test_fragmented_holdings_merge_the_same_singly_and_in_batches(engine, clock) -> None:  # type: ignore[no-untyped-def]
    """Random small transfers shred holdings into many blocks. One at a time, a position is loaded in
    part (its lowest blocks, and each incoming range's neighbours probed on the key); in a batch, whole.
    Both must leave exactly the blocks a replay of the journal gives (adjacent ones merged)."""
    import random

    from openets.services.queries import RegistryQueries

    w = build_world(engine, clock, companies=4)
    uc = w.unit_class.id
    rng = random.Random(7)
    accs = list(zip(w.accounts, w.companies, strict=True))

    def op(i: int) -> tuple[object, Transfer]:
        (a, actor), (b, _) = rng.sample(accs, 2)
        return actor, Transfer(key=f"f{i}", from_account=a.id, to_account=b.id, unit_class=uc,
                         quantity=rng.randint(1, 40))

    for i in range(150):
        actor, o = op(i)
        w.svc.one(actor, o)  # type: ignore[arg-type]
    for n in range(3):  # batches of one sender's transfers
        actor, _ = op(0)
        sender = next(a for a, c in accs if c is actor)
        ops = [Transfer(key=f"b{n}-{i}", from_account=sender.id,
                  to_account=rng.choice([a for a, _ in accs if a is not sender]).id, unit_class=uc,
                  quantity=rng.randint(1, 40)) for i in range(40)]
        w.svc.submit(actor, ops)  # type: ignore[arg-type]
    for i in range(150, 250):
        actor, o = op(i)
        w.svc.one(actor, o)  # type: ignore[arg-type]
    assert reconcile(engine) == []
    assert RegistryQueries(engine).block_problems() == []
