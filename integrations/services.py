"""Writes of the integrations app: webhook endpoints, the fan-out of outbox events to
deliveries, each delivery attempt (signed POST, retry schedule, dead letters), replays,
e-mail notifications and the weekly what-to-order report. See docs/adr/0024-webhooks.md."""

from __future__ import annotations

import csv
import hashlib
import hmac
import http.client
import io
import json
import os
import random
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.mail import EmailMessage, send_mass_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from core.events import EVENT_TYPES, emit_event
from core.exceptions import Conflict, ValidationFailed
from core.logging import get_logger
from core.metrics import WEBHOOK_DELIVERIES
from core.models import Event
from integrations import notifications
from integrations.exceptions import NotReplayable, WebhookUrlRefused
from integrations.models import (
    NotificationPreference,
    ReportSubscription,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from integrations.ssrf import check_webhook_url
from inventory.models import InventoryMetrics

log = get_logger("webhooks")
Status = WebhookDelivery.Status
OPEN = (Status.PENDING, Status.FAILED)
EXCERPT_BYTES = 1024
# A claimed delivery is not handed out again for this long (the time a queued task has to
# start); a lost task's delivery is due again afterwards.
CLAIM_SECONDS = 120
# Idle kept-alive connections a worker process keeps per (scheme, host, port).
POOL_IDLE_MAX = 8
DELIVERY_TABLE = WebhookDelivery._meta.db_table
ENDPOINT_TABLE = WebhookEndpoint._meta.db_table
ATTEMPT_TABLE = WebhookAttempt._meta.db_table
EVENT_TABLE = Event._meta.db_table


# --- Endpoints --------------------------------------------------------------------------------


def _schema() -> str:
    """The active tenant schema (django-tenants adds it to the connection; no stubs)."""
    return str(getattr(connection, "schema_name", ""))


def webhook_events_clean(events: list[str]) -> list[str]:
    """The event types an endpoint subscribes to: known types, or ``["*"]`` for all."""
    if not isinstance(events, list) or not events:
        raise ValidationFailed('List at least one event type, or "*".', details={"events": events})
    unknown = sorted({e for e in events if e != "*" and e not in EVENT_TYPES})
    if unknown:
        raise ValidationFailed("Unknown event types.", details={"events": unknown})
    return ["*"] if "*" in events else sorted(set(events))


def webhook_secret_new() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def webhook_endpoint_create(
    *,
    url: str,
    events: list[str],
    description: str = "",
    is_active: bool = True,
    created_by: Any = None,
) -> WebhookEndpoint:
    """A new endpoint with a fresh secret (the caller shows it once). The URL is refused if it
    is not http(s) or resolves to a private address (``WEBHOOK_ALLOW_PRIVATE`` aside)."""
    check_webhook_url(url)
    return WebhookEndpoint.objects.create(
        url=url,
        events=webhook_events_clean(events),
        description=description,
        is_active=is_active,
        secret=webhook_secret_new(),
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, **fields: Any) -> WebhookEndpoint:
    """Change ``url``, ``events``, ``description`` or ``is_active``; enabling again clears
    the failure streak and the reason it was disabled."""
    if "url" in fields:
        check_webhook_url(fields["url"])
    if "events" in fields:
        fields["events"] = webhook_events_clean(fields["events"])
    for name, value in fields.items():
        setattr(endpoint, name, value)
    if fields.get("is_active"):
        endpoint.disabled_reason = ""
        endpoint.failing_since = None
    endpoint.save()
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def webhook_test_send(*, endpoint: WebhookEndpoint, actor: Any = None) -> Event:
    """Emit a ``webhook.test`` event for this endpoint only; it is delivered and retried like
    any other event."""
    return emit_event(
        "webhook.test",
        {"endpoint_id": endpoint.pk, "message": "A test event from the platform."},
        actor=actor,
    )


def _endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> None:
    """Disable (the row is locked by the caller), dead-letter its open deliveries and tell
    the tenant's administrators after commit."""
    endpoint.is_active = False
    endpoint.disabled_reason = reason[:255]
    endpoint.save(update_fields=["is_active", "disabled_reason", "updated_at"])
    WebhookDelivery.objects.filter(endpoint=endpoint, status__in=OPEN).update(
        status=Status.DEAD, next_attempt_at=None, last_error=f"Endpoint disabled: {reason}"
    )
    subject = "A webhook endpoint was disabled"
    body = f"The webhook endpoint {endpoint.url} was disabled: {reason}."
    transaction.on_commit(lambda: admins_mail(subject=subject, body=body))
    log.warning("webhook_endpoint_disabled", endpoint_id=endpoint.pk, reason=reason)


# --- Fan-out and dispatch ---------------------------------------------------------------------


def events_fan_out(*, limit: int | None = None) -> int:
    """Turn undelivered outbox events (oldest first) into deliveries for the active endpoints
    that want them, mark the events delivered, and queue their e-mail notifications after
    commit. Concurrent runs skip each other's rows. Returns the deliveries created."""
    limit = limit or settings.WEBHOOK_DISPATCH_BATCH
    with transaction.atomic():
        events = list(
            Event.objects.filter(delivered_at__isnull=True)
            .order_by("id")
            .select_for_update(skip_locked=True)[:limit]
        )
        if not events:
            return 0
        endpoints = list(WebhookEndpoint.objects.filter(is_active=True).only("id", "events"))
        now = timezone.now()
        endpoint_ids: list[int] = []
        event_ids: list[int] = []
        for event in events:
            for endpoint in endpoints:
                if event.type == "webhook.test":
                    wanted = event.data.get("endpoint_id") == endpoint.pk
                else:
                    wanted = endpoint.wants(event.type)
                if wanted:
                    endpoint_ids.append(endpoint.pk)
                    event_ids.append(event.pk)
        if event_ids:
            # One statement for the whole batch (the ORM's bulk_create built a model and a
            # parameter list per row: most of the fan-out's time).
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    INSERT INTO {DELIVERY_TABLE} (endpoint_id, event_id, status, attempts,
                        next_attempt_at, last_error, created_at, updated_at)
                    SELECT p.endpoint_id, p.event_id, %s, 0, %s, '', %s, %s
                    FROM unnest(%s::bigint[], %s::bigint[]) AS p(endpoint_id, event_id)
                    ON CONFLICT (endpoint_id, event_id) DO NOTHING
                    """,  # noqa: S608 (table names from the models, values bound)
                    [Status.PENDING, now, now, now, endpoint_ids, event_ids],
                )
        Event.objects.filter(pk__in=[event.pk for event in events]).update(delivered_at=now)
        # In-app notifications commit with the fan-out; mails go after commit.
        to_notify = notifications.notifications_create(events=events)
        if to_notify:
            transaction.on_commit(lambda: _queue_notifications(to_notify))
    return len(event_ids)


def _queue_notifications(event_ids: list[int]) -> None:
    from integrations.tasks import notify_event

    for event_id in event_ids:
        notify_event.delay(event_id)


def deliveries_claim_due(
    *, now: datetime | None = None, limit: int | None = None
) -> list[tuple[int, int]]:
    """The deliveries due now as ``(id, attempts)``, oldest due first, each pushed
    ``CLAIM_SECONDS`` ahead so the next dispatcher run does not hand it out again while its
    task waits in the queue. One statement: rows another run holds are skipped."""
    now = now or timezone.now()
    limit = settings.WEBHOOK_DISPATCH_BATCH if limit is None else limit
    if limit <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {DELIVERY_TABLE} AS d SET next_attempt_at = %s
            FROM (
                SELECT id, next_attempt_at FROM {DELIVERY_TABLE}
                WHERE status IN (%s, %s) AND next_attempt_at <= %s
                ORDER BY next_attempt_at, id
                LIMIT %s
                FOR UPDATE SKIP LOCKED
            ) AS due
            WHERE d.id = due.id
            RETURNING d.id, d.attempts, due.next_attempt_at
            """,  # noqa: S608 (table names from the models, values bound)
            [now + timedelta(seconds=CLAIM_SECONDS), *OPEN, now, limit],
        )
        rows = cursor.fetchall()
    rows.sort(key=lambda row: (row[2], row[0]))
    return [(int(row[0]), int(row[1])) for row in rows]


