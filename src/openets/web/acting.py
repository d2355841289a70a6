"""Who acts in a request, kept on the request's state for its audit row (the API's bearer token and
the dashboard's cookie alike)."""

from __future__ import annotations

from starlette.requests import Request

from openets.core.actor import Actor


def note_actor(request: Request, actor: Actor) -> None:
    request.state.user = actor.user
    request.state.role = actor.role.value
