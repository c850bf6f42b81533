"""`manage.py seed_bench --members N [--program SLUG] [--as-of YYYY-MM-DD]`: a bench program with N members
and two years of history (orders, refunds, redemptions, expiring lots), generated inside PostgreSQL in
minutes (see members/bench_seed.py). For bench databases only: it refuses a program that already has members."""

import time
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from loyalty.models import Program
from members.bench_seed import SEED_TABLES, analyze, bench_program, bulk_load, seed_members


def _as_of(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError as error:
        raise CommandError(f"--as-of: {error}") from error


class Command(BaseCommand):
    help = "Fill a bench program with N members and realistic ledgers, generated server-side (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, required=True)
        parser.add_argument("--program", default="bench", help="slug; created with a bench configuration if new")
        parser.add_argument("--as-of", type=_as_of, help="the day the history ends (default: now)")
        parser.add_argument("--keep-indexes", action="store_true", help="insert with the indexes in place")

    def handle(self, *args, members, program, as_of, keep_indexes, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench needs PostgreSQL (DATABASE_URL=postgres://…)")
        if members < 1:
            raise CommandError("--members must be at least 1")
        as_of = as_of or timezone.now()
        found = Program.objects.filter(slug=program).first()
        if found is not None and found.members.exists():
            raise CommandError(f"program {program!r} already has members: seed_bench fills new programs only")
        target = found or bench_program(slug=program, as_of=as_of)
        started = time.perf_counter()
        log = self.stderr.write if options["verbosity"] > 1 else (lambda _message: None)
        if keep_indexes:
            counts = seed_members(target, members=members, as_of=as_of, log=log)
        else:
            with bulk_load(SEED_TABLES, log):
                counts = seed_members(target, members=members, as_of=as_of, log=log)
        analyze()
        rows = ", ".join(f"{count:,} {table}" for table, count in counts.items())
        self.stdout.write(f"program {target.slug}: {rows} in {time.perf_counter() - started:.1f} s")
