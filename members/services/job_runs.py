"""The job-run record: every scheduled job runs inside `job_run_record`, which writes a `JobRun` row when
it starts, adds each committed chunk's rows to it (`job_progress`), and closes it as succeeded or failed.
The row is written outside the job's transactions, so a crash leaves a failed run that says how far it got."""

import logging
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from members.job_models import JobRun, JobRunStatus

logger = logging.getLogger(__name__)

_current_run: ContextVar[int | None] = ContextVar("current_job_run", default=None)


def job_run_record(*, name: str, as_of: datetime, job: Callable[[datetime], int]) -> int:
    """Run `job(as_of)` and record it. Returns the job's rows touched; re-raises its error after recording it."""
    run = JobRun.objects.create(name=name, as_of=as_of)
    token = _current_run.set(run.pk)
    try:
        rows = job(as_of)
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRunStatus.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        logger.exception("job failed name=%s as_of=%s run=%s", name, as_of.isoformat(), run.pk)
        raise
    finally:
        _current_run.reset(token)
    JobRun.objects.filter(pk=run.pk).update(status=JobRunStatus.SUCCEEDED, finished_at=timezone.now(), rows=rows)
    logger.info("job finished name=%s as_of=%s rows=%s run=%s", name, as_of.isoformat(), rows, run.pk)
    return rows


def job_progress(*, rows: int) -> None:
    """Called by a job after each committed chunk: the running record shows the progress."""
    run_id = _current_run.get()
    if run_id is not None:
        JobRun.objects.filter(pk=run_id).update(rows=F("rows") + rows, chunks=F("chunks") + 1)
