"""Pages of the site itself rather than of one program: the home page that explains the product."""

from urllib.parse import urlsplit

from django.shortcuts import render
from django.urls import Resolver404, resolve

from loyalty.models import Program

DEMO_SLUG = "demo"
DEMO_SHOP_PATH = "/demo/shop/"


def _served(path: str) -> bool:
    """True when this site has a page at `path` (parts of the site may not be installed yet)."""
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _is_this_page(url: str, request) -> bool:
    """A local demo's program file may name this site's root as its shop (on whatever port it runs)."""
    parts = urlsplit(url)
    local = parts.netloc in ("", request.get_host()) or parts.hostname in ("127.0.0.1", "localhost")
    return local and parts.path in ("", "/")


def _demo_shop_url(demo: Program, request) -> str | None:
    """The shop named in the demo's program file, unless that is this very page; else the demo shop page."""
    if demo.shop_url and not _is_this_page(demo.shop_url, request):
        return demo.shop_url
    return DEMO_SHOP_PATH if _served(DEMO_SHOP_PATH) else None


def home(request):
    demo = Program.objects.filter(slug=DEMO_SLUG).only("name", "slug", "shop_url").first()
    portal_url = f"/p/{demo.slug}/" if demo else None
    context = {
        "demo": demo,
        "portal_url": portal_url if portal_url and _served(portal_url) else None,
        "shop_url": _demo_shop_url(demo, request) if demo else None,
    }
    return render(request, "home.html", context)
