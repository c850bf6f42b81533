"""`manage.py run_job NAME [--as-of ISO_DATETIME]`: run one scheduled job now, as if the clock read as-of."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from members.jobs import JOBS, JobNotImplemented, run_job


class Command(BaseCommand):
    help = "Run one scheduled job now. Names: " + ", ".join(JOBS)

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--as-of", dest="as_of", help="ISO datetime the job runs as of (default: now)")

    def handle(self, *args, name, as_of, **options):
        if name not in JOBS:
            raise CommandError(f"unknown job {name!r}; choose one of: {', '.join(JOBS)}")
        at = timezone.now()
        if as_of:
            try:
                at = datetime.fromisoformat(as_of)
            except ValueError:
                raise CommandError(f"--as-of {as_of!r} is not an ISO datetime") from None
            if timezone.is_naive(at):
                at = at.replace(tzinfo=UTC)
        try:
            touched = run_job(name, at)
        except JobNotImplemented as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{name} as of {at.isoformat()}: {touched} rows")
