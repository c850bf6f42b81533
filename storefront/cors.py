"""CORS for the widget API, per program: an origin is allowed only if the program the request names lists it
in `Program.allowed_origins` (a program setting). django-cors-headers asks this through its signal."""

from corsheaders.signals import check_request_enabled
from django.dispatch import receiver

from storefront.shoppers import request_program


def origin_allowed(*, allowed_origins, origin: str) -> bool:
    origin = origin.rstrip("/").lower()
    return any(isinstance(o, str) and o.rstrip("/").lower() == origin for o in allowed_origins or [])


@receiver(check_request_enabled)
def program_origin_allowed(sender, request, **kwargs) -> bool:
    origin = request.headers.get("Origin")
    if not origin or not request.path.startswith("/api/widget/"):
        return False
    program = request_program(request)
    return program is not None and origin_allowed(allowed_origins=program.allowed_origins, origin=origin)
