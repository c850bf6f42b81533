"""Health checks with short timeouts: the database answers a query, the broker accepts a connection."""

import logging

from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)


def database_check() -> None:
    timeout_ms = int(settings.HEALTH_CHECK_TIMEOUT * 1000)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL statement_timeout = %s", [timeout_ms])
        cursor.execute("SELECT 1")
        cursor.fetchone()


def broker_check() -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=settings.HEALTH_CHECK_TIMEOUT)


CHECKS = {"database": database_check, "broker": broker_check}


def health_report() -> dict[str, str]:
    """Each check's outcome: "ok", or "error" (the reason goes to the log, never to the anonymous caller)."""
    report = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:
            logger.warning("health check failed check=%s error=%s", name, exc.__class__.__name__)
            report[name] = "error"
        else:
            report[name] = "ok"
    return report
