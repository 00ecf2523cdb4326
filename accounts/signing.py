"""Request signing for API keys (ADR 31).

A signed call carries ``X-Signature-Timestamp`` (Unix seconds) and ``X-Signature``, the hex
HMAC-SHA256, under the key's ``signing_secret``, of four lines joined by ``\\n``::

    METHOD            upper case, e.g. POST
    PATH?QUERY        as sent, e.g. /api/v1/products/?page=2 (no "?" without a query)
    TIMESTAMP         the header's value
    SHA256(BODY)      hex digest of the raw body (of b"" for none)

A timestamp more than ``SIGNATURE_MAX_AGE_SECONDS`` (5 min) away from the server's clock is
refused, and so is a signature already seen within that window (replay)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
SIGNATURE_MAX_AGE_SECONDS = 300


def signature_message(*, method: str, path: str, timestamp: str, body: bytes) -> bytes:
    """The bytes that are signed: method, path with query, timestamp, body hash."""
    body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), path, timestamp, body_hash)).encode()


def sign(*, secret: str, method: str, path: str, timestamp: str, body: bytes = b"") -> str:
    """The ``X-Signature`` value for one call (the client side does exactly this)."""
    message = signature_message(method=method, path=path, timestamp=timestamp, body=body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
