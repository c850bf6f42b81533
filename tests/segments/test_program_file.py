"""Segments in the program file: the optional `segments` section and the `segment` key of rules and rewards,
validated one line per problem, created, and round-tripped by export_program."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from loyalty.models import EarningRule, Segment
from loyalty.program_file import ProgramFileInvalid, program_file_parse
from rewards.models import Reward
from tests.loyalty.program_file.documents import DEMO_PATH, example

GOLD_BUYERS = {
    "key": "gold-buyers",
    "name": "Gold buyers",
    "conditions": [
        {"field": "tier", "operator": "in", "value": ["gold"]},
        {"field": "orders_in_last_days", "days": 90, "operator": "gte", "value": 1},
    ],
}


def with_segments(document: dict) -> dict:
    document["segments"] = [GOLD_BUYERS, {"key": "pros", "name": "Pros", "match": "any", "description": "Paying",
                                          "conditions": [{"field": "attributes.plan", "operator": "eq", "value": "pro"}]}]  # fmt: skip
    document["earning"]["rules"][0]["segment"] = "gold-buyers"
    document["rewards"][0]["segment"] = "pros"
    return document


def problems(document: dict) -> list[str]:
    with pytest.raises(ProgramFileInvalid) as caught:
        program_file_parse(document)
    return caught.value.problems


def test_segments_are_read_in_canonical_form():
    config = program_file_parse(with_segments(example()))

    assert config["segments"][0] == {**GOLD_BUYERS, "match": "all"}
    assert config["segments"][1]["match"] == "any"
    assert config["earning"]["rules"][0]["segment"] == "gold-buyers"
    assert config["rewards"][0]["segment"] == "pros"
    assert "segment" not in config["earning"]["rules"][1]


def test_every_problem_is_one_line_with_its_path():
    document = with_segments(example())
    document["segments"][0]["conditions"] = [
        {"field": "tier", "operator": "in", "value": ["platinum"]},
        {"field": "balance", "operator": "between", "value": [10, 1]},
    ]
    document["segments"][1]["match"] = "some"
    document["segments"].append({"key": "pros", "name": "Twice", "conditions": "all of them"})
    document["earning"]["rules"][1]["segment"] = "nobody"
    document["rewards"][1]["segment"] = "Not A Key"

    assert problems(document) == [
        "segments[0].conditions: condition 1: tier: no tier with key 'platinum' in this program",
        "segments[0].conditions: condition 2: balance between: low 10 is above high 1",
        "segments[1].match: must be one of all, any",
        "segments[2].conditions: conditions must be a list of {field, operator, value} objects",
        "segments[2].key: duplicate segment key 'pros' (also used by segments[1])",
        "rewards[1].segment: " + problems_of_key("Not A Key"),
        "earning.rules[1].segment: no segment with key 'nobody' in segments",
    ]


def problems_of_key(value: str) -> str:
    document = example()
    document["rewards"][0]["key"] = value
    return problems(document)[0].split(": ", 1)[1]


@pytest.mark.django_db
@pytest.mark.parametrize("source", ["example", "demo"])
def test_create_then_export_round_trips_segments_and_their_rules_and_rewards(tmp_path, source):
    document = with_segments(example()) if source == "example" else json.loads(DEMO_PATH.read_text())
    path = tmp_path / "program.json"
    path.write_text(json.dumps(document))
    call_command("create_program", "--config", str(path), stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("export_program", document["slug"], stdout=out)
    exported = json.loads(out.getvalue())

    assert exported["segments"] == program_file_parse(document)["segments"]
    assert exported == program_file_parse(document)
    if source == "example":
        assert EarningRule.objects.get(key=document["earning"]["rules"][0]["key"]).segment.key == "gold-buyers"
        assert Reward.objects.get(key=document["rewards"][0]["key"]).segment.key == "pros"
        assert Segment.objects.count() == 2
