"""Reading and validating configuration from environment variables.

Every setting the deployment may change comes through these helpers, so a bad value stops the
process at start-up with a message naming the variable, instead of failing on the first request.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"Environment variable {name} must be a boolean, got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"Environment variable {name} must be an integer.") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"Environment variable {name} must be >= {minimum}.")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_storage_target(name: str, default: str = "") -> str:
    """``file:///absolute/path``, ``s3://bucket[/prefix]`` or empty; validated at start."""
    value = os.environ.get(name, default).strip()
    if not value:
        return ""
    parsed = urlparse(value)
    if (parsed.scheme == "file" and parsed.path.startswith("/") and not parsed.netloc) or (
        parsed.scheme == "s3" and parsed.netloc
    ):
        return value
    raise ImproperlyConfigured(
        f"Environment variable {name} must be file:///absolute/path or s3://bucket[/prefix], "
        f"got {value!r}."
    )


def env_networks(name: str, default: str = "") -> list[str]:
    """Comma-separated addresses or CIDR networks (``10.0.0.0/8,::1``); validated at start."""
    import ipaddress

    values = env_list(name, default)
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"Environment variable {name} must list networks like 10.0.0.0/8, got {value!r}."
            ) from exc
    return values


def env_rate(name: str, default: str) -> str:
    """A django-ratelimit rate such as ``60/m``; validated here so a typo fails at start."""
    value = os.environ.get(name, default).strip()
    count, _, period = value.partition("/")
    if not count.isdigit() or not period or period.rstrip("smhd").strip("0123456789") != "":
        raise ImproperlyConfigured(
            f"Environment variable {name} must look like 60/m, got {value!r}."
        )
    return value


def database_from_url(url: str) -> dict[str, object]:
    """Turn ``postgresql://user:pass@host:port/name`` into a Django DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured("DATABASE_URL must be a postgresql:// URL.")
    name = parsed.path.lstrip("/")
    if not name:
        raise ImproperlyConfigured("DATABASE_URL must name a database.")
    return {
        "ENGINE": "core.db_backend",
        "NAME": unquote(name),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
    }
