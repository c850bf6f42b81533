"""Production hardening: health, metrics, request ids in JSON logs, CSP, and `check --deploy`."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from django.utils import timezone

from config.celery import app as celery_app
from loyalty.observability.logs import JsonFormatter, RequestIdFilter
from members.job_models import JobRun, JobRunStatus
from tests.members.api.conftest import post

ROOT = Path(__file__).resolve().parents[2]
ORDER = {"order_id": "h-1", "customer_id": "c-1", "email": "c1@example.com", "subtotal": "10.00", "currency": "USD"}


def test_healthz_answers_ok_when_the_database_and_the_broker_answer(client, db):
    # given the test database and the embedded broker
    # when the health endpoint is probed
    response = client.get("/healthz")

    # then both checks pass
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_broker_is_down(client, db, monkeypatch, settings):
    # given a broker nobody listens on
    settings.HEALTH_CHECK_TIMEOUT = 0.5
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")

    # when the health endpoint is probed
    response = client.get("/healthz")

    # then it says which part failed, without details
    assert response.status_code == 503
    assert response.json() == {"status": "error", "checks": {"database": "ok", "broker": "error"}}


def test_metrics_is_off_without_a_token_and_refuses_a_wrong_one(client, db, settings):
    # given no metrics token
    settings.METRICS_TOKEN = ""
    # when metrics are asked for, then they do not exist
    assert client.get("/metrics").status_code == 404

    # given a token, when the wrong one is sent, then 401
    settings.METRICS_TOKEN = "s3cret"
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_metrics_counts_requests_by_view_and_status_class_and_job_runs(client, api, program, settings):
    # given a token, an order recorded, a refused request and two job runs
    settings.METRICS_TOKEN = "s3cret"
    before = _scrape(client)
    post(api, "/api/v1/orders", ORDER)
    post(api, "/api/v1/orders", {**ORDER, "currency": "??"})
    now = timezone.now()
    JobRun.objects.create(name="expire_points", as_of=now, status=JobRunStatus.SUCCEEDED)
    JobRun.objects.create(name="expire_points", as_of=now, status=JobRunStatus.FAILED)

    # when Prometheus scrapes
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret")

    # then the text format has the request counters (one more of each) and the job counters
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    after = _samples(response.content.decode())
    created = 'loyalty_http_requests_total{method="POST",view="order-record",status="2xx"}'
    refused = 'loyalty_http_requests_total{method="POST",view="order-record",status="4xx"}'
    assert after[created] == before.get(created, 0) + 1
    assert after[refused] == before.get(refused, 0) + 1
    assert after['loyalty_job_runs_total{job="expire_points",status="succeeded"}'] == 1
    assert after['loyalty_job_runs_total{job="expire_points",status="failed"}'] == 1
    assert "# TYPE loyalty_http_requests_total counter" in response.content.decode()


def test_every_answer_carries_a_request_id_and_keeps_a_sane_one_sent_by_the_proxy(client, db):
    # when a request comes without an id, with a sane one, and with a hostile one
    generated = client.get("/healthz")["X-Request-ID"]
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234.abc")["X-Request-ID"]
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]

    # then the generated one is a fresh hex id, the sane one is kept, the hostile one replaced
    assert len(generated) == 32
    assert kept == "lb-1234.abc"
    assert replaced != "bad id\nwith newline" and len(replaced) == 32


def test_log_lines_are_json_with_the_request_id(api, program):
    # given a JSON log handler like production's
    lines = []
    handler = _ListHandler(lines)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("members.services.orders")
    logger.addHandler(handler)
    try:
        # when an order is recorded
        response = post(api, "/api/v1/orders", ORDER, HTTP_X_REQUEST_ID="req-42")
    finally:
        logger.removeHandler(handler)

    # then its log line is one JSON object carrying the request id
    records = [json.loads(line) for line in lines]
    recorded = next(r for r in records if r["message"].startswith("order recorded"))
    assert recorded["request_id"] == "req-42" == response["X-Request-ID"]
    assert recorded["level"] == "INFO" and recorded["logger"] == "members.services.orders"
    assert "order_id=h-1" in recorded["message"]


def test_html_pages_get_a_content_security_policy_and_json_does_not(client, db):
    # when the home page, the admin login and the health endpoint are fetched
    home = client.get("/")
    admin = client.get("/admin/login/")
    health = client.get("/healthz")

    # then pages get a strict policy (the admin may run its inline script), JSON answers none
    policy = home["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "script-src 'self' 'unsafe-inline'" in admin["Content-Security-Policy"]
    assert "Content-Security-Policy" not in health


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    # given the production settings with the environment a deployment sets
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "k" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ALLOWED_HOSTS": "rewards.example.com",
        "LOG_FORMAT": "json",
    }

    # when Django's deployment checks run
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then there is nothing to report
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


class _ListHandler(logging.Handler):
    def __init__(self, lines: list):
        super().__init__()
        self.lines = lines

    def emit(self, record):
        self.lines.append(self.format(record))


def _scrape(client) -> dict[str, float]:
    return _samples(client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").content.decode())


def _samples(text: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