# --- One attempt ------------------------------------------------------------------------------


def webhook_sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256>`` of ``b"<timestamp>." + body`` keyed with the UTF-8 bytes
    of ``secret``: the ``X-Webhook-Signature`` header."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def webhook_body(event: Event) -> bytes:
    """The JSON body of an event's delivery: ``{id, type, created_at, tenant, data}``."""
    return _body(event_id=event.pk, type=event.type, created_at=event.created_at, data=event.data)


def _body(*, event_id: int, type: str, created_at: datetime, data: Any) -> bytes:
    tenant = getattr(connection, "tenant", None)
    payload = {
        "id": event_id,
        "type": type,
        "created_at": created_at,
        "tenant": getattr(tenant, "slug", None) or _schema(),
        "data": data,
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def _headers(*, event_id: int, secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "demandplan-webhooks/1",
        "X-Webhook-Id": str(event_id),
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": webhook_sign(secret=secret, timestamp=timestamp, body=body),
    }


@dataclass
class AttemptOutcome:
    status_code: int | None
    error: str
    response_ms: int
    excerpt: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _Connections:
    """Kept-alive HTTP/1.1 connections of one worker process, pooled per (scheme, host,
    port): a batch's threads each take an idle connection (or open one) and give it back, so
    a batch of 100 deliveries to one endpoint opens a handful of connections, not 100. The
    standard library's client: no redirects followed, no proxies from the environment, and a
    fraction of httpx's cost per request (the batch path is CPU-bound)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}

    def _take(self, key: tuple[str, str, int]) -> http.client.HTTPConnection | None:
        with self.lock:
            idle = self.idle.get(key)
            return idle.pop() if idle else None

    def _give(self, key: tuple[str, str, int], conn: http.client.HTTPConnection) -> None:
        with self.lock:
            idle = self.idle.setdefault(key, [])
            if len(idle) < POOL_IDLE_MAX:
                idle.append(conn)
                return
        conn.close()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        key = (parts.scheme, parts.hostname or "", parts.port or (443 if https else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):
            conn = self._take(key)
            reused = conn is not None
            if conn is None:
                kind = http.client.HTTPSConnection if https else http.client.HTTPConnection
                conn = kind(key[1], key[2], timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
            try:
                conn.request("POST", target, body=body, headers=headers)
                response = conn.getresponse()
                excerpt = response.read(EXCERPT_BYTES)
                if response.will_close or response.read(1):
                    conn.close()  # a longer answer is not drained: drop the connection
                else:
                    self._give(key, conn)
                return response.status, excerpt
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                if not reused or attempt == 2:  # a stale kept-alive connection: once more
                    raise
            except BaseException:
                conn.close()
                raise
        raise http.client.HTTPException("unreachable")


class _Process:
    """What one worker process keeps between batches: its connections and its threads
    (made again after a fork)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.connections = _Connections()
        self.threads = ThreadPoolExecutor(
            max_workers=settings.WEBHOOK_DELIVERY_THREADS, thread_name_prefix="webhook"
        )


_PROCESS: list[_Process] = []


def _process() -> _Process:
    if not _PROCESS or _PROCESS[0].pid != os.getpid():
        _PROCESS[:] = [_Process()]
    return _PROCESS[0]


@dataclass
class _Send:
    """One claimed delivery of a batch, with what its POST needs (no model instances: the
    threads never touch the database)."""

    delivery_id: int
    endpoint_id: int
    url: str
    secret: str
    event_id: int
    body: bytes
    refused: str = ""


def _send(send: _Send, *, timestamp: int, connections: _Connections) -> AttemptOutcome:
    """One signed POST of a batch (in a thread); the SSRF answer was decided for the batch."""
    started = time.monotonic()
    code: int | None = None
    error = excerpt = ""
    try:
        if send.refused:
            raise WebhookUrlRefused(send.refused)
        headers = _headers(
            event_id=send.event_id, secret=send.secret, timestamp=timestamp, body=send.body
        )
        code, received = connections.post(send.url, send.body, headers)
        excerpt = received.decode("utf-8", "replace").replace("\x00", "")
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except WebhookUrlRefused as exc:
        error = f"Refused: {exc.message}"
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    return AttemptOutcome(code, error, round((time.monotonic() - started) * 1000), excerpt)


def _streams(sends: list[_Send], threads: int) -> list[list[_Send]]:
    """Split a batch into at most ``threads`` sequential streams, one endpoint's deliveries
    together in claim order (an endpoint with more than its share is split)."""
    by_endpoint: dict[int, list[_Send]] = {}
    for send in sends:
        by_endpoint.setdefault(send.endpoint_id, []).append(send)
    groups = list(by_endpoint.values())
    if len(groups) < threads:
        per = max(1, threads // max(1, len(groups)))
        groups = [g[i::per] for g in groups for i in range(min(per, len(g)))]
    streams: list[list[_Send]] = [[] for _ in range(min(threads, len(groups)))]
    for group in sorted(groups, key=len, reverse=True):
        min(streams, key=len).extend(group)
    return streams


def _post(*, endpoint: WebhookEndpoint, event: Event, now: datetime) -> AttemptOutcome:
    """One signed POST with its own httpx client (the single-attempt path)."""
    body = webhook_body(event)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "demandplan-webhooks/1",
        "X-Webhook-Id": str(event.pk),
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": webhook_sign(secret=endpoint.secret, timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    code: int | None = None
    error = excerpt = ""
    try:
        check_webhook_url(endpoint.url)  # again: the DNS answer may have changed
        client = httpx.Client(
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
        )
        try:
            with client.stream("POST", endpoint.url, content=body, headers=headers) as response:
                code = response.status_code
                received = b""
                for chunk in response.iter_bytes():
                    received += chunk
                    if len(received) >= EXCERPT_BYTES:
                        break
                excerpt = received[:EXCERPT_BYTES].decode("utf-8", "replace")
        finally:
            client.close()
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except WebhookUrlRefused as exc:
        error = f"Refused: {exc.message}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    return AttemptOutcome(code, error, round((time.monotonic() - started) * 1000), excerpt)


def retry_delay(*, attempts: int) -> timedelta:
    """The wait after failed attempt number ``attempts`` (1-based): the schedule's entry, ±
    ``WEBHOOK_RETRY_JITTER`` so a recovering receiver is not hit by every retry at once."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    seconds = schedule[min(attempts, len(schedule)) - 1]
    jitter = settings.WEBHOOK_RETRY_JITTER
    return timedelta(seconds=seconds * random.uniform(1 - jitter, 1 + jitter))


def webhook_delivery_attempt(
    *, delivery_id: int, expected_attempts: int | None = None, now: datetime | None = None
) -> WebhookDelivery | None:
    """Send one attempt of a delivery and record it. Nothing is sent for a delivery that has
    succeeded, is dead, or has moved on since it was claimed (``expected_attempts``): a task
    run twice or retried after a crash does not send again after a success. The row lock is
    held only to claim and to record, never during the HTTP call. Returns the delivery."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint", "event")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status not in OPEN:
            return delivery
        if expected_attempts is not None and delivery.attempts != expected_attempts:
            return delivery
        if not delivery.endpoint.is_active:
            delivery.status = Status.DEAD
            delivery.last_error = "Endpoint disabled."
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "last_error", "next_attempt_at", "updated_at"])
            return delivery
        delivery.attempts += 1
        # While the request is in flight nobody else picks the row up.
        delivery.next_attempt_at = now + timedelta(
            seconds=CLAIM_SECONDS + settings.WEBHOOK_TIMEOUT_SECONDS
        )
        delivery.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
    outcome = _post(endpoint=delivery.endpoint, event=delivery.event, now=now)
    return _attempt_record(delivery_id=delivery.pk, outcome=outcome, now=now)


