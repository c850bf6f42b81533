"""The portal's donation pages: list, confirm, give (CSRF, nonce), refusals, tenancy, languages, query counts."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from donations.models import Donation
from members.models import Member
from tests.factories.donations import cause
from tests.factories.portal import member_credit, portal_member, portal_program, signed_in


@pytest.fixture
def shop(db):
    return portal_program(point_value=Decimal("0.01"))


@pytest.fixture
def member(shop):
    member = portal_member(shop)
    member_credit(member, 1000)
    return Member.objects.select_related("program", "tier").get(pk=member.pk)


def _causes_url(program) -> str:
    return reverse("donations:causes", kwargs={"slug": program.slug})


def _donate_url(program, water) -> str:
    return reverse("donations:donate", kwargs={"slug": program.slug, "cause_id": water.pk})


def _confirm(client, program, water, points) -> tuple:
    response = client.get(_donate_url(program, water), {"points": points})
    nonce = re.search(r'name="nonce" value="([0-9a-f]+)"', response.content.decode())
    return response, nonce.group(1) if nonce else ""


def test_causes_are_listed_with_what_they_raised(client, shop, member):
    # given
    cause(shop, name="Clean water", goal_points=1000)
    cause(shop, name="Hidden", active=False)
    signed_in(client, member)
    # when
    response = client.get(_causes_url(shop))
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "Clean water" in page and "Hidden" not in page
    assert "0 of 1,000 Stars given" in page


def test_confirm_then_give(client, shop, member, assert_ledger_clean):
    # given
    water = cause(shop, name="Clean water")
    signed_in(client, member)
    # when
    confirm, nonce = _confirm(client, shop, water, 250)
    given = client.post(_donate_url(shop, water), {"points": "250", "nonce": nonce}, follow=True)
    again = client.post(_donate_url(shop, water), {"points": "250", "nonce": nonce}, follow=True)
    # then
    assert "Give 250 Stars to Clean water?" in confirm.content.decode()
    assert "That is worth 2.50 USD." in confirm.content.decode()
    assert "Thank you! You gave 250 Stars to Clean water." in given.content.decode()
    assert again.status_code == 200
    assert Donation.objects.get().points == 250  # the double submit is one donation
    assert Member.objects.get(pk=member.pk).points_balance == member.points_balance - 250
    assert "250 Stars given so far" in client.get(_causes_url(shop)).content.decode()
    assert_ledger_clean()


def test_more_than_the_balance_is_refused_with_nothing_written(client, shop, member):
    # given
    water = cause(shop)
    signed_in(client, member)
    # when asking to confirm, then posting anyway
    confirm = client.get(_donate_url(shop, water), {"points": 5000}, follow=True)
    posted = client.post(_donate_url(shop, water), {"points": "5000", "nonce": "a" * 32}, follow=True)
    # then
    assert "You don&#x27;t have that many points to give." in confirm.content.decode()
    assert "You don&#x27;t have that many points to give." in posted.content.decode()
    assert Donation.objects.count() == 0
    assert Member.objects.get(pk=member.pk).points_balance == member.points_balance


@pytest.mark.parametrize("points", ["", "abc", "-1", "0", "3", "1.5", "9" * 40, "\x00", "²"])
def test_bad_amounts_are_refused(client, shop, member, points):
    water = cause(shop, min_points=5)
    signed_in(client, member)
    shown = client.get(_donate_url(shop, water), {"points": points}, follow=True)
    posted = client.post(_donate_url(shop, water), {"points": points, "nonce": "b" * 32}, follow=True)
    assert shown.status_code == posted.status_code == 200
    assert "Please choose an amount this cause accepts." in posted.content.decode()
    assert Donation.objects.count() == 0


def test_a_post_without_the_forms_nonce_gives_nothing(client, shop, member):
    water = cause(shop)
    signed_in(client, member)
    client.post(_donate_url(shop, water), {"points": "10", "nonce": "not-hex"}, follow=True)
    assert Donation.objects.count() == 0


def test_csrf_is_required(shop, member):
    # given a client that enforces CSRF
    client = Client(enforce_csrf_checks=True)
    water = cause(shop)
    signed_in(client, member)
    # when
    response = client.post(_donate_url(shop, water), {"points": "10", "nonce": "c" * 32})
    # then
    assert response.status_code == 403
    assert Donation.objects.count() == 0


def test_strangers_are_sent_to_sign_in(client, shop):
    water = cause(shop)
    response = client.get(_donate_url(shop, water), {"points": 10})
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_another_programs_cause_is_404(client, shop, member):
    # given a cause of another program
    elsewhere = cause(portal_program())
    signed_in(client, member)
    # when
    shown = client.get(_donate_url(shop, elsewhere), {"points": 10})
    posted = client.post(_donate_url(shop, elsewhere), {"points": "10", "nonce": "d" * 32})
    # then
    assert shown.status_code == posted.status_code == 404
    assert Donation.objects.count() == 0


def test_another_programs_causes_are_not_listed(client, shop, member):
    cause(portal_program(), name="Elsewhere")
    signed_in(client, member)
    assert "Elsewhere" not in client.get(_causes_url(shop)).content.decode()


@pytest.mark.parametrize(
    ("lang", "title", "amount"),
    [("en", "Give your points", "250 Stars"), ("ar", "تبرّع بنقاطك", "٢٥٠ Stars"), ("fa", "امتیازهایتان را اهدا کنید", "۲۵۰ Stars")],
)  # fmt: skip
def test_pages_in_each_language(client, db, lang, title, amount):
    # given
    shop = portal_program(locale=lang)
    member = portal_member(shop)
    member_credit(member, 1000)
    water = cause(shop, name="Water")
    signed_in(client, member)
    # when
    listed = client.get(_causes_url(shop))
    confirm, _nonce = _confirm(client, shop, water, 250)
    # then
    for response in (listed, confirm):
        page = response.content.decode()
        assert response["Content-Language"] == lang
        assert f'dir="{"ltr" if lang == "en" else "rtl"}"' in page
    assert title in listed.content.decode()
    assert amount in confirm.content.decode()


@pytest.mark.parametrize("causes", [1, 12])
def test_query_counts_are_fixed(client, shop, member, causes, django_assert_num_queries):
    # given
    water, *_others = [cause(shop) for _ in range(causes)]
    signed_in(client, member)
    # when / then: session, member + program + tier, causes with their totals
    with django_assert_num_queries(3):
        assert client.get(_causes_url(shop)).status_code == 200
    # session, member + program + tier, the cause
    with django_assert_num_queries(3):
        assert client.get(_donate_url(shop, water), {"points": 10}).status_code == 200


def test_history_says_what_was_given(client, shop, member):
    # given
    from donations.services.donate import points_donate

    points_donate(member=member, cause=cause(shop, name="Clean water"), points=40, idempotency_key="k-1")
    signed_in(client, member)
    # when
    page = client.get(reverse("portal:history", kwargs={"slug": shop.slug})).content.decode()
    # then
    assert "Gave 40 Stars to Clean water" in page
