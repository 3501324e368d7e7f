"""Request bodies of the ingest routes: the content type checked, the content encoding undone.

Every ingest route reads its body here, so each takes gzip and deflate, counts the decompressed
size against ROOMTEMP_MAX_BODY_BYTES, and refuses a content type it does not take with a 415 that
lists those it does.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request

from roomtemp.errors import UnsupportedMediaType
from roomtemp.ingest.encoding import decode_body


def media_type(content_type: str | None) -> str | None:
    """`text/plain; charset=utf-8` -> `text/plain`; None when there is no header."""
    if content_type is None or not content_type.strip():
        return None
    return content_type.split(";", 1)[0].strip().lower()


async def read_body(request: Request, accepted: Sequence[str], default: str) -> tuple[bytes, str]:
    """The body as sent (decompressed) and its media type (`default` when none is given)."""
    media = media_type(request.headers.get("content-type")) or default
    if media not in accepted:
        raise UnsupportedMediaType(
            f"Content-Type {media!r} is not taken here: send one of {', '.join(accepted)}"
        )
    max_bytes: int = request.app.state.max_body_bytes
    body = decode_body(await request.body(), request.headers.get("content-encoding"), max_bytes)
    return body, media
