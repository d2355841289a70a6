"""``openets demo``: the main job. For now a registry walk-through on the embedded database;
later capabilities grow it into a whole compliance year."""

from __future__ import annotations

from pathlib import Path

import typer

from openets.cli.common import JsonOpt, console, emit, run


def demo(db: str = typer.Option("sqlite:///var/demo.db", "--db", help="Database for the walk-through."),
         fresh: bool = typer.Option(True, help="Start from an empty database."),
         as_json: bool = JsonOpt) -> None:
    """Walk through the registry: markets, a company, issuance with approval, allocation, a transfer,
    a freeze, a surrender for 2016, a trace of one tonne, totals and the journal check."""

    def go() -> None:
        from openets.services.walkthrough import registry_walkthrough

        if fresh and db.startswith("sqlite:///"):
            path = Path(db.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        result = registry_walkthrough(db, say=None if as_json else console.print)
        if as_json:
            emit(result, True)

    run(go)
