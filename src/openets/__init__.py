"""OpenETS: an open cap-and-trade carbon market system (基于总量控制的碳市场).

Layers, lowest first: ``core`` → ``ledger`` → ``registry`` / ``rules`` (pure domain, no I/O) →
``services`` (use cases, one unit of work each) → ``storage`` / ``cli`` (edges).
"""

__version__ = "0.1.0"