def webhook_deliveries_attempt(
    *, claims: list[tuple[int, int]], now: datetime | None = None
) -> dict[str, int]:
    """Attempt a batch of claimed deliveries ``(id, attempts when claimed)``.

    One statement claims them all (still open, still at the attempt count they were claimed
    with, not held by another batch: a duplicate task sends nothing; a disabled endpoint's
    deliveries die), counts the attempt and leases the rows; one more reads their events.
    The SSRF check runs once per URL per batch (still at delivery time), each event's body
    is built once, and the POSTs go out on ``WEBHOOK_DELIVERY_THREADS`` threads over kept-
    alive connections. Successes are recorded in one statement; each failure goes through
    the single-attempt recorder (retry schedule, dead letters, 410, disabling). Returns
    counts by outcome."""
    now = now or timezone.now()
    if not claims:
        return {"sent": 0, "succeeded": 0, "failed": 0, "dead": 0}
    lease = now + timedelta(seconds=CLAIM_SECONDS + settings.WEBHOOK_TIMEOUT_SECONDS)
    ids = [int(i) for i, _ in claims]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {DELIVERY_TABLE} AS d SET
                attempts = CASE WHEN e.is_active THEN d.attempts + 1 ELSE d.attempts END,
                status = CASE WHEN e.is_active THEN d.status ELSE %s END,
                next_attempt_at = CASE WHEN e.is_active THEN %s::timestamptz END,
                last_error = CASE WHEN e.is_active THEN d.last_error
                    ELSE 'Endpoint disabled.' END,
                updated_at = %s
            FROM unnest(%s::bigint[], %s::bigint[]) AS c(id, attempts), {ENDPOINT_TABLE} AS e
            WHERE d.id = c.id AND d.attempts = c.attempts AND d.status IN (%s, %s)
                AND e.id = d.endpoint_id
                AND d.id IN (
                    SELECT id FROM {DELIVERY_TABLE} WHERE id = ANY(%s::bigint[])
                    ORDER BY id FOR UPDATE SKIP LOCKED
                )
            RETURNING d.id, d.endpoint_id, d.event_id, e.is_active, e.url, e.secret
            """,  # noqa: S608 (table names from the models, values bound)
            [Status.DEAD, lease, now, ids, [int(a) for _, a in claims], *OPEN, ids],
        )
        rows = sorted(cursor.fetchall())
        ready = [row for row in rows if row[3]]
        dead = len(rows) - len(ready)
        bodies: dict[int, bytes] = {}
        if ready:
            cursor.execute(
                f"SELECT id, type, created_at, data::text FROM {EVENT_TABLE} "  # noqa: S608
                "WHERE id = ANY(%s::bigint[])",
                [sorted({row[2] for row in ready})],
            )
            for event_id, type_, created_at, data in cursor.fetchall():
                bodies[event_id] = _body(
                    event_id=event_id, type=type_, created_at=created_at, data=json.loads(data)
                )
    refused: dict[str, str] = {}
    for url in {row[4] for row in ready}:
        try:
            check_webhook_url(url)  # again at delivery: the DNS answer may have changed
            refused[url] = ""
        except WebhookUrlRefused as exc:
            refused[url] = exc.message
    sends = [
        _Send(
            delivery_id=row[0],
            endpoint_id=row[1],
            url=row[4],
            secret=row[5],
            event_id=row[2],
            body=bodies[row[2]],
            refused=refused[row[4]],
        )
        for row in ready
        if row[2] in bodies
    ]
    process = _process()
    timestamp = int(now.timestamp())

    def run(stream: list[_Send]) -> list[tuple[_Send, AttemptOutcome]]:
        return [
            (send, _send(send, timestamp=timestamp, connections=process.connections))
            for send in stream
        ]

    streams = _streams(sends, settings.WEBHOOK_DELIVERY_THREADS)
    if len(streams) <= 1:
        outcomes = [pair for stream in streams for pair in run(stream)]
    else:
        outcomes = [pair for done in process.threads.map(run, streams) for pair in done]
    succeeded = [(send, o) for send, o in outcomes if o.succeeded]
    if succeeded:
        _successes_record(succeeded=succeeded, now=now)
        WEBHOOK_DELIVERIES.labels(outcome="succeeded").inc(len(succeeded))
    for send, outcome in outcomes:
        if not outcome.succeeded:
            _attempt_record(delivery_id=send.delivery_id, outcome=outcome, now=now)
    log.info("webhook_batch", sent=len(sends), succeeded=len(succeeded), dead=dead)
    return {
        "sent": len(sends),
        "succeeded": len(succeeded),
        "failed": len(sends) - len(succeeded),
        "dead": dead,
    }


def _successes_record(*, succeeded: list[tuple[_Send, AttemptOutcome]], now: datetime) -> None:
    """One statement records a batch's successes: their attempt rows, the deliveries
    ``succeeded`` and their endpoints' failure streaks ended."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH x AS (
                SELECT * FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::text[])
                    AS x(id, code, ms, excerpt)
            ), tried AS (
                INSERT INTO {ATTEMPT_TABLE} (delivery_id, number, status_code, error,
                    response_ms, response_excerpt, created_at)
                SELECT x.id,
                    (SELECT count(*) FROM {ATTEMPT_TABLE} AS a WHERE a.delivery_id = x.id) + 1,
                    x.code, '', x.ms, x.excerpt, %s
                FROM x
            ), done AS (
                UPDATE {DELIVERY_TABLE} AS d SET status = %s, next_attempt_at = NULL,
                    last_status_code = x.code, last_error = '', response_ms = x.ms,
                    updated_at = %s
                FROM x WHERE d.id = x.id
                RETURNING d.endpoint_id
            )
            UPDATE {ENDPOINT_TABLE} SET failing_since = NULL, updated_at = %s
            WHERE id IN (SELECT endpoint_id FROM done) AND failing_since IS NOT NULL
            """,  # noqa: S608 (table names from the models, values bound)
            [
                [send.delivery_id for send, _ in succeeded],
                [o.status_code for _, o in succeeded],
                [o.response_ms for _, o in succeeded],
                [o.excerpt for _, o in succeeded],
                now,
                Status.SUCCEEDED,
                now,
                now,
            ],
        )


def _attempt_record(*, delivery_id: int, outcome: AttemptOutcome, now: datetime) -> WebhookDelivery:
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=WebhookAttempt.objects.filter(delivery=delivery).count() + 1,
            status_code=outcome.status_code,
            error=outcome.error,
            response_ms=outcome.response_ms,
            response_excerpt=outcome.excerpt,
        )
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        delivery.response_ms = outcome.response_ms
        if outcome.succeeded:
            delivery.status = Status.SUCCEEDED
            delivery.next_attempt_at = None
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since", "updated_at"])
        else:
            if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS or outcome.status_code == 410:
                delivery.status = Status.DEAD
                delivery.next_attempt_at = None
            else:
                delivery.status = Status.FAILED
                delivery.next_attempt_at = now + retry_delay(attempts=delivery.attempts)
            if endpoint.failing_since is None:
                endpoint.failing_since = now
                endpoint.save(update_fields=["failing_since", "updated_at"])
        delivery.save()
        WEBHOOK_DELIVERIES.labels(
            outcome="succeeded" if outcome.succeeded else str(delivery.status)
        ).inc()
        if endpoint.is_active and not outcome.succeeded:
            if outcome.status_code == 410:
                _endpoint_disable(endpoint=endpoint, reason="the receiver answered 410 Gone")
            elif endpoint.failing_since is not None and now - endpoint.failing_since >= timedelta(
                hours=settings.WEBHOOK_DISABLE_AFTER_HOURS
            ):
                _endpoint_disable(
                    endpoint=endpoint,
                    reason=f"every attempt failed for {settings.WEBHOOK_DISABLE_AFTER_HOURS} h",
                )
    log.info(
        "webhook_attempt",
        delivery_id=delivery.pk,
        attempt=delivery.attempts,
        status=delivery.status,
        status_code=outcome.status_code,
        ms=outcome.response_ms,
    )
    return delivery


# --- Replays ----------------------------------------------------------------------------------


def webhook_delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a dead (or failed) delivery again now, with a fresh retry schedule."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint")
            .get(pk=delivery.pk)
        )
        if delivery.status not in (Status.DEAD, Status.FAILED):
            raise NotReplayable(details={"status": delivery.status})
        if not delivery.endpoint.is_active:
            raise NotReplayable("The endpoint is disabled; enable it first.")
        delivery.status = Status.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    return delivery


def webhook_deliveries_replay(*, endpoint: WebhookEndpoint) -> int:
    """Send every dead delivery of ``endpoint`` again; returns how many."""
    if not endpoint.is_active:
        raise NotReplayable("The endpoint is disabled; enable it first.")
    return WebhookDelivery.objects.filter(endpoint=endpoint, status=Status.DEAD).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )


# --- Notifications ----------------------------------------------------------------------------


def notification_preference_set(
    *, user: Any, email_enabled: bool, email_digest: bool | None = None
) -> NotificationPreference:
    """``email_enabled: false`` stops every mail; ``email_digest`` sends one mail a day."""
    defaults: dict[str, Any] = {"email_enabled": email_enabled}
    if email_digest is not None:
        defaults["email_digest"] = email_digest
    preference, _ = NotificationPreference.objects.update_or_create(user=user, defaults=defaults)
    return preference


def notification_recipients() -> list[str]:
    """E-mail addresses of the tenant's active administrators who have not opted out."""
    return list(
        User.objects.filter(role=User.Role.ADMIN, is_active=True)
        .exclude(notification_preference__email_enabled=False)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
    )


