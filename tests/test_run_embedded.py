"""`make run`'s server half (bin/run-embedded) end to end: web, Celery worker and beat on SQLite and the
filesystem broker, a scheduled job fired by beat and run by the worker, and a clean stop on Ctrl-C."""

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
# How long to wait for each step at the most: starting Django and Celery three times over takes seconds on an idle
# machine, far longer on a loaded CI one. Waits return as soon as the step is done.
STEP_SECONDS = 180
TASK_DONE = re.compile(r"Task members\.tasks\.run_job_task\[[0-9a-f-]+\] succeeded")

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the embedded mode is SQLite; the SQLite run covers it"
)

# A schedule entry due every second, so beat sends it right away (the real entries run every 15 min or daily).
PROBE_ENTRY = """
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(
    name="probe", task="members.tasks.run_job_task", interval=every_second, args='["activate_pending_points"]'
)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(check, *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except OSError:
        return None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_web_worker_and_beat_run_a_scheduled_job_and_stop_on_ctrl_c(tmp_path):
    # given a fresh embedded install: its own SQLite file and broker folders, migrated
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", VAR_DIR=str(tmp_path))
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "shell", "-c", PROBE_ENTRY], env=env, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    log_path = tmp_path / "run.log"

    # when `make run` starts the three processes
    with log_path.open("w") as log:
        run = subprocess.Popen(
            ["bin/run-embedded", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # then the site answers
        assert _wait_for(lambda: _get(f"http://127.0.0.1:{port}/") == 200, seconds=STEP_SECONDS, what="the web server")
        # and beat sends the job through the filesystem broker to the worker, which runs it
        _wait_for(
            lambda: TASK_DONE.search(log_path.read_text()), seconds=STEP_SECONDS, what="the worker to run the job"
        )
        # and the schedule declared in settings is in the database, where the admin shows it
        with sqlite3.connect(tmp_path / "db.sqlite3") as db:
            names = {name for (name,) in db.execute("SELECT name FROM django_celery_beat_periodictask")}
        assert set(settings.CELERY_BEAT_SCHEDULE) <= names

        # when Ctrl-C reaches the terminal's process group
        os.killpg(run.pid, signal.SIGINT)
        # then all three stop
        run.wait(timeout=STEP_SECONDS)
        _wait_for(lambda: not _group_alive(run.pid), seconds=STEP_SECONDS, what="every process to exit")
    finally:
        if _group_alive(run.pid):
            os.killpg(run.pid, signal.SIGKILL)
    assert "Traceback" not in log_path.read_text()
