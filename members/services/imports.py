"""Importing members with balances and tiers from another loyalty app's CSV export.

Each row is validated on its own; a bad row is reported (row number, column, message) and skipped, the
others go in. A dry run validates every row the same way and writes nothing. Re-importing the same file is
idempotent: members are upserted by customer id, the opening balance is one ledger row whose idempotency key
is `import:<customer_id>:opening_balance` (the unique constraint makes a second post a no-op), and assigning
the tier a member already holds changes nothing. Big files run in a Celery task with progress on the job.

Columns: customer_id (required), email, first_name, last_name, birthday (YYYY-MM-DD), phone,
points (the opening balance, a whole number ≥ 0), tier (a tier key of the program).
"""

import csv
import io
import logging
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from loyalty.errors import ApplicationError
from loyalty.models import Program, Tier
from members.choices import TransactionKind, TransactionSource
from members.import_models import ImportJob, ImportJobStatus
from members.services.ledger import POINTS_LIMIT, member_lock, points_post, transaction_find
from members.services.members import member_upsert
from members.services.tiers import member_tier_assign

logger = logging.getLogger(__name__)

COLUMNS = ("customer_id", "email", "first_name", "last_name", "birthday", "phone", "points", "tier")
REQUIRED_COLUMNS = ("customer_id",)
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ERRORS_KEPT = 1000  # the report keeps the first errors; the count is exact
PROGRESS_EVERY = 200  # rows between progress updates of the job
BACKGROUND_ROWS = 500  # files with more rows than this are imported by the Celery worker
_LIMITS = {"customer_id": 255, "email": 254, "first_name": 150, "last_name": 150, "phone": 40}


@dataclass(frozen=True)
class ImportRow:
    number: int  # the line in the file (the header is line 1)
    customer_id: str
    profile: dict
    points: int
    tier_key: str | None


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


def opening_balance_key(customer_id: str) -> str:
    return f"import:{customer_id}:opening_balance"


def csv_header_errors(content: str) -> list[RowError]:
    """The whole file is refused when it has no header or lacks a required column."""
    header = next(csv.reader(io.StringIO(content)), None)
    if not header:
        return [RowError(1, "", "The file is empty: the first line must name the columns.")]
    names = {name.strip().lower() for name in header}
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    unknown = sorted(names - set(COLUMNS) - {""})
    errors = [RowError(1, name, f"Missing column {name!r}.") for name in missing]
    errors += [RowError(1, name, f"Unknown column {name!r}; the columns are {', '.join(COLUMNS)}.") for name in unknown]
    return errors


def csv_rows(content: str):
    """(line number, {column: value}) for each data row, column names normalised."""
    reader = csv.reader(io.StringIO(content))
    header = [name.strip().lower() for name in next(reader, [])]
    for number, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue  # blank lines are not rows
        yield number, {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)}


def import_row_parse(*, number: int, data: dict, tier_keys: set[str]) -> tuple[ImportRow | None, list[RowError]]:
    """One row checked against the program: a row to import, or the reasons it cannot be."""
    errors = []

    def error(field, message):
        errors.append(RowError(number, field, message))

    for field, limit in _LIMITS.items():
        if len(data.get(field, "")) > limit:
            error(field, f"Longer than {limit} characters.")
    customer_id = data.get("customer_id", "")
    if not customer_id:
        error("customer_id", "Required.")
    email = data.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            error("email", f"Not an email address: {email!r}.")
    birthday = None
    if data.get("birthday"):
        try:
            birthday = date.fromisoformat(data["birthday"])
        except ValueError:
            error("birthday", f"Not a date (YYYY-MM-DD): {data['birthday']!r}.")
    points = 0
    if data.get("points"):
        try:
            points = int(data["points"])
        except ValueError:
            error("points", f"Not a whole number: {data['points']!r}.")
        else:
            if not 0 <= points <= POINTS_LIMIT:
                error("points", f"Must be between 0 and {POINTS_LIMIT}.")
    tier_key = data.get("tier") or None
    if tier_key and tier_key not in tier_keys:
        error("tier", f"The program has no tier {tier_key!r}.")
    if errors:
        return None, errors
    profile = {name: data[name] for name in ("email", "first_name", "last_name", "phone") if data.get(name)}
    if birthday:
        profile["birthday"] = birthday
    return ImportRow(number, customer_id, profile, points, tier_key), []


