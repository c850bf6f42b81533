"""Thin Celery task: a member import (see `members.services.imports`)."""

from celery import shared_task

from members.services.imports import import_job_run


@shared_task(acks_late=True)
def import_job_run_task(job_id: int) -> int:
    return import_job_run(job_id=job_id).rows_done
