"""Secure defaults: without tokens the server stays on loopback unless told, loudly, otherwise."""

from __future__ import annotations

import ipaddress

from roomtemp.config import Settings
from roomtemp.errors import ConfigurationError

OPEN_WARNING = (
    "NO AUTHENTICATION: ROOMTEMP_TOKENS_FILE is not set, so anyone who can reach {host}:{port} "
    "may read, write and delete every room. Create tokens with `roomtemp token create` and set "
    "ROOMTEMP_TOKENS_FILE to require them."
)


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """ConfigurationError when the server would serve without tokens beyond loopback, unasked."""
    if settings.tokens_file is not None or settings.insecure_no_auth:
        return
    if not is_loopback(settings.host):
        raise ConfigurationError(
            f"refusing to serve on {settings.host} without authentication: set "
            "ROOMTEMP_TOKENS_FILE (see `roomtemp token create`), bind a loopback address, or "
            "pass --insecure-no-auth (ROOMTEMP_INSECURE_NO_AUTH=true) if you really mean it"
        )


def open_warning(settings: Settings) -> str | None:
    """The warning to log at start when the server runs without tokens, else None."""
    if settings.tokens_file is not None:
        return None
    return OPEN_WARNING.format(host=settings.host, port=settings.port)
