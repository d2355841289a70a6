"""``openets registry …`` commands for the journal's integrity, backups and bulk imports (registered on
the registry app of :mod:`openets.cli.registry`)."""

from __future__ import annotations

from pathlib import Path

import typer

from openets.cli.common import AsOpt, CsvOpt, DbOpt, Failure, JsonOpt, PartyOpt, acting, emit, engine, err_console, run
from openets.cli.output import csv_requested
from openets.cli.registry import _svc, app

KeyOpt = typer.Option(None, "--key-file", help="The regulator's checkpoint key (a file of 16 to 4096 bytes); "
                                                "default $OPENETS_CHECKPOINT_KEY.")


@app.command("verify")
def verify_registry(checkpoint: Path | None = typer.Option(None, help="A signed checkpoint to compare with: "
                                                                      "what changed, what was appended since."),
                    key_file: Path | None = KeyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt,
                    as_csv: bool = CsvOpt) -> None:
    """Check the whole registry (journal chains, transactions, approvals, positions, blocks, unit classes,
    serials; and a signed checkpoint): every problem named; exit 2 when any is found."""

    def go() -> None:
        from openets.services import checkpoints
        from openets.services.verification import verify_registry as check

        cp = checkpoints.load(checkpoint, checkpoints.key_from(key_file)) if checkpoint is not None else None
        svc = _svc(db)
        report = check(svc.engine, svc.rulebook, cp)
        data = report.as_dict()
        if as_json:
            emit(data, True)
        elif csv_requested.get():  # one emit: the problems become their own block after a blank line
            emit({k: v for k, v in data.items() if k != "checks"}, False)
        else:
            emit({k: v for k, v in data.items() if k not in ("problems", "checks")}, False, title="registry")
            if report.problems:
                emit(data["problems"], False, title="problems")
        if not report.ok:
            first = report.problems[0]
            raise Failure(f"registry verification failed: {len(report.problems)} problem(s), first "
                          f"{first.code} ({first.subject})", 2)

    run(go)


@app.command("verify-journal")
def verify_journal(checkpoint: Path | None = typer.Option(None, help="Signed checkpoint to compare the chains with."),
                   key_file: Path | None = KeyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Check every journal hash chain only (and a signed checkpoint's chains); exit 2 on tampering.
    `registry verify` checks everything."""

    def go() -> None:
        from openets.services import checkpoints
        from openets.services.journal import verify_chains

        accounts: dict[str, list] = {}
        if checkpoint is not None:
            checkpoints.read(checkpoint)  # an unreadable file is said before a missing key
            accounts = checkpoints.load(checkpoint, checkpoints.key_from(key_file))["chains"]
        report = verify_chains(engine(db), accounts)
        emit({"rows": report.rows, "accounts": report.accounts, "ok": report.ok,
              "problems": [str(p) for p in report.problems]}, as_json, title="journal")
        if not report.ok:
            raise Failure(f"journal verification failed: {report.problems[0]}"
                          + (f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""), 2)

    run(go)


@app.command()
def checkpoint(out: Path = typer.Option(..., help="File to write (keep it outside the database host)."),
               key_file: Path | None = KeyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Verify the whole registry, then write a checkpoint of it signed with the regulator's key."""

    # No acting user, on purpose: the key file is the proof of who may sign (only the regulator holds
    # it), and the command changes nothing in the database; it only reads and writes the signed file.
    def go() -> None:
        from openets.services.checkpoints import key_from
        from openets.services.verification import write_checkpoint

        key = key_from(key_file)
        svc = _svc(db)
        emit(write_checkpoint(svc.engine, svc.rulebook, out, key), as_json, title="checkpoint")

    run(go)


@app.command()
def backup(out: Path, db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Back the database up (SQLite backup API; pg_dump for PostgreSQL)."""

    def go() -> None:
        from openets.services.database import backup as do_backup

        emit({"backup": str(do_backup(engine(db), out))}, as_json)

    run(go)


@app.command()
def restore(source: Path,
            force: bool = typer.Option(False, "--force", help="Restore a backup whose history differs from the "
                                                              "database's (a clean backup over a database found altered)."),
            user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
            as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Restore a backup over the database (as an administrator; a new database with no users yet needs
    none; SQLite: refused while another process has it open, and unless the backup is of this registry),
    say which transactions it discards, then verify its journal."""

    def go() -> None:
        from openets.cli.session import administering
        from openets.services.database import restore as do_restore
        from openets.services.journal import verify

        svc = _svc(db)
        administering(svc, user, party, "restore a backup over the database")
        eng = svc.engine
        done = do_restore(eng, source, force=force)
        report = verify(eng)
        emit({"restored": str(source), "lineage": done.lineage, "backup_last_transaction": done.backup_last,
              "discarded_transactions": done.discarded, "discarded_first": done.discarded_first,
              "discarded_last": done.discarded_last, "discarded_ids": list(done.discarded_ids),
              "discarded": done.summary(), "rows": report.rows, "journal_ok": report.ok}, as_json)
        if not report.ok:
            raise Failure(f"restored, but the journal does not verify: {report.problems[0]}", 2)

    run(go)


@app.command("import")
def import_(path: Path, kind: str | None = typer.Option(None, help="For CSV: parties, installations, "
                                                                   "generating_units, accounts, issuances, allocations"),
            encoding: str = "utf-8-sig",
            chunk_rows: int | None = typer.Option(None, help="Rows written per transaction (default 2000): other "
                                                             "writers wait for one chunk, not the whole file"),
            user: str | None = AsOpt, party: int | None = PartyOpt,
            db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Bulk import from CSV or Excel: every row is checked first (a bad row anywhere writes nothing), then
    the rows are written in chunks; re-running the same file after a crash skips what is there."""

    def go() -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from openets.core.numbers import parse_int
        from openets.services.imports import DEFAULT_CHUNK_ROWS, import_rows, read_file
        from openets.services.tabular import Problems

        rows = DEFAULT_CHUNK_ROWS if chunk_rows is None else parse_int(chunk_rows, "--chunk-rows", minimum=1,
                                                                         maximum=1_000_000)
        problems = Problems()  # every bad row of the file, named together with those the checks find
        sheets = read_file(path, kind=kind, encoding=encoding, problems=problems)
        svc = _svc(db)
        # the bar goes to stderr and only to a terminal: --json / --csv output stays clean
        with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
            task = bar.add_task("import", total=None)
            counts = import_rows(svc, acting(svc, user, party), sheets, chunk_rows=rows, problems=problems,
                                 progress=lambda done, total: bar.update(task, completed=done, total=total))
        emit(counts, as_json, title="imported")

    run(go)
