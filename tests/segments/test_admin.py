"""The segment admin: conditions rejected with one clear line per problem, the live count preview, the streaming
CSV export, and another merchant's staff reaching none of it."""

import json

import pytest
from django.urls import reverse

from loyalty.choices import StaffRole
from loyalty.models import Segment
from tests.admin.conftest import client_of, staff_user
from tests.factories import TierFactory
from tests.segments.conftest import person


@pytest.fixture
def shop(data):
    owner = staff_user(data.program.merchant, StaffRole.OWNER, username="seg-owner")
    stranger = staff_user(data.other.merchant, StaffRole.OWNER, username="seg-stranger")
    return data, client_of(owner), client_of(stranger)


def preview(client, program, conditions, match="all"):
    body = {"program": program.pk, "match": match, "conditions": json.dumps(conditions)}
    return client.post(reverse("admin:loyalty_segment_preview"), body)


def test_preview_counts_the_unsaved_conditions(shop):
    data, owner, _ = shop

    answer = preview(owner, data.program, [{"field": "tier", "operator": "in", "value": ["gold"]}])

    assert answer.status_code == 200
    assert answer.json() == {"count": 2}


def test_preview_lists_every_problem(shop):
    data, owner, _ = shop
    conditions = [
        {"field": "tier", "operator": "in", "value": ["platinum"]},
        {"field": "balanse", "operator": "gte", "value": 1},
        {"field": "balance", "operator": "gte", "value": "lots"},
        {"field": "orders_in_last_days", "operator": "gte", "value": 1},
    ]

    answer = preview(owner, data.program, conditions)

    assert answer.status_code == 400
    assert answer.json()["errors"] == [
        "condition 1: tier: no tier with key 'platinum' in this program",
        "condition 2: unknown field 'balanse' (known: tier, balance, lifetime_spend, lifetime_points, "
        "orders_in_last_days, days_since_last_order, birthday_month, signup_date, referral_count, rfm_recency, "
        "rfm_frequency, rfm_monetary, rfm_score, attributes.<name>)",
        "condition 3: balance: 'lots' is not a whole number",
        "condition 4: days: None is not a whole number",
    ]


@pytest.mark.parametrize("raw", ["{", "[1, 2", '"text"', '{"field": "tier"}'])
def test_preview_of_malformed_json_is_a_400_with_a_message(shop, raw):
    data, owner, _ = shop

    answer = owner.post(reverse("admin:loyalty_segment_preview"), {"program": data.program.pk, "conditions": raw})

    assert answer.status_code == 400
    assert answer.json()["errors"]


def test_preview_of_another_merchants_program_counts_nothing(shop):
    data, _, stranger = shop

    answer = preview(stranger, data.program, [])

    assert answer.status_code == 400
    assert answer.json() == {"errors": ["Choose the program first."]}


def test_saving_bad_conditions_shows_the_problems_and_saves_nothing(shop):
    data, owner, _ = shop
    form = {"program": data.program.pk, "key": "vips", "name": "VIPs", "description": "", "match": "all",
            "conditions": json.dumps([{"field": "rfm_score", "operator": "gte", "value": 99}])}  # fmt: skip

    answer = owner.post(reverse("admin:loyalty_segment_add"), form)

    assert answer.status_code == 200
    assert "condition 1: rfm_score: 99 is outside 3..15" in answer.content.decode()
    assert not Segment.objects.filter(key="vips").exists()


def test_saving_good_conditions_stores_them_normalised(shop):
    data, owner, _ = shop
    form = {"program": data.program.pk, "key": "big", "name": "Big spenders", "description": "", "match": "any",
            "conditions": json.dumps([{"field": "lifetime_spend", "operator": "gte", "value": 250}])}  # fmt: skip

    answer = owner.post(reverse("admin:loyalty_segment_add"), form)

    assert answer.status_code == 302
    segment = Segment.objects.get(key="big")
    assert segment.conditions == [{"field": "lifetime_spend", "operator": "gte", "value": "250.00"}]
    page = owner.get(reverse("admin:loyalty_segment_change", args=[segment.pk]))
    assert page.status_code == 200
    assert reverse("admin:loyalty_segment_export", args=[segment.pk]) in page.content.decode()


def test_export_streams_the_segments_members_only(shop):
    data, owner, stranger = shop
    segment = data.segment({"field": "tier", "operator": "in", "value": ["gold"]})
    url = reverse("admin:loyalty_segment_export", args=[segment.pk])

    answer = owner.get(url)

    assert answer.status_code == 200
    lines = b"".join(answer.streaming_content).decode().splitlines()
    assert lines[0].startswith("customer_id,email,")
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["ann", "dan"]
    assert stranger.get(url).status_code == 404


def test_export_defuses_spreadsheet_formulas(shop):
    data, owner, _ = shop
    person(data.program, "=HYPERLINK(1)", attributes={"plan": "evil"})
    segment = data.segment({"field": "attributes.plan", "operator": "eq", "value": "evil"})

    lines = b"".join(owner.get(reverse("admin:loyalty_segment_export", args=[segment.pk])).streaming_content)

    assert b"'=HYPERLINK(1)" in lines


def test_another_merchants_staff_never_see_the_segment(shop):
    data, _, stranger = shop
    segment = data.segment()
    TierFactory(program=data.other, key="x")

    assert stranger.get(reverse("admin:loyalty_segment_change", args=[segment.pk])).status_code in (302, 404)
    assert segment.name not in stranger.get(reverse("admin:loyalty_segment_changelist")).content.decode()
