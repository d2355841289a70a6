"""What every capability's schemas share: the problem details body and the status answers."""

from __future__ import annotations

from pydantic import BaseModel


class Problem(BaseModel):
    """RFC 9457 problem details (media type application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str


class StatusRead(BaseModel):
    status: str


# every route's refusals, documented once: the body as application/problem+json (as sent)
PROBLEMS: dict[int | str, dict[str, object]] = {
    "4XX": {"model": Problem, "description": "Refused: RFC 9457 problem details",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
