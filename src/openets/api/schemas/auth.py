from __future__ import annotations

from pydantic import BaseModel


class TokenRead(BaseModel):
    access_token: str
    token_type: str
    expires_in: int


class LogoutRead(BaseModel):
    revoked: int
