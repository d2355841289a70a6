"""``openets registry …`` commands for the journal's integrity, backups and bulk imports (registered on
the registry app of :mod:`openets.cli.registry`)."""

from __future__ import annotations

from pathlib import Path

import typer

from openets.cli.common import AsOpt, CsvOpt, DbOpt, Failure, JsonOpt, PartyOpt, actor_name, emit, engine, run
from openets.cli.registry import _svc, app


@app.command("verify-journal")
def verify_journal(checkpoint: Path | None = typer.Option(None, help="Checkpoint file to compare against."),
                   db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Check every journal hash chain (and a checkpoint kept outside the database); exit 2 on tampering."""

    def go() -> None:
        from openets.services.journal import verify

        report = verify(engine(db), checkpoint)
        emit({"rows": report.rows, "accounts": report.accounts, "ok": report.ok,
              "problems": [str(p) for p in report.problems]}, as_json, title="journal")
        if not report.ok:
            raise Failure(f"journal verification failed: {report.problems[0]}"
                          + (f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""), 2)

    run(go)


@app.command()
def checkpoint(out: Path = typer.Option(..., help="File to write (keep it outside the database host)."),
               db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Export a checkpoint of the journal chains (line count, head hash, line hashes per account)."""

    def go() -> None:
        from openets.services.journal import export_checkpoint

        emit(export_checkpoint(engine(db), out), as_json, title="checkpoint")

    run(go)


@app.command()
def backup(out: Path, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Back the database up (SQLite backup API; pg_dump for PostgreSQL)."""

    def go() -> None:
        from openets.services.database import backup as do_backup

        emit({"backup": str(do_backup(engine(db), out))}, as_json)

    run(go)


@app.command()
def restore(source: Path, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Restore a backup over the database, then verify its journal."""

    def go() -> None:
        from openets.services.database import restore as do_restore
        from openets.services.journal import verify

        eng = engine(db)
        do_restore(eng, source)
        report = verify(eng)
        emit({"restored": str(source), "rows": report.rows, "journal_ok": report.ok}, as_json)
        if not report.ok:
            raise Failure(f"restored, but the journal does not verify: {report.problems[0]}", 2)

    run(go)


@app.command("import")
def import_(path: Path, kind: str | None = typer.Option(None, help="For CSV: parties, installations, "
                                                                   "generating_units, accounts, issuances, allocations"),
            encoding: str = "utf-8-sig", user: str | None = AsOpt, party: int | None = PartyOpt,
            db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Bulk import from CSV or Excel: all rows are checked first, then written at once, or none."""

    def go() -> None:
        from openets.services.imports import import_rows, read_file

        sheets = read_file(path, kind=kind, encoding=encoding)
        svc = _svc(db)
        emit(import_rows(svc, svc.actor(actor_name(user), party), sheets), as_json, title="imported")

    run(go)
