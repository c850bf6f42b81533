"""A tiny in-process metrics registry rendered in the Prometheus text format (version 0.0.4).

Request counters live in the web process that served the request (each gunicorn worker counts its own;
Prometheus sums the scrapes). Job counters are read from `JobRun` at scrape time, so they count the runs of
every worker process and survive restarts."""

import threading
import time
from collections import defaultdict

from django.db.models import Count

_lock = threading.Lock()
_requests: dict[tuple[str, str, str], int] = defaultdict(int)
_seconds: dict[tuple[str, str, str], float] = defaultdict(float)


def request_observe(*, method: str, view: str, status: int, seconds: float) -> None:
    key = (method, view, f"{status // 100}xx")
    with _lock:
        _requests[key] += 1
        _seconds[key] += seconds


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{name}="{_escape(str(value))}"' for name, value in labels.items()) + "}"


def _request_lines() -> list[str]:
    with _lock:
        counts, seconds = dict(_requests), dict(_seconds)
    lines = [
        "# HELP loyalty_http_requests_total HTTP requests served by this process, by view and status class.",
        "# TYPE loyalty_http_requests_total counter",
    ]
    for (method, view, status), count in sorted(counts.items()):
        lines.append(f"loyalty_http_requests_total{_labels(method=method, view=view, status=status)} {count}")
    lines += [
        "# HELP loyalty_http_request_seconds_total Time spent serving those requests.",
        "# TYPE loyalty_http_request_seconds_total counter",
    ]
    for (method, view, status), total in sorted(seconds.items()):
        lines.append(
            f"loyalty_http_request_seconds_total{_labels(method=method, view=view, status=status)} {total:.6f}"
        )
    return lines


def _job_lines() -> list[str]:
    from members.job_models import JobRun

    rows = JobRun.objects.values("name", "status").annotate(runs=Count("id")).order_by("name", "status")
    lines = [
        "# HELP loyalty_job_runs_total Scheduled job runs recorded, by job and outcome (running, succeeded, failed).",
        "# TYPE loyalty_job_runs_total counter",
    ]
    lines += [f"loyalty_job_runs_total{_labels(job=row['name'], status=row['status'])} {row['runs']}" for row in rows]
    return lines


def metrics_render() -> str:
    return "\n".join([*_request_lines(), *_job_lines()]) + "\n"


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # The URL name, never the raw path: paths carry ids and would explode the label set.
        view = (match.view_name or match._func_path) if match else "unmatched"
        request_observe(
            method=request.method if request.method in _METHODS else "OTHER",
            view=view,
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
