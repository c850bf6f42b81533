"""Every portal page runs a fixed number of queries (at most 8), whatever the member's history."""

import pytest
from django.urls import reverse

from rewards.services.redemptions import reward_redeem
from tests.factories.portal import member_credit, portal_member, signed_in

# session, member + program + tier, then each page's own reads
PAGE_QUERIES = {
    "landing": 5,  # + rules, rewards, tiers
    "dashboard": 6,  # + tiers with the member's metric, next expiring lot, live membership, any cause to give to
    "history": 3,  # + one page of the ledger with its orders
    "rewards": 4,  # + catalog, codes
    "referral": 4,  # + referral counts, referred revenue
    "profile": 2,
    "card": 2,
}


@pytest.mark.parametrize(("page", "queries"), PAGE_QUERIES.items())
@pytest.mark.parametrize("orders", [0, 40])
def test_page_query_count_is_fixed(client, shop, page, queries, orders, django_assert_num_queries):
    # given
    member = portal_member(shop, orders=orders, subtotal="60.00")
    member_credit(member, 1000)
    for _ in range(3 if orders else 0):
        reward_redeem(member=member, reward=shop.rewards.get(key="five-off"))
    signed_in(client, member)
    url = reverse(f"portal:{page}", kwargs={"slug": shop.slug})
    # when / then
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    assert queries <= 8


def test_landing_page_for_a_stranger(client, shop, django_assert_num_queries):
    # when / then: program, rules, rewards, tiers (no session yet)
    with django_assert_num_queries(4):
        response = client.get(reverse("portal:landing", kwargs={"slug": shop.slug}))
    assert response.status_code == 200
