"""The token a request presents, in whichever way its client knows how to send one.

`Authorization: Bearer <token>` is roomtemp's own; `Authorization: Token <token>` is InfluxDB 2's;
`Authorization: Basic` with the token as the password is what Pushgateway clients and InfluxDB 1
clients offer (the user name is ignored); InfluxDB 1 clients may also send it as the `p` query
parameter, which only the routes that declare it read.
"""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request

_TOKEN_SCHEMES = ("bearer", "token")


def presented_token(request: Request, *, query_password: bool = False) -> str | None:
    """The token sent with the request, or None when none was; a malformed header gives "" (a
    token no one holds, so the caller is told the token is not valid)."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() in _TOKEN_SCHEMES:
            return value.strip()
        if scheme.lower() == "basic":
            return _basic_password(value.strip())
        return ""
    if query_password:
        return request.query_params.get("p")
    return None


def _basic_password(encoded: str) -> str:
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    user, _, password = decoded.partition(":")
    return password or user