def admins_mail(*, subject: str, body: str) -> int:
    """One mail per administrator (no one sees the others' addresses); returns how many."""
    tenant = getattr(connection, "tenant", None)
    prefix = f"[{getattr(tenant, 'name', _schema())}] "
    messages = [(prefix + subject, body, None, [address]) for address in notification_recipients()]
    return send_mass_mail(messages, fail_silently=False) if messages else 0


def event_notify(*, event_id: int) -> int:
    """Mail an event's notifications to the users who want them at once (not in a digest);
    returns the mails sent."""
    return notifications.notifications_mail_event(event_id=event_id)


# --- Scheduled reports ------------------------------------------------------------------------

WHAT_TO_ORDER_COLUMNS = [
    "sku",
    "product",
    "location",
    "status",
    "on_hand",
    "reorder_point",
    "recommended_order_qty",
    "latest_order_date",
]


def what_to_order_csv() -> str:
    """The items to order now (status ``critical`` or ``reorder_now``), most urgent first."""
    rows = (
        InventoryMetrics.objects.filter(
            status__in=(InventoryMetrics.Status.CRITICAL, InventoryMetrics.Status.REORDER_NOW)
        )
        .select_related("product", "location")
        .order_by("latest_order_date", "product__sku")
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(WHAT_TO_ORDER_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.product.sku,
                row.product.name,
                row.location.code if row.location_id else "",
                row.status,
                round(row.on_hand, 3),
                "" if row.reorder_point is None else round(row.reorder_point, 3),
                round(row.recommended_order_qty, 3),
                row.latest_order_date or "",
            ]
        )
    return out.getvalue()


