"""The registry (注册登记系统): parties, accounts, unit classes, restrictions and the typed
transactions that move units, each checked by small named rules before the ledger moves a tonne."""
