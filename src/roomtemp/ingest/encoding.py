"""Content encodings of request bodies: gzip and deflate, decompressed within a size bound.

The decompressed size counts against the same limit as a plain body, and decompression stops as
soon as the output passes it: a small gzip bomb (10 MB of zeros in 10 kB) costs only the bound.
"""

from __future__ import annotations

import zlib

from roomtemp.errors import InvalidInput, TooLarge, UnsupportedMediaType

_GZIP = 16 + zlib.MAX_WBITS
_ZLIB = zlib.MAX_WBITS
_RAW_DEFLATE = -zlib.MAX_WBITS
_CHUNK = 64 * 1024


def decode_body(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    """The body as sent before `Content-Encoding` (`gzip`, `deflate`, `identity`, or a list of
    them applied in order); TooLarge past `max_bytes` decompressed, UnsupportedMediaType for
    another encoding, InvalidInput (located at the body, `()`) for a corrupt stream."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, _GZIP, max_bytes, "gzip")
        elif coding == "deflate":
            body = _deflate(body, max_bytes)
        else:
            raise UnsupportedMediaType(
                f"Content-Encoding {coding!r} is not supported: send gzip, deflate or identity"
            )
    return body


def _deflate(body: bytes, max_bytes: int) -> bytes:
    """HTTP's `deflate` is a zlib stream, but some clients send raw deflate: take either."""
    try:
        return _inflate(body, _ZLIB, max_bytes, "deflate")
    except InvalidInput:
        return _inflate(body, _RAW_DEFLATE, max_bytes, "deflate")


def _inflate(body: bytes, wbits: int, max_bytes: int, name: str) -> bytes:
    """Every member of the stream (gzip allows several back to back), at most `max_bytes`."""
    parts: list[bytes] = []
    size = 0
    rest = body
    try:
        while rest:
            stream = zlib.decompressobj(wbits)
            data = rest
            while not stream.eof:
                chunk = stream.decompress(data, _CHUNK)
                data = stream.unconsumed_tail
                if not chunk and not data:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise _too_large(max_bytes)
                parts.append(chunk)
            if not stream.eof:
                raise InvalidInput.single((), f"the {name} body is truncated")
            rest = stream.unused_data if wbits == _GZIP else b""
    except zlib.error as exc:
        raise InvalidInput.single((), f"the body is not valid {name}: {exc}") from None
    return b"".join(parts)


def _too_large(max_bytes: int) -> TooLarge:
    return TooLarge(f"request body decompresses to more than the limit of {max_bytes} bytes")
