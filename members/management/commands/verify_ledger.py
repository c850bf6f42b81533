"""`manage.py verify_ledger [SLUG]`: check every cached balance against the ledger; exit 1 on a mismatch."""

import sys

from django.core.management.base import BaseCommand, CommandError

from loyalty.models import Program
from members.services.ledger import ledger_verify


class Command(BaseCommand):
    help = "Check every member's cached balance against the ledger rows."

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?")

    def handle(self, *args, slug=None, **options):
        program_id = None
        if slug:
            program = Program.objects.filter(slug=slug).first()
            if program is None:
                raise CommandError(f"no program with slug {slug!r}")
            program_id = program.pk
        mismatches = ledger_verify(program_id=program_id)
        for m in mismatches:
            self.stderr.write(
                f"member {m.member_id} ({m.customer_id}): {m.field} cached {m.cached}, ledger says {m.ledger}"
            )
        if mismatches:
            self.stderr.write(f"{len(mismatches)} mismatches")
            sys.exit(1)
        self.stdout.write("ledger OK")