def report_subscription_save(*, subscription: ReportSubscription) -> ReportSubscription:
    if not 0 <= subscription.weekday <= 6:
        raise ValidationFailed("weekday is 0 (Monday) to 6 (Sunday).")
    taken = ReportSubscription.objects.filter(
        user_id=subscription.user_id, report=subscription.report
    ).exclude(pk=subscription.pk)
    if taken.exists():
        raise Conflict("You already subscribe to this report.")
    subscription.save()
    return subscription


def reports_send_due(*, now: datetime | None = None) -> int:
    """Mail the weekly reports due today (the subscription's weekday, not sent in the last
    6 days); returns how many were sent."""
    now = now or timezone.now()
    today = timezone.localtime(now).weekday()
    due = (
        ReportSubscription.objects.filter(is_active=True, weekday=today, user__is_active=True)
        .exclude(last_sent_at__gt=now - timedelta(days=6))
        .select_related("user")
    )
    sent = 0
    content = None
    for subscription in due:
        content = content if content is not None else what_to_order_csv()
        message = EmailMessage(
            subject="What to order this week",
            body="The items to order now are attached (CSV).",
            to=[subscription.user.email],
        )
        message.attach(f"what-to-order-{now:%Y-%m-%d}.csv", content, "text/csv")
        message.send()
        subscription.last_sent_at = now
        subscription.save(update_fields=["last_sent_at"])
        sent += 1
    return sent
