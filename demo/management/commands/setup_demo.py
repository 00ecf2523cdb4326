"""``setup_demo``: everything ``make run`` needs before the server starts, in one process.

It replaces five commands in a row (``migrate_schemas --shared``, ``bootstrap_platform``,
``migrate_schemas --tenant``, ``provision_tenant demo``, ``seed_demo``), each of which paid
the start-up of Django and the project again. Every step is skipped when there is nothing to
do, so a second ``make run`` on the same day only checks: migrations are run only when some
schema lacks one, the demo data is loaded only when it does not reach yesterday or has no
deliveries for tomorrow. Then the ``demo_prepare`` job is queued on the worker (forecast,
inventory refresh, simulation, route plan, cart) and the command returns at once; the
dashboard shows the job's progress.

The last lines printed are the demo's logins (``LOGIN role e-mail password``), which
``scripts/run.sh`` turns into its banner.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from core.exceptions import DomainError

DEFAULT_ADMIN_PASSWORD = "demo-admin-2026"  # noqa: S105 (demo login, printed by make run)


def pending_migrations() -> bool:
    """True when the tenants table is missing or any schema (public, the template, a tenant)
    lacks a migration that is on disk. One query per schema; no migration is run."""
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    nodes = dict(graph.nodes)  # squashed migrations stand in for those they replace
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass('public.tenants_tenant') IS NOT NULL, "
            "to_regclass('public.django_migrations') IS NOT NULL"
        )
        tenants_table, migrations_table = cursor.fetchone()
        if not (tenants_table and migrations_table):
            return True
        cursor.execute("SELECT schema_name FROM public.tenants_tenant")
        schemas = [row[0] for row in cursor.fetchall()]
        for schema in schemas:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f'"{schema}".django_migrations'])
            if not cursor.fetchone()[0]:
                return True
            cursor.execute(
                f'SELECT app, name FROM "{schema}".django_migrations'  # noqa: S608 (schema names from our own table)
            )
            applied = set(cursor.fetchall())
            for key, migration in nodes.items():
                if key in applied:
                    continue
                replaced = getattr(migration, "replaces", None) or []
                if not replaced or not all(tuple(r) in applied for r in replaced):
                    return True
    return False


def demo_data_current(*, today) -> bool:
    """The active schema already holds today's demo: sales up to yesterday, a fleet and
    tomorrow's deliveries."""
    from django.db.models import Max

    from catalog.models import DemandHistory
    from routing.models import DeliveryOrder, Vehicle

    latest = DemandHistory.objects.aggregate(latest=Max("date"))["latest"]
    return (
        latest is not None
        and latest >= today - timedelta(days=1)
        and Vehicle.objects.exists()
        and DeliveryOrder.objects.filter(date=today + timedelta(days=1)).exists()
    )


class Command(BaseCommand):
    help = (
        "Migrate, provision and seed the demo tenant, then queue its preparation (forecast, "
        "inventory refresh, simulation, route plan, cart) on the worker. One process; "
        "idempotent; steps with nothing to do are skipped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--slug", default="demo")
        parser.add_argument("--name", default="Demo Company")
        parser.add_argument("--domain", default="demo.localhost")
        parser.add_argument("--admin-email", default="admin@demo.example.com")
        parser.add_argument("--reseed", action="store_true", help="Load the demo data again.")
        parser.add_argument(
            "--prepare",
            choices=("auto", "always", "never"),
            default="auto",
            help="Queue the demo_prepare job: auto (unless one ran today), always, never.",
        )
        parser.add_argument(
            "--supersede-unfinished",
            action="store_true",
            help="Fail a demo_prepare job left queued or running by a stopped worker and queue "
            "a new one (make run: its worker starts after this command).",
        )

    def _step(self, label: str, started: float) -> None:
        self.stdout.write(f"  {label} ({time.perf_counter() - started:.1f} s)")

    def handle(self, *args, **options):
        from tenants.services import platform_ensure, tenant_provision

        begun = time.perf_counter()
        started = time.perf_counter()
        if pending_migrations():
            call_command("migrate_schemas", shared=True, verbosity=0)
            platform_ensure()
            call_command("migrate_schemas", tenant=True, verbosity=0)
            self._step("migrations applied", started)
        else:
            platform_ensure()
            self._step("migrations up to date", started)

        started = time.perf_counter()
        admin_password = _admin_password()
        try:
            tenant = tenant_provision(
                slug=options["slug"],
                name=options["name"],
                domain=options["domain"],
                admin_email=options["admin_email"],
                admin_password=admin_password,
            ).tenant
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.details or ''}".strip()) from exc
        self._step(f"tenant {tenant.slug} (schema {tenant.schema_name})", started)

        today = timezone.localdate()
        with schema_context(tenant.schema_name):
            started = time.perf_counter()
            if options["reseed"] or not demo_data_current(today=today):
                call_command("seed_demo", schema_name=tenant.schema_name, stdout=self.stdout)
                self._step("demo data loaded", started)
            else:
                self._step("demo data already current", started)
            self._prepare(options["prepare"], supersede=options["supersede_unfinished"])
            logins = self._logins(domain=f"{tenant.slug}.example.com", admin=options)
        self.stdout.write(
            self.style.SUCCESS(f"Demo ready to serve in {time.perf_counter() - begun:.1f} s.")
        )
        for line in logins:
            self.stdout.write(line)

    def _prepare(self, mode: str, *, supersede: bool) -> None:
        from demo.preparation import demo_prepare_start

        if mode == "never":
            return
        try:
            job, queued = demo_prepare_start(force=mode == "always", supersede_unfinished=supersede)
        except DomainError as exc:  # the broker is down: serve anyway, say so
            self.stdout.write(self.style.WARNING(f"  demo preparation not queued: {exc.message}"))
            return
        state = "queued" if queued else f"already {job.status} today"
        self.stdout.write(f"  demo preparation job {job.pk} {state}")

    def _logins(self, *, domain: str, admin: dict) -> list[str]:
        """``LOGIN role e-mail password`` per demo user that exists, with the password from the
        environment (the one the user was created with; a password changed since is not
        checked here: hashing three of them would cost a second of start-up)."""
        from accounts.models import User

        demo_password = os.environ.get("DEMO_PASSWORD") or _seed_default_password()
        logins = (
            (User.Role.ADMIN, admin["admin_email"].lower(), _admin_password()),
            (User.Role.PLANNER, f"planner@{domain}", demo_password),
            (User.Role.VIEWER, f"viewer@{domain}", demo_password),
        )
        present = set(
            User.objects.filter(username__in=[e for _, e, _ in logins]).values_list(
                "username", flat=True
            )
        )
        return [
            f"LOGIN {role:<8} {email} {password}"
            for role, email, password in logins
            if email in present
        ]


def _admin_password() -> str:
    return os.environ.get("TENANT_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD


def _seed_default_password() -> str:
    from demo.management.commands.seed_demo import DEFAULT_DEMO_PASSWORD

    return DEFAULT_DEMO_PASSWORD
