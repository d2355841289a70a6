"""Which B-trees a SQLite transfer writes: WAL frames per transfer, by table or index.

    python bench/wal_pages.py [--transfers N]

With synchronous=FULL each commit fsyncs the WAL frames it appended, so the pages a transfer dirties
are most of what a single-transfer commit costs. The bench's workload first (random quantities between
100 accounts, which fragments holdings), then N transfers with checkpoints off; the WAL's frame headers
name the pages written, and SQLite's dbstat table names the B-tree each page belongs to.
"""

from __future__ import annotations

import argparse
import collections
import sqlite3
import struct
import sys
import tempfile
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))

from registry_bench import setup, transfers  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transfers", type=int, default=500)
    n = ap.parse_args().transfers
    path = Path(tempfile.mkdtemp()) / "wal.db"
    svc, trader, ids, uc = setup(f"sqlite:///{path}")
    ops = transfers(ids, uc, 2000 + n, 1, "w")
    for op in ops[:2000]:
        svc.submit(trader, [op])
    svc.engine.dispose()

    @event.listens_for(svc.engine, "connect")
    def _no_checkpoints(dbapi, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi.execute("PRAGMA wal_autocheckpoint=0")

    with svc.engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    for op in ops[2000:]:
        svc.submit(trader, [op])
    wal = Path(f"{path}-wal").read_bytes()
    page_size = struct.unpack(">I", wal[8:12])[0]
    pages = [struct.unpack(">I", wal[off:off + 4])[0] for off in range(32, len(wal) - page_size, 24 + page_size)]
    con = sqlite3.connect(path)
    try:
        owner = {pg: name for name, pg in con.execute("SELECT name, pageno FROM dbstat")}
    except sqlite3.OperationalError:
        sys.exit(f"this SQLite has no dbstat table; WAL frames per transfer: {len(pages) / n:.1f}")
    counts = collections.Counter(owner.get(p, "?") for p in pages)
    print(f"WAL frames per transfer: {len(pages) / n:.1f} (pages of {page_size} bytes)")
    for name, k in counts.most_common():
        print(f"  {k / n:5.2f}  {name}")


if __name__ == "__main__":
    main()