def import_job_create(
    *, program: Program, content: str, filename: str = "", dry_run: bool, created_by=None
) -> ImportJob:
    """Record the upload; a file whose header is wrong fails at once with the reasons."""
    header_errors = csv_header_errors(content)
    rows_total = 0 if header_errors else sum(1 for _row in csv_rows(content))
    job = ImportJob.objects.create(
        program=program,
        content=content,
        filename=filename[:200],
        dry_run=dry_run,
        created_by=created_by,
        rows_total=rows_total,
        status=ImportJobStatus.FAILED if header_errors else ImportJobStatus.QUEUED,
        errors=[e.as_dict() for e in header_errors],
        finished_at=timezone.now() if header_errors else None,
    )
    logger.info(
        "member import created job_id=%s program=%s rows=%s dry_run=%s", job.pk, program.slug, rows_total, dry_run
    )
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """Validate (dry run) or import every row of the job, saving progress as it goes. Each row commits on its
    own, so a crash leaves the rows done done, and running the job again finishes the rest."""
    job = ImportJob.objects.select_related("program", "created_by").get(pk=job_id)
    if job.status not in (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING):
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.RUNNING)
    program = job.program
    tier_keys = set(Tier.objects.filter(program=program).values_list("key", flat=True))
    errors: list[RowError] = []
    failed = created = posted = done = 0
    seen: set[str] = set()
    try:
        for number, data in csv_rows(job.content):
            row, row_errors = import_row_parse(number=number, data=data, tier_keys=tier_keys)
            if row is not None and row.customer_id in seen:
                row, row_errors = (
                    None,
                    [RowError(number, "customer_id", f"{row.customer_id!r} is already in the file.")],
                )
            if row is not None:
                seen.add(row.customer_id)
                if not job.dry_run:
                    try:
                        was_created, points = import_row_apply(program=program, row=row, acting_user=job.created_by)
                    except ApplicationError as exc:
                        row_errors = [RowError(number, "", exc.message)]
                    else:
                        created += was_created
                        posted += points
            if row_errors:
                failed += 1
                errors.extend(row_errors)
            done += 1
            if done % PROGRESS_EVERY == 0:
                ImportJob.objects.filter(pk=job.pk).update(rows_done=done, rows_failed=failed)
    except Exception as exc:
        logger.exception("member import crashed job_id=%s rows_done=%s", job.pk, done)
        errors.append(RowError(0, "", f"The import stopped: {exc.__class__.__name__}."))
        status = ImportJobStatus.FAILED
    else:
        status = ImportJobStatus.SUCCEEDED
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        rows_done=done,
        rows_failed=failed,
        members_created=created,
        points_posted=posted,
        errors=[e.as_dict() for e in errors[:MAX_ERRORS_KEPT]],
        finished_at=timezone.now(),
    )
    logger.info(
        "member import finished job_id=%s status=%s rows=%s failed=%s created=%s points=%s dry_run=%s",
        job.pk, status, done, failed, created, posted, job.dry_run,
    )  # fmt: skip
    job.refresh_from_db()
    return job


def import_row_apply(*, program: Program, row: ImportRow, acting_user=None) -> tuple[bool, int]:
    """Upsert the member, post the opening balance once, put them in the tier. (created, points posted)."""
    with transaction.atomic():
        member, created = member_upsert(program=program, customer_id=row.customer_id, **row.profile)
        posted = 0
        key = opening_balance_key(row.customer_id)
        if row.points and transaction_find(program_id=program.pk, idempotency_key=key) is None:
            try:
                with transaction.atomic():
                    points_post(
                        member=member_lock(member.pk),
                        points=row.points,
                        kind=TransactionKind.ADJUST,
                        source=TransactionSource.ADJUSTMENT,
                        idempotency_key=key,
                        description="Opening balance (import)",
                        acting_user=acting_user,
                    )
                posted = row.points
            except IntegrityError:
                pass  # a concurrent import of the same row posted it first: the unique key decides
        if row.tier_key:
            member_tier_assign(member=member, tier_key=row.tier_key, acting_user=acting_user)
    return created, posted


def import_job_start(*, job: ImportJob) -> None:
    """Run a small file now; queue a big one for the worker (after the job row is committed)."""
    if job.status != ImportJobStatus.QUEUED:
        return
    if job.rows_total <= BACKGROUND_ROWS:
        import_job_run(job_id=job.pk)
        return
    from members.import_tasks import import_job_run_task

    transaction.on_commit(lambda: import_job_run_task.delay(job.pk))
