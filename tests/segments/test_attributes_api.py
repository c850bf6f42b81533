"""Custom attributes through `POST /api/v1/members`: merged into the member's, returned, usable by segments, and
bad input a 400 `invalid_input` that writes nothing."""

import pytest

from loyalty.models import Segment
from members.models import Member
from members.segments import segment_members


def upsert(api, **body):
    return api.post("/api/v1/members", {"customer_id": "c-1", "email": "c1@example.com", **body}, format="json")


def test_attributes_are_stored_returned_and_merged(api, program):
    # given
    first = upsert(api, attributes={"plan": "pro", "age": 34, "newsletter": True})

    # when: a later upsert changes one, removes one with null and leaves the third
    second = upsert(api, attributes={"plan": "team", "newsletter": None})

    # then
    assert first.status_code == 201
    assert first.json()["attributes"] == {"plan": "pro", "age": 34, "newsletter": True}
    assert second.status_code == 200
    assert second.json()["attributes"] == {"plan": "team", "age": 34}
    assert Member.objects.get(customer_id="c-1").attributes == {"plan": "team", "age": 34}
    assert api.get("/api/v1/members/c-1").json()["attributes"] == {"plan": "team", "age": 34}


def test_an_upsert_without_attributes_keeps_them(api, program):
    upsert(api, attributes={"plan": "pro"})

    assert upsert(api, first_name="Ada").json()["attributes"] == {"plan": "pro"}


def test_segments_see_the_attributes(api, program):
    upsert(api, attributes={"plan": "pro"})
    upsert(api, customer_id="c-2", attributes={"plan": "free"})
    segment = Segment.objects.create(program=program, key="pro", name="Pro",
                                     conditions=[{"field": "attributes.plan", "operator": "eq", "value": "pro"}])  # fmt: skip

    assert list(segment_members(segment).values_list("customer_id", flat=True)) == ["c-1"]


@pytest.mark.parametrize(
    "attributes",
    [
        ["plan"],
        "plan=pro",
        {"bad name": 1},
        {"a__b": 1},
        {"": 1},
        {"x" * 65: 1},
        {"plan": {"nested": True}},
        {"plan": ["a"]},
        {"plan": "x" * 256},
        {"plan": "nul\x00"},
        {"n": 10**16},
        {f"k{i}": i for i in range(51)},
    ],
)
def test_bad_attributes_are_a_400_and_write_nothing(api, program, attributes):
    answer = upsert(api, attributes=attributes)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_input"
    assert "attributes" in answer.json()["error"]["fields"]
    assert not Member.objects.exists()


def test_more_than_100_attributes_per_member_is_refused_before_writing(api, program):
    upsert(api, attributes={f"a{i}": i for i in range(50)})
    upsert(api, attributes={f"b{i}": i for i in range(50)})

    answer = upsert(api, first_name="Changed", attributes={"c": 1})

    assert answer.status_code == 400
    member = Member.objects.get()
    assert len(member.attributes) == 100
    assert member.first_name == ""
