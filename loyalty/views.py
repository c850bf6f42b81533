"""Pages of the site itself rather than of one program: the home page that explains the product."""

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


def home(request):
    demo = Program.objects.filter(slug=DEMO_SLUG).only("name", "slug", "shop_url").first()
    portal_url = f"/p/{demo.slug}/" if demo else None
    shop_url = (demo.shop_url or DEMO_SHOP_PATH) if demo else None
    context = {
        "demo": demo,
        "portal_url": portal_url if portal_url and _served(portal_url) else None,
        "shop_url": shop_url if shop_url and (shop_url != DEMO_SHOP_PATH or _served(shop_url)) else None,
    }
    return render(request, "home.html", context)
