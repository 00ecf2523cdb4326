"""Encryption at rest for data-source credentials (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from ``DATA_SOURCE_KEY`` (a Fernet key: 32 url-safe base64 bytes). Without it
(development), a key is derived from SECRET_KEY, so a leaked database alone reveals nothing.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from core.exceptions import ValidationFailed


def _fernet() -> Fernet:
    key = getattr(settings, "DATA_SOURCE_KEY", "")
    if not key:
        digest = hashlib.sha256(("data-source:" + settings.SECRET_KEY).encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValidationFailed(
            "The stored credentials cannot be decrypted (key changed?)."
        ) from exc
