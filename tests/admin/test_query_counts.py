"""The member list and the member page cost a fixed number of queries, however many members or ledger
rows there are (pinned: a new per-row query fails these tests)."""

from django.urls import reverse

from loyalty.choices import StaffRole
from members.services.adjustments import points_adjust
from tests.admin.conftest import client_of, member_of, staff_user

# session, user, membership, the merchant's program ids, permissions; then the page's own queries.
MEMBER_LIST_QUERIES = 9
MEMBER_PAGE_QUERIES = 13


def test_member_list_queries_do_not_grow_with_members(shop_b, django_assert_num_queries):
    # given the support user's list with one member, then with thirty
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant, role=StaffRole.SUPPORT))
    url = reverse("admin:members_member_changelist")
    client.get(url)  # warm the content-type cache
    with django_assert_num_queries(MEMBER_LIST_QUERIES):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 1
    for i in range(29):
        member_of(program, customer_id=f"m{i}")
    # when the list is opened again
    # then it costs the same queries
    with django_assert_num_queries(MEMBER_LIST_QUERIES):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 30


def test_member_page_queries_do_not_grow_with_ledger_rows(shop_b, django_assert_num_queries):
    # given a member with one ledger row, then thirty
    merchant, _program, member = shop_b
    client = client_of(staff_user(merchant, role=StaffRole.MANAGER))
    url = reverse("admin:members_member_change", args=[member.pk])
    client.get(url)
    with django_assert_num_queries(MEMBER_PAGE_QUERIES):
        response = client.get(url)
    assert len(response.context["ledger"]) == 1
    for i in range(29):
        points_adjust(member=member, points=1, reason=f"goodwill {i}")
    # when the page is opened again
    # then it costs the same queries
    with django_assert_num_queries(MEMBER_PAGE_QUERIES):
        response = client.get(url)
    assert len(response.context["ledger"]) == 30
