"""`manage.py analytics_rebuild [--program SLUG]`: recompute the dashboard's rollups from the first row, for
every program or one (after deleting members, a data fix, or a change to what a report counts)."""

from django.core.management.base import BaseCommand, CommandError

from analytics.services.rollups import rollups_rebuild
from loyalty.models import Program


class Command(BaseCommand):
    help = "Recompute the analytics rollups from scratch (the refresh_analytics job only recomputes changed days)."

    def add_arguments(self, parser):
        parser.add_argument("--program", help="slug of the one program to rebuild (default: all)")

    def handle(self, *args, program, **options):
        programs = Program.objects.order_by("pk")
        if program:
            programs = programs.filter(slug=program)
            if not programs.exists():
                raise CommandError(f"no program with slug {program!r}")
        for one in programs:
            rows = rollups_rebuild(program=one)
            self.stdout.write(f"{one.slug}: {rows} rollup rows")
