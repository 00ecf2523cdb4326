"""A throw-away database for benchmarks: created from DATABASE_URL's server, migrated, dropped."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/demandplan"


def _admin(base_url: str):
    import psycopg

    return psycopg.connect(base_url.rsplit("/", 1)[0] + "/postgres", autocommit=True)


@contextmanager
def bench_database(suffix: str, *, keep: bool = False):
    """Point Django at ``<name>_<suffix>`` (fresh), set it up, yield, drop it."""
    from config.env import database_from_url

    base_url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    name = f"{database_from_url(base_url)['NAME']}_{suffix}"
    with _admin(base_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = base_url.rsplit("/", 1)[0] + "/" + name
    import django

    django.setup()
    try:
        yield name
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            with _admin(base_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate_platform() -> None:
    from django.core.management import call_command

    from tenants.services import platform_ensure

    call_command("migrate_schemas", "--shared", verbosity=0)
    platform_ensure(domain="bench.localhost")
