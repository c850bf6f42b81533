"""`/healthz` for load balancers and orchestrators, `/metrics` for Prometheus."""

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from loyalty.observability.health import health_report
from loyalty.observability.metrics import metrics_render


@never_cache
@require_GET
def healthz(request):
    checks = health_report()
    healthy = all(outcome == "ok" for outcome in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


@never_cache
@require_GET
def metrics(request):
    """Off unless `METRICS_TOKEN` is set; then only with `Authorization: Bearer <token>`."""
    token = settings.METRICS_TOKEN
    if not token:
        return JsonResponse({"error": {"code": "not_found", "message": "Not found."}}, status=404)
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(sent.encode(), token.encode()):
        return JsonResponse(
            {"error": {"code": "unauthorized", "message": "A valid metrics token is required."}},
            status=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return HttpResponse(metrics_render(), content_type="text/plain; version=0.0.4; charset=utf-8")
