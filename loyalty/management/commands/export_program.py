"""`manage.py export_program SLUG`: print a program's file; `create_program` reads it back."""

import json

from django.core.management.base import BaseCommand, CommandError

from loyalty.management.program_files import program_file_export
from loyalty.models import Program
from loyalty.program_file import ProgramFileInvalid


class Command(BaseCommand):
    help = "Print a program as a program file (JSON), ready for create_program."

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, *args, slug, **options):
        program = Program.objects.select_related("merchant").filter(slug=slug).first()
        if program is None:
            raise CommandError(f"no program with slug {slug!r}")
        try:
            document = program_file_export(program)
        except ProgramFileInvalid as exc:
            # Possible after edits in the admin that a program file would refuse (say a 0-point rule).
            for line in exc.problems:
                self.stderr.write(line)
            raise CommandError(
                f"program {slug!r} cannot be written as a valid program file (fix the lines above)"
            ) from None
        self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
