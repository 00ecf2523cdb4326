"""Server-side request forgery guard for webhook URLs: only http(s) on ports 80/443, and every
address the host resolves to must be public. Checked at registration and again before each
attempt (DNS answers change). ``WEBHOOK_ALLOW_PRIVATE`` lifts the address and port rules."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from integrations.exceptions import WebhookUrlRefused

ALLOWED_PORTS = {80, 443}
# Cloud metadata services that are not covered by "not global" (AWS IPv6 IMDS is a unique
# local address and so already private; listed for clarity).
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
}


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def address_refused(address: str) -> bool:
    """True for loopback, private, link-local, shared, reserved, multicast and metadata
    addresses, IPv4-mapped IPv6 judged by its IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip in METADATA_ADDRESSES or ip.is_multicast or not ip.is_global


def check_webhook_url(url: str, *, allow_private: bool | None = None) -> None:
    """Raise ``WebhookUrlRefused`` unless ``url`` may receive webhooks."""
    allow = settings.WEBHOOK_ALLOW_PRIVATE if allow_private is None else allow_private
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookUrlRefused("The URL is not valid.", details={"url": url}) from None
    if parts.scheme not in {"http", "https"}:
        raise WebhookUrlRefused("Only http and https URLs are allowed.", details={"url": url})
    host = parts.hostname
    if not host:
        raise WebhookUrlRefused("The URL has no host.", details={"url": url})
    if parts.username or parts.password:
        raise WebhookUrlRefused("Credentials in the URL are not allowed.", details={"url": url})
    if allow:
        return
    if port is not None and port not in ALLOWED_PORTS:
        raise WebhookUrlRefused("Only ports 80 and 443 are allowed.", details={"url": url})
    default_port = 443 if parts.scheme == "https" else 80
    try:
        addresses = resolve(host, port or default_port)
    except (OSError, UnicodeError):
        raise WebhookUrlRefused("The host does not resolve.", details={"url": url}) from None
    refused = sorted({a for a in addresses if address_refused(a)})
    if not addresses or refused:
        raise WebhookUrlRefused(
            "The host resolves to a private, loopback, link-local or metadata address.",
            details={"url": url, "addresses": refused},
        )
