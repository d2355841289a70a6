"""Stable operation ids for generated clients."""

from fastapi.routing import APIRoute


def operation_id(route: APIRoute) -> str:
    """``<tag>-<route name>`` (e.g. ``market-place``); the dashboard's pages, outside the schema, ``ui-<name>``."""
    return f"{route.tags[0] if route.tags else 'ui'}-{route.name}"
