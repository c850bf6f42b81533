"""`manage.py load_demo`: load the demo program (demo/program.json) with members and history, once.

Idempotent: when the demo's slug exists nothing is changed. On a development machine (DEBUG) with no
superuser yet it also creates the login admin / admin. The demo's credentials go to
var/demo-credentials.json (readable by the owner only)."""

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from loyalty.errors import ApplicationError
from loyalty.management.demo import demo_history_create, widget_digest
from loyalty.management.program_files import (
    ProgramFileUnreadable,
    program_credentials,
    program_file_create,
    program_file_load,
)
from loyalty.models import Program
from loyalty.program_file import ProgramFileInvalid

DEMO_ADMIN = ("admin", "admin")


class Command(BaseCommand):
    help = "Load the demo program with a few members and their history (once), and a demo admin login."

    def add_arguments(self, parser):
        parser.add_argument(
            "--config", default=str(settings.BASE_DIR / "demo" / "program.json"), metavar="FILE", help="program file"
        )
        parser.add_argument(
            "--credentials-file",
            default=str(settings.VAR_DIR / "demo-credentials.json"),
            metavar="FILE",
            help="where to write the demo's API key and secrets",
        )

    def handle(self, *args, config, credentials_file, **options):
        admin_line = _demo_admin_ensure()
        try:
            document = program_file_load(config)
        except ProgramFileUnreadable as exc:
            raise CommandError(exc.message) from None
        slug = document.get("slug") if isinstance(document, dict) else None
        if slug and Program.objects.filter(slug=slug).exists():
            self.stdout.write(f"Demo program {slug!r} is already loaded; nothing changed.")
            if Path(credentials_file).exists():
                self.stdout.write(f"Its credentials are in {credentials_file}.")
            self.stdout.write(admin_line)
            return
        try:
            with transaction.atomic():
                created = program_file_create(document)
                members = demo_history_create(program=created.program)
                credentials = _credentials(created, members)
                # Written inside the transaction: if the file cannot be written, nothing is loaded and a
                # rerun tries again (the API key could never be shown again otherwise).
                _write_private(Path(credentials_file), json.dumps(credentials, indent=2, ensure_ascii=False) + "\n")
        except ProgramFileInvalid as exc:
            for line in exc.problems:
                self.stderr.write(line)
            raise CommandError(f"{config}: the demo program file is invalid; nothing was loaded") from None
        except ApplicationError as exc:
            raise CommandError(
                f"the demo history could not be played ({exc.code}: {exc.message}); nothing was loaded"
            ) from None
        except OSError as exc:
            raise CommandError(f"{credentials_file}: cannot be written ({exc.strerror}); nothing was loaded") from None
        program = created.program
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded demo program {program.name!r} (slug {program.slug}) with {len(members)} members."
            )
        )
        self.stdout.write(f"Portal: {credentials['portal_url']}")
        self.stdout.write(f"API key, public key, secrets and widget digests: {credentials_file}")
        self.stdout.write(admin_line)


def _credentials(created, members) -> dict:
    program = created.program
    return {
        **asdict(program_credentials(created)),
        "portal_url": f"{settings.SITE_URL}/p/{program.slug}/",
        "admin_url": f"{settings.SITE_URL}/admin/",
        "widget_customers": {
            member.customer_id: widget_digest(program=program, customer_id=member.customer_id) for member in members
        },
    }


def _demo_admin_ensure() -> str:
    """admin / admin, only for a development machine that has no superuser yet."""
    users = get_user_model().objects
    if users.filter(is_superuser=True).exists():
        return "Admin: log in at /admin/ with your existing superuser."
    if not settings.DEBUG:
        return "Admin: no superuser exists; create one with `python manage.py createsuperuser` (DEBUG is off)."
    username, password = DEMO_ADMIN
    if users.filter(username=username).exists():
        return (
            f"Admin: user {username!r} exists but is no superuser; create one with `python manage.py createsuperuser`."
        )
    users.create_superuser(username=username, email="admin@example.com", password=password)
    return (
        f"Admin: created the demo superuser {username!r} with password {password!r} (DEBUG is on; never in production)."
    )


def _write_private(path: Path, text: str) -> None:
    """Write atomically, readable by the owner only: the file holds live secrets."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".demo-credentials-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
