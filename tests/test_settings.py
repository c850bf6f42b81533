"""The configuration contract: environment only, an embedded default that needs no server, a production
module that refuses to run insecurely. Each case loads settings in a fresh interpreter with its own env."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from members.jobs import JOB_NAMES

ROOT = Path(__file__).resolve().parent.parent
SERVER_ENV = ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "VAR_DIR")


def _clean_env(**overrides: str) -> dict[str, str]:
    # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for the live server; a production process never has it.
    dropped = {*SERVER_ENV, "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return {**env, **overrides}


def _settings_of(module: str, *names: str, **env: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}, default=str))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=_clean_env(DJANGO_SETTINGS_MODULE=module, **env),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_embedded_default_is_sqlite_in_wal_mode_and_a_filesystem_broker_under_var_dir(tmp_path):
    # given no server configured, state kept under a fresh VAR_DIR
    # when the development settings load
    loaded = _settings_of(
        "config.settings.local",
        "DATABASES",
        "CELERY_BROKER_URL",
        "CELERY_BROKER_TRANSPORT_OPTIONS",
        VAR_DIR=str(tmp_path),
    )
    # then the database is a SQLite file there, shared safely by web, worker and beat
    database = loaded["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "db.sqlite3")
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    # and the broker's folders exist there before any process writes to them
    assert loaded["CELERY_BROKER_URL"] == "filesystem://"
    options = loaded["CELERY_BROKER_TRANSPORT_OPTIONS"]
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        assert Path(options[key]).is_dir()
        assert Path(options[key]).is_relative_to(tmp_path)


def test_server_configuration_comes_from_the_environment(tmp_path):
    # given the production variables
    # when the production settings load
    loaded = _settings_of(
        "config.settings.production",
        "DATABASES",
        "CELERY_BROKER_URL",
        "CELERY_BROKER_TRANSPORT_OPTIONS",
        "DEBUG",
        "ALLOWED_HOSTS",
        "EMAIL_BACKEND",
        "CACHES",
        DATABASE_URL="postgres://loyal:pw@db.internal:5432/loyalty",
        CELERY_BROKER_URL="redis://cache.internal:6379/0",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="rewards.example.com,www.example.com",
        EMAIL_URL="smtp://mailer:pw@smtp.example.com:587",
        VAR_DIR=str(tmp_path),
    )
    # then every one of them is used, and nothing embedded is left over
    database = loaded["DATABASES"]["default"]
    assert database["ENGINE"] == "loyalty.db.postgresql"  # Django's, with a health check without a round trip
    assert (database["HOST"], database["NAME"], database["USER"]) == ("db.internal", "loyalty", "loyal")
    assert database["CONN_MAX_AGE"] == 60  # connections are kept between requests
    assert database["CONN_HEALTH_CHECKS"] is True
    assert loaded["CELERY_BROKER_URL"] == "redis://cache.internal:6379/0"
    assert loaded["CELERY_BROKER_TRANSPORT_OPTIONS"] is None
    assert loaded["DEBUG"] is False
    assert loaded["ALLOWED_HOSTS"] == ["rewards.example.com", "www.example.com"]
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert not (tmp_path / "celery-broker").exists()
    # and the cache of each process (no CACHE_URL) is the project's locmem, without memcached's key check
    assert loaded["CACHES"]["default"]["BACKEND"] == "loyalty.locmem.LocMemCache"


def test_production_refuses_to_start_without_a_secret_key():
    # given production settings and no SECRET_KEY
    # when they load
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=_clean_env(DJANGO_SETTINGS_MODULE="config.settings.production"),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    # then Django stops, naming the missing variable
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_passes_the_deployment_checklist(tmp_path):
    # given production settings with a strong secret
    # when Django's deployment checks run
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=_clean_env(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY="k" * 30 + "Q7!x" * 10,
            VAR_DIR=str(tmp_path),
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    # then nothing is flagged
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_scheduled_entry_runs_a_known_job():
    # given the beat schedule declared in settings
    schedule = settings.CELERY_BEAT_SCHEDULE
    # then it covers every job exactly once, through the job task
    assert sorted(schedule) == sorted(JOB_NAMES)
    for name, entry in schedule.items():
        assert entry["task"] == "members.tasks.run_job_task"
        assert entry["args"] == (name,)
