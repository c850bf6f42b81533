"""`manage.py create_program --config FILE [--json]`: create merchant + program from a program file.

Everything is validated first and created in one transaction: on any problem nothing is written, every
problem is printed on its own line to stderr and the command exits non-zero."""

import json
from dataclasses import asdict

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from loyalty.management.program_files import (
    ProgramFileUnreadable,
    program_credentials,
    program_file_create,
    program_file_load,
)
from loyalty.program_file import ProgramFileInvalid


class Command(BaseCommand):
    help = "Create a merchant and its loyalty program from a program file (see program.example.json)."

    def add_arguments(self, parser):
        parser.add_argument("--config", required=True, metavar="FILE", help="the program file (JSON); - reads stdin")
        parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="print one JSON object with the slug, public key and secrets",
        )

    def handle(self, *args, config, as_json=False, **options):
        try:
            created = program_file_create(program_file_load(config))
        except ProgramFileUnreadable as exc:
            raise CommandError(exc.message) from None
        except ProgramFileInvalid as exc:
            for line in exc.problems:
                self.stderr.write(line)
            count = len(exc.problems)
            raise CommandError(
                f"{config}: {count} problem{'s' if count != 1 else ''} (listed above); nothing was created"
            ) from None
        credentials = program_credentials(created)
        if as_json:
            self.stdout.write(json.dumps(asdict(credentials)))
            return
        program = created.program
        self.stdout.write(
            self.style.SUCCESS(f"Created program {program.name!r} (slug {program.slug}) for {program.merchant.name}.")
        )
        self.stdout.write(
            "\n".join(
                [
                    "Keep these now: the API key is shown only once.",
                    f"  server API key:  {credentials.api_key}",
                    f"  public key:      {credentials.public_key}",
                    f"  digest secret:   {credentials.digest_secret}",
                    f"  webhook secret:  {credentials.webhook_secret}",
                    f"Member portal: {settings.SITE_URL}/p/{program.slug}/",
                ]
            )
        )
