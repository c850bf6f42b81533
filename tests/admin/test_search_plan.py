"""The member search by name is served by the name-prefix indexes on PostgreSQL (members migration 0006:
`UPPER(first_name::text) text_pattern_ops`): the query Django builds for `istartswith` must match their expression,
or a million members are scanned. Checked on PostgreSQL's plan for a rare prefix among a few thousand members."""

import pytest
from django.contrib import admin
from django.db import connection

from members.models import Member
from tests.admin.conftest import member_of
from tests.conftest import postgres_only
from tests.factories import ProgramFactory

pytestmark = postgres_only


def _plan(program, term: str) -> str:
    queryset, _distinct = admin.site._registry[Member].get_search_results(
        None, Member.objects.filter(program=program), term
    )
    return queryset.order_by("-pk")[:100].explain()


@pytest.mark.parametrize(
    ("term", "probes"),
    [
        ("Zed", all),  # first or last name: both indexes, OR-ed bitmaps
        ("zed lov", any),  # first and last name: one index probe, the other condition filters
    ],
)
def test_a_rare_name_prefix_is_found_through_the_prefix_indexes(db, term, probes):
    # given a program of 3,000 members, one of them Zed Lovelace, with fresh planner statistics
    program = ProgramFactory()
    Member.objects.bulk_create(
        Member(program=program, customer_id=f"c{n}", email=f"c{n}@example.com", first_name="Ana", last_name="Ng",
               referral_code=f"S{program.pk}X{n}")
        for n in range(3000)
    )  # fmt: skip
    member_of(program, "zed", first_name="Zed", last_name="Lovelace")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_member")
    # when the admin searches the prefix
    plan = _plan(program, term)
    # then PostgreSQL probes the prefix index(es) instead of walking the program's members
    assert probes(f"members_member_{name}_prefix" in plan for name in ("first_name", "last_name")), plan


def test_the_search_finds_names_by_their_start_whatever_the_case(db):
    # given Sara Lovelace and Omar Sarkis
    program = ProgramFactory()
    member_of(program, "c1", first_name="Sara", last_name="Lovelace")
    member_of(program, "c2", first_name="Omar", last_name="Sarkis")
    member_admin = admin.site._registry[Member]
    # when searching "sar", and "SARA LOV"
    anywhere, _ = member_admin.get_search_results(None, Member.objects.filter(program=program), "sar")
    both, _ = member_admin.get_search_results(None, Member.objects.filter(program=program), "SARA LOV")
    # then the first finds both (first or last name), the second only Sara
    assert sorted(anywhere.values_list("customer_id", flat=True)) == ["c1", "c2"]
    assert list(both.values_list("customer_id", flat=True)) == ["c1"]
