"""`/demo/shop/`: a pretend shop that embeds the widget exactly as a merchant would, with the digest computed
on the server. Only for the programs listed in `DEMO_SHOP_PROGRAM_SLUGS` (default: the demo program): the page
signs in any customer id it is given, which is what a demo is for and what a real shop must never do."""

from decimal import Decimal

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from loyalty.api.fields import storable_text
from loyalty.models import Program
from members.models import Member
from storefront.shoppers import customer_digest

PRODUCTS = [
    ("Ethiopia Yirgacheffe, 250 g", Decimal("14.50"), "☕"),
    ("House espresso blend, 1 kg", Decimal("49.99"), "🫘"),
    ("Sencha green tea, 100 g", Decimal("9.90"), "🍵"),
    ("Pour-over starter kit", Decimal("64.00"), "🫖"),
]


@require_GET
def demo_shop(request):
    slug = request.GET.get("program") or settings.DEMO_SHOP_PROGRAM_SLUGS[0]
    if slug not in settings.DEMO_SHOP_PROGRAM_SLUGS:
        raise Http404("Not a demo program.")
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        raise Http404("The demo program is not loaded (`make run` loads it).")
    customer_id = request.GET.get("customer", "")
    if customer_id and not storable_text(customer_id):
        customer_id = ""
    shoppers = Member.objects.filter(program=program).order_by("id").values_list("customer_id", "first_name")[:5]
    return render(
        request,
        "demo/shop.html",
        {
            "program": program,
            "customer_id": customer_id,
            "digest": customer_digest(program=program, customer_id=customer_id) if customer_id else "",
            "products": PRODUCTS,
            "shoppers": list(shoppers),
        },
    )
