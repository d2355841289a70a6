"""Charts and documents (edges: they write files)."""
