"""Pure core types shared by every domain package (stdlib only)."""
