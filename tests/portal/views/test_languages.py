"""The portal speaks the program's language, switches on request, mirrors for RTL and writes numbers and dates
the locale's way."""

import pytest
from django.urls import reverse

from tests.factories.portal import portal_member, portal_program, signed_in


def _dashboard(client, program, query=""):
    return client.get(reverse("portal:dashboard", kwargs={"slug": program.slug}) + query)


@pytest.mark.parametrize(
    ("lang", "balance", "heading"),
    [("ar", "٦٥٠ Stars", "مستواك"), ("fa", "۶۵۰ Stars", "سطح شما"), ("en", "650 Stars", "Your tier")],
)
def test_dashboard_in_each_language(client, db, lang, balance, heading):
    # given: a program whose language is `lang`
    shop = portal_program(locale=lang)
    member = portal_member(shop, orders=2, subtotal="300.00")
    signed_in(client, member)
    # when
    response = _dashboard(client, shop)
    # then
    page = response.content.decode()
    assert response["Content-Language"] == lang
    assert f'<html lang="{lang}" dir="{"ltr" if lang == "en" else "rtl"}">' in page
    assert balance in page
    assert heading in page


def test_language_switcher_is_remembered_for_the_session(client, shop, member):
    # given
    signed_in(client, member)
    # when
    switched = _dashboard(client, shop, "?lang=fa")
    later = client.get(reverse("portal:history", kwargs={"slug": shop.slug}))
    # then
    assert 'dir="rtl"' in switched.content.decode()
    assert "تاریخچه" in later.content.decode()
    assert later["Content-Language"] == "fa"


def test_unknown_language_falls_back_to_the_programs(client, shop):
    # when
    response = client.get(reverse("portal:landing", kwargs={"slug": shop.slug}) + "?lang=xx")
    # then
    assert response["Content-Language"] == "en"


def test_history_in_arabic_has_arabic_digits_and_month_names(client, db):
    # given
    shop = portal_program(locale="ar")
    member = portal_member(shop, orders=1, subtotal="49.00")
    signed_in(client, member)
    # when
    page = client.get(reverse("portal:history", kwargs={"slug": shop.slug})).content.decode()
    # then: "Earned 49 Stars for order #…" in Arabic, with Arabic-Indic digits in the points
    assert "ربحت ٤٩ Stars عن الطلب رقم" in page
    assert any(
        month in page
        for month in (
            "يناير",
            "فبراير",
            "مارس",
            "أبريل",
            "مايو",
            "يونيو",
            "يوليو",
            "أغسطس",
            "سبتمبر",
            "أكتوبر",
            "نوفمبر",
            "ديسمبر",
        )
    )


def test_landing_page_in_persian(client, db):
    # given
    shop = portal_program(locale="fa")
    # when
    page = client.get(reverse("portal:landing", kwargs={"slug": shop.slug})).content.decode()
    # then
    assert "روش‌های کسب امتیاز" in page
    assert "در روز تولدتان: ۲۰۰ Stars" in page
