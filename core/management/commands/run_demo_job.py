from __future__ import annotations

import time

from tqdm import tqdm

from core import services
from core.management.base import TenantCommand
from core.models import Job


class Command(TenantCommand):
    help = "Start the demo job on the workers and follow its progress (proves the job loop)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--steps", type=int, default=5)
        parser.add_argument("--timeout", type=float, default=60.0)

    def handle_tenant(self, tenant, *args, **options):
        job = services.job_create(kind="demo", params={"steps": options["steps"]})
        deadline = time.monotonic() + options["timeout"]
        with tqdm(total=100, desc=f"demo job {job.id}", unit="%") as bar:
            while time.monotonic() < deadline:
                job.refresh_from_db()
                bar.update(job.progress - bar.n)
                if job.status in Job.FINISHED:
                    break
                time.sleep(0.2)
        self.stdout.write(f"status={job.status} result={job.result} error={job.error or '-'}")
        if job.status != Job.Status.SUCCEEDED:
            raise SystemExit(1)
