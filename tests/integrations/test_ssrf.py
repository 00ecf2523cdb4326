"""Server-side request forgery: private, loopback, link-local, shared, metadata and IPv6
local addresses are refused at registration and again at delivery (a DNS answer can change)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from core.events import emit_event
from integrations import services, ssrf
from integrations.exceptions import WebhookUrlRefused
from integrations.models import WebhookDelivery

REFUSED_URLS = [
    "http://127.0.0.1/",
    "http://127.1.2.3/",
    "http://localhost/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://[::1]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fd00:ec2::254]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://93.184.216.34:8080/",  # public, but not port 80/443
    "ftp://93.184.216.34/",
    "file:///etc/passwd",
    "http://user:pass@93.184.216.34/",
    "http:///no-host",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_refused_without_allow_private(url):
    with pytest.raises(WebhookUrlRefused):
        ssrf.check_webhook_url(url, allow_private=False)


@pytest.mark.parametrize(
    "url", ["https://93.184.216.34/hooks", "http://93.184.216.34:80/", "https://[2606:4700::1]/"]
)
def test_public_addresses_pass(url):
    ssrf.check_webhook_url(url, allow_private=False)


def test_allow_private_lifts_address_and_port_rules_but_not_the_scheme():
    ssrf.check_webhook_url("http://127.0.0.1:8080/", allow_private=True)
    with pytest.raises(WebhookUrlRefused):
        ssrf.check_webhook_url("gopher://127.0.0.1/", allow_private=True)


def test_a_host_that_does_not_resolve_is_refused(monkeypatch):
    def fail(host, port):
        raise OSError("no such host")

    monkeypatch.setattr(ssrf, "resolve", fail)
    with pytest.raises(WebhookUrlRefused, match="resolve"):
        ssrf.check_webhook_url("https://hooks.example.test/", allow_private=False)


def test_one_private_answer_among_public_ones_is_refused(monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["93.184.216.34", "10.1.2.3"])
    with pytest.raises(WebhookUrlRefused) as refused:
        ssrf.check_webhook_url("https://hooks.example.test/", allow_private=False)
    assert refused.value.details["addresses"] == ["10.1.2.3"]


@pytest.mark.django_db
def test_a_dns_answer_that_turns_private_after_registration_is_refused_at_delivery(
    monkeypatch, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["93.184.216.34"])
    endpoint = services.webhook_endpoint_create(url="http://hooks.example.test/", events=["*"])
    emit_event("inventory.refreshed", {})
    services.events_fan_out()
    (delivery,) = WebhookDelivery.objects.filter(endpoint=endpoint)
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["127.0.0.1"])
    delivery = services.webhook_delivery_attempt(delivery_id=delivery.pk, now=timezone.now())
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.last_error.startswith("Refused:") and delivery.last_status_code is None
