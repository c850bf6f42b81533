from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.choices import RuleType
from tests.factories import EarningRuleFactory, ProgramFactory, RewardFactory, TierFactory
from tests.storefront.conftest import widget_client

pytestmark = pytest.mark.django_db

# Program, live rules, the catalog (min tier joined), public tiers: the same however big each list is.
PROGRAM_QUERIES = 4


def _fill(program, n: int):
    for i in range(n):
        EarningRuleFactory(program=program, type=RuleType.CUSTOM_EVENT, event=f"e{i}", points=10)
        RewardFactory(program=program, points_cost=100 + i, min_tier=TierFactory(program=program, position=i))


def test_program_shows_branding_ways_to_earn_and_spend_and_public_tiers():
    # given
    program = ProgramFactory(
        points_name_singular="Star", points_name_plural="Stars", primary_color="#112233", locale="fa-IR"
    )
    EarningRuleFactory(program=program, key="welcome", type=RuleType.SIGNUP, points=100)
    EarningRuleFactory(program=program, key="over", type=RuleType.SIGNUP, ends_at=timezone.now() - timedelta(days=1))
    RewardFactory(program=program, key="five-off", points_cost=500)
    TierFactory(program=program, key="silver", threshold=Decimal("0"), perks=["Free shipping"])
    TierFactory(program=program, key="vip", invite_only=True, threshold=None)

    # when
    response = widget_client(program).get("/api/widget/v1/program")

    # then
    body = response.json()
    assert response.status_code == 200
    assert body["points_name"] == {"singular": "Star", "plural": "Stars"}
    assert body["branding"]["primary_color"] == "#112233"
    assert (body["language"], body["direction"]) == ("fa", "rtl")
    assert [r["key"] for r in body["earning"]["ways_to_earn"]] == ["welcome"]
    assert [r["key"] for r in body["ways_to_spend"]] == ["five-off"]
    assert [t["key"] for t in body["tiers"]] == ["silver"]
    assert body["tiers"][0]["perks"] == ["Free shipping"]
    assert "digest_secret" not in str(body) and program.digest_secret not in str(body)


def test_program_is_cacheable_with_an_etag(program):
    # given
    client = widget_client(program)
    first = client.get("/api/widget/v1/program")

    # when
    again = client.get("/api/widget/v1/program", HTTP_IF_NONE_MATCH=first["ETag"])

    # then
    assert first["Cache-Control"].startswith("public")
    assert again.status_code == 304
    assert again.content == b""


def test_the_etag_changes_when_the_program_does(program):
    # given
    client = widget_client(program)
    first = client.get("/api/widget/v1/program")
    RewardFactory(program=program)

    # when
    again = client.get("/api/widget/v1/program", HTTP_IF_NONE_MATCH=first["ETag"])

    # then
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]


def test_the_program_may_be_named_in_the_query_string(program):
    # when
    response = widget_client(ProgramFactory.build(public_key="")).get(
        f"/api/widget/v1/program?program={program.public_key}"
    )

    # then
    assert response.status_code == 200
    assert response.json()["name"] == program.name


@pytest.mark.parametrize("size", [1, 6])
def test_program_query_count_is_pinned(program, django_assert_num_queries, size):
    # given
    _fill(program, size)
    client = widget_client(program)

    # when / then
    with django_assert_num_queries(PROGRAM_QUERIES):
        assert client.get("/api/widget/v1/program").status_code == 200
