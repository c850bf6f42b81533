"""Every page renders: for a member with no history, a huge history and in every tier."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from members.services.tiers import member_tier_assign
from tests.factories.portal import member_credit, portal_member, signed_in

MEMBER_PAGES = ["dashboard", "history", "rewards", "referral", "profile", "card"]


def _get(client, name, program, **kwargs):
    return client.get(reverse(f"portal:{name}", kwargs={"slug": program.slug, **kwargs}))


def test_landing_page_shows_the_program_to_a_stranger(client, shop):
    # when
    response = _get(client, "landing", shop)
    # then
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("Ways to earn", "Ways to spend", "Tiers and perks", "Join now", "Birthday gift", "$5 off", "Terms"):
        assert text in page
    assert "On your birthday: 200 Stars" in page
    assert 'dir="ltr"' in page


@pytest.mark.parametrize("page", MEMBER_PAGES)
def test_member_pages_send_strangers_to_sign_in(client, shop, page):
    # when
    response = _get(client, page, shop)
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:sign-in", kwargs={"slug": shop.slug})


@pytest.mark.parametrize("page", MEMBER_PAGES)
def test_every_page_renders_for_a_member_with_no_history(client, shop, page):
    # given
    newcomer = portal_member(shop)
    signed_in(client, newcomer)
    # when
    response = _get(client, page, shop)
    # then
    assert response.status_code == 200


def test_dashboard_shows_balance_tier_progress_and_next_expiry(client, shop):
    # given: sign-up 50 + two orders of 300 = 650 Stars earned this year: Silver
    member = portal_member(shop, orders=2, subtotal="300.00")
    signed_in(client, member)
    # when
    page = _get(client, "dashboard", shop).content.decode()
    # then
    assert "650 Stars" in page
    assert '<span class="badge" data-testid="tier">Silver</span>' in page
    assert "Earn 1,350 more Stars to reach Gold." in page
    assert 'aria-valuenow="32"' in page
    assert f"Your tier is yours until Dec. 31, {timezone.now().year}." in page
    assert "50 Stars expire on" in page  # the sign-up lot, the oldest


def test_history_says_what_happened_in_plain_words(client, shop, member):
    # given
    signed_in(client, member)
    # when
    page = _get(client, "history", shop).content.decode()
    # then
    assert f"Earned 49 Stars for order #{member.customer_id}-1001" in page
    assert "Earned 50 Stars: Welcome" in page


def test_history_pages_through_a_huge_history_newest_first(client, shop):
    # given: 60 orders, the sign-up bonus
    busy = portal_member(shop, orders=60, subtotal="1.00")
    signed_in(client, busy)
    # when
    first = _get(client, "history", shop).content.decode()
    older_link = re.search(r'href="(\?before=\d+)"', first).group(1)
    second = client.get(reverse("portal:history", kwargs={"slug": shop.slug}) + older_link).content.decode()
    third_link = re.search(r'href="(\?before=\d+)"', second).group(1)
    third = client.get(reverse("portal:history", kwargs={"slug": shop.slug}) + third_link).content.decode()
    # then
    assert [page.count("<time datetime=") for page in (first, second, third)] == [25, 25, 11]
    assert f"order #{busy.customer_id}-1059" in first
    assert f"order #{busy.customer_id}-1034" in second
    assert "Earned 50 Stars: Welcome" in third
    assert "?before=" not in third


@pytest.mark.parametrize("tier_key", ["bronze", "silver", "gold"])
def test_every_page_renders_in_every_tier(client, shop, tier_key):
    # given
    member = portal_member(shop)
    member_tier_assign(member=member, tier_key=tier_key)
    signed_in(client, member)
    # when
    responses = {page: _get(client, page, shop) for page in MEMBER_PAGES}
    # then
    assert {page: r.status_code for page, r in responses.items()} == dict.fromkeys(MEMBER_PAGES, 200)
    assert shop.tiers.get(key=tier_key).name in responses["dashboard"].content.decode()


def test_top_tier_dashboard_says_so(client, shop):
    # given
    member = portal_member(shop)
    member_credit(member, 10)
    member_tier_assign(member=member, tier_key="gold")
    signed_in(client, member)
    # when
    page = _get(client, "dashboard", shop).content.decode()
    # then
    assert "You are in the top tier" in page
