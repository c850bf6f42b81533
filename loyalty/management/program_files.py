"""Program files in and out, for the management commands (and any other interface code).

A whole program spans two apps: the loyalty app owns program, rules, tiers and keys, the rewards app
owns the catalog. Services only import downward, so the two are put together here, at the interface
level, in one transaction."""

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from loyalty.errors import ApplicationError
from loyalty.models import Program
from loyalty.program_file import program_file_parse
from loyalty.services.programs import ProgramCreated, program_create, program_export
from rewards.services.catalog import reward_catalog_create, reward_catalog_export


class ProgramFileUnreadable(ApplicationError):
    code = "unreadable_program_file"


def program_file_load(path: str) -> Any:
    """The JSON document at `path` (`-` reads standard input). Anything that is not one valid JSON
    document (no file, not UTF-8, a syntax error, a key written twice) is one clear line."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProgramFileUnreadable(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ProgramFileUnreadable(f"{path}: is a directory, not a program file") from None
    except UnicodeDecodeError:
        raise ProgramFileUnreadable(f"{path}: is not UTF-8 text") from None
    except OSError as exc:
        raise ProgramFileUnreadable(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise ProgramFileUnreadable(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise ProgramFileUnreadable(f"{path}: invalid JSON: {exc}") from None
    except RecursionError:
        raise ProgramFileUnreadable(f"{path}: invalid JSON: nested too deeply") from None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    # json.loads would silently keep the last of two equal keys: a typo we would never report.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} appears twice in one object")
        result[key] = value
    return result


def _no_constants(name: str):
    raise ValueError(f"{name} is not a number in JSON")


def program_file_create(document: Any) -> ProgramCreated:
    """Validate the whole document, then create everything in one transaction: all or nothing."""
    config = program_file_parse(document)
    with transaction.atomic():
        created = program_create(config=config)
        reward_catalog_create(program=created.program, rewards=config["rewards"])
    return created


def program_file_export(program: Program) -> dict:
    """The program file of `program`, in the canonical form `program_file_create` reads."""
    document = program_export(program=program)
    document["rewards"] = reward_catalog_export(program=program)
    return program_file_parse(document)


@dataclass(frozen=True)
class Credentials:
    slug: str
    public_key: str
    api_key: str
    digest_secret: str
    webhook_secret: str


def program_credentials(created: ProgramCreated) -> Credentials:
    program = created.program
    return Credentials(
        slug=program.slug,
        public_key=program.public_key,
        api_key=created.api_key,
        digest_secret=program.digest_secret,
        webhook_secret=program.webhook_secret,
    )
