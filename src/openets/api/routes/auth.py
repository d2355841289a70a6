"""Logging in (OAuth2 password flow: a bearer token) and out (every token of the user revoked)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from openets.api.deps import Me, Svc
from openets.api.ids import operation_id
from openets.api.schemas.auth import LogoutRead, TokenRead

router = APIRouter(prefix="/auth", tags=["auth"], generate_unique_id_function=operation_id)


@router.post("/token")
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], svc: Svc) -> TokenRead:
    client = svc.auth.client_of(request.client.host if request.client else None, request.headers.get("x-forwarded-for"))
    got = svc.auth.login(form.username, form.password, client=client)
    return TokenRead(access_token=got.access_token, token_type=got.token_type, expires_in=got.expires_in)


@router.post("/logout")
def logout(me: Me, svc: Svc) -> LogoutRead:
    return LogoutRead(revoked=svc.auth.revoke(me.user))
