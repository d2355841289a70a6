"""The ledger: serial-numbered unit blocks held in positions, and a hash-chained journal.

Pure and in memory: storage loads a working set into a :class:`Book`, the registry applies
operations to it, and storage writes back the diff and the journal lines the book produced.
"""
