from django.core.management.base import BaseCommand

from tenants.services import platform_ensure


class Command(BaseCommand):
    help = "Create the public tenant, its domain and the migrated template schema. Idempotent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--domain", help="Platform host (default PUBLIC_DOMAIN).")

    def handle(self, *args, **options):
        public = platform_ensure(domain=options.get("domain"))
        self.stdout.write(self.style.SUCCESS(f"Platform ready ({public.domains.first()})."))
