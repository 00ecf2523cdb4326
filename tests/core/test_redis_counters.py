"""The rate-limit and quota counters count in one Redis round trip (ADR 37): each call adds
one, the time to live is set by the first call and never pushed back, and the key goes
through the cache's key function, so tenants count apart."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from core.throttling import count_in_redis, read_in_redis
from tests.conftest import HOST_B, schema_for_host

pytestmark = pytest.mark.django_db


def test_counts_and_keeps_the_first_expiry():
    key = f"test-counter:{uuid.uuid4().hex}"
    assert read_in_redis(key) == 0
    assert [count_in_redis(key, 100) for _ in range(3)] == [1, 2, 3]
    client = cache.client.get_client(write=True)
    assert 95 <= client.ttl(cache.make_key(key)) <= 100
    count_in_redis(key, 5000)  # a later, longer time to live does not extend the window
    assert client.ttl(cache.make_key(key)) <= 100
    assert read_in_redis(key) == 4
    assert cache.get(key) == 4  # the cache's own reader sees the same integer


def test_tenants_count_apart():
    key = f"test-counter:{uuid.uuid4().hex}"
    count_in_redis(key, 100)
    count_in_redis(key, 100)
    with schema_context(schema_for_host(HOST_B)):
        assert read_in_redis(key) == 0
        assert count_in_redis(key, 100) == 1
    assert read_in_redis(key) == 2
