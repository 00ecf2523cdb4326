"""The API against its own OpenAPI schema, fuzzed by schemathesis over a live server.

A throw-away tenant (``fuzz``) is provisioned with a few rows of each kind, served by a live
Django server on loopback, and schemathesis (its command line, as an operator would run it)
drives every operation of the tenant API as the tenant's administrator: examples from the
schema, boundary values, random valid and invalid data, and stateful sequences that reuse
what one call created in the next. It must find no server error, no answer that breaks the
schema, no undocumented status code and no wrong content type. The tenant is dropped at the
end, so what the fuzzer wrote touches no other test.

Bounded (``FUZZ_EXAMPLES`` per operation, 25 by default) so it fits in ``make test``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD

HOST = "fuzz.localhost"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


@pytest.fixture(scope="module")
def fuzz_queue():
    """The work the fuzzer starts (forecast runs, imports, MRP…) goes to a broker queue of its
    own that no worker consumes, and is purged at the end: the suite's live worker never runs
    it, and nothing of it outlives the throw-away tenant."""
    import uuid

    from celery.app.task import Task

    from config.celery import app

    queue = f"fuzz-{uuid.uuid4().hex[:8]}"
    send = Task.apply_async

    def to_fuzz_queue(self, args=None, kwargs=None, **options):
        options["queue"] = queue
        return send(self, args, kwargs, **options)

    Task.apply_async = to_fuzz_queue
    try:
        yield queue
    finally:
        Task.apply_async = send
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            channel.queue_declare(queue=queue, auto_delete=False)
            channel.queue_purge(queue)
            channel.queue_delete(queue)


@pytest.fixture(scope="module")
def fuzz_server(django_db_setup, django_db_blocker, fuzz_queue):
    """A live server for a fresh tenant ``fuzz``; yields (base URL, admin access token)."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    from tenants.models import Tenant
    from tenants.services import tenant_provision

    with django_db_blocker.unblock():
        result = tenant_provision(
            slug="fuzz",
            name="Fuzz Ltd",
            domain=HOST,
            admin_email="admin@fuzz.example.com",
            admin_password=PASSWORD,
        )
        with schema_context(result.tenant.schema_name):
            from accounts.models import User

            admin = User.objects.get(username="admin@fuzz.example.com")
            _seed(admin)
        token = _long_lived_access(admin)
        thread = _live_server_thread()("127.0.0.1", StaticFilesHandler, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield f"http://127.0.0.1:{thread.port}", token
        finally:
            thread.terminate()
            connection.set_schema_to_public()
            Tenant.objects.get(slug="fuzz").delete(force_drop=True)
            from tenants.middleware import forget_tenant_lookups

            forget_tenant_lookups()


def _live_server_thread():
    """Django's live server, one request per connection.

    The threaded development server keeps connections alive but reads a request body only by
    its ``Content-Length``. A body it cannot frame (``Transfer-Encoding: chunked``, which the
    fuzzer may send) stays on the socket, is parsed as the next request line, and is answered
    by the standard library's bare HTML error page, with no status line, *to the client's next
    request on that connection*. The fuzzer then reports that innocent request as a network
    error ("Connection aborted. <!DOCTYPE HTML>"), as one CI run did on ``PATCH /boms/{id}/``.
    Production runs gunicorn, which frames such bodies itself. The non-threaded server answers
    every response with ``Connection: close``, so nothing a request leaves unread can reach
    another one; ``test_the_fuzz_server_answers_each_request_on_its_own_connection`` holds it.
    """
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler

    class OneRequestPerConnection(LiveServerThread):
        server_class = WSGIServer

        def _create_server(self, connections_override=None):
            return WSGIServer(
                (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False
            )

    return OneRequestPerConnection


def _long_lived_access(admin) -> str:
    """An access token that outlives the run (a default one expires within minutes)."""
    from datetime import timedelta

    from accounts.tokens import TenantTokenObtainPairSerializer
    from tests.conftest import schema_for_host

    with schema_context(schema_for_host(HOST)):
        access = TenantTokenObtainPairSerializer.get_token(admin).access_token
        access.set_exp(lifetime=timedelta(hours=3))
        return str(access)


def _seed(admin) -> None:
    """A few rows of the main kinds, so operations on an id have something to find."""
    from tests import factories

    for _ in range(2):
        product = factories.ProductFactory()
        location = factories.LocationFactory()
        factories.DemandHistoryFactory(product=product, location=location)
        factories.VehicleFactory()
        factories.DeliveryOrderFactory()


def test_the_fuzz_server_answers_each_request_on_its_own_connection(fuzz_server):
    """A chunked body the development server cannot frame must not poison the next request."""
    import socket
    from urllib.parse import urlsplit

    base, token = fuzz_server
    address = urlsplit(base)
    head = f"Host: {HOST}\r\nAuthorization: Bearer {token}\r\n"
    with socket.create_connection((address.hostname, address.port), timeout=60) as sock:
        sock.sendall(
            (
                f"PATCH /api/v1/boms/0/ HTTP/1.1\r\n{head}Transfer-Encoding: chunked\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                "e\r\nis_active=true\r\n0\r\n\r\n"
                f"GET /api/v1/me HTTP/1.1\r\n{head}\r\n"
            ).encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status_line.startswith(b"HTTP/1.1 "), answer[:200]
    assert b"\r\nConnection: close" in b"\r\n" + headers, headers
    # One answer, then the server closed: no bare HTML page for the leftover chunk.
    assert b"<!DOCTYPE HTML>" not in body, body[:200]
    assert b"HTTP/1.1" not in body


def test_every_operation_matches_the_schema(fuzz_server, tmp_path: Path):
    base, token = fuzz_server
    report_dir = tmp_path / "report"
    # The schema is fetched here, with a generous timeout, and handed to schemathesis as a
    # file: its own loader gives up after 10 s, which a loaded machine can exceed.
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{base}/api/v1/schema/?format=json",
        headers={"Host": HOST, "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=180) as response:  # noqa: S310 (loopback)
        schema_file = tmp_path / "schema.json"
        schema_file.write_bytes(response.read())
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        str(schema_file),
        "--url",
        base,
        "--header",
        f"Host: {HOST}",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--workers",
        "2",
        "--seed",
        os.environ.get("FUZZ_SEED", "20261206"),
        "--request-timeout",
        "60",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-dir",
        str(report_dir),
    ]
    run = subprocess.run(  # the project's own schemathesis, fixed arguments
        command, capture_output=True, text=True, timeout=1800, check=False
    )
    reports = list(report_dir.glob("*.json"))
    assert reports, f"schemathesis wrote no report:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    report = json.loads(reports[0].read_text())
    failures = report.get("failures", [])
    summary = [
        f"{failure['code']} {failure['title']}: {', '.join(failure['operations'][:10])}"
        for failure in failures
    ]
    assert not failures, "\n".join(summary) + "\n\n" + run.stdout[-20000:]
    assert run.returncode == 0, run.stdout[-20000:]
