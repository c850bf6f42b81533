"""Content-Security-Policy on every HTML answer. The portal, the widget demo and the referral pages load
scripts only from this origin; the admin has one inline preview script and the API docs load Swagger UI
from its CDN, so those two get the looser policies they need and nothing more."""

from django.conf import settings

_BASE = {
    "default-src": "'self'",
    "script-src": "'self'",
    # The widget styles its Shadow DOM with <style> elements and the pages use a few style attributes.
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
_ADMIN = {**_BASE, "script-src": "'self' 'unsafe-inline'"}
_API_DOCS = {
    **_BASE,
    "script-src": "'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "style-src": "'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "img-src": "'self' data: https://cdn.jsdelivr.net",
    "worker-src": "'self' blob:",
}


def _render(policy: dict[str, str]) -> str:
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


POLICIES = {"base": _render(_BASE), "admin": _render(_ADMIN), "api_docs": _render(_API_DOCS)}


def policy_for(path: str) -> str:
    if path.startswith("/admin/"):
        return POLICIES["admin"]
    if path.startswith(("/api/docs/", "/api/redoc/")):
        return POLICIES["api_docs"]
    return POLICIES["base"]


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html") and self.header not in response:
            response[self.header] = policy_for(request.path)
        return response
