"""`manage.py export_program SLUG`: the program file back, round-tripping through create_program."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from loyalty.management.program_files import program_file_export
from loyalty.models import Program
from loyalty.program_file import program_file_parse
from tests.loyalty.program_file.documents import DEMO_PATH, EXAMPLE_PATH, changed, example


def export(slug: str) -> dict:
    out = StringIO()
    call_command("export_program", slug, stdout=out)
    return json.loads(out.getvalue())


def create(document: dict, tmp_path) -> None:
    path = tmp_path / f"{document['slug']}.json"
    path.write_text(json.dumps(document))
    call_command("create_program", "--config", str(path), stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
@pytest.mark.parametrize("source", [EXAMPLE_PATH, DEMO_PATH], ids=["example", "demo"])
def test_export_round_trips_through_create(tmp_path, source):
    # given a program created from a file, exported
    original = json.loads(source.read_text())
    create(original, tmp_path)
    first = export(original["slug"])
    # when the export is created again under another slug and exported
    create({**first, "slug": "copy"}, tmp_path)
    second = export("copy")
    # then it is the same program, the slug aside
    assert second == {**first, "slug": "copy"}


@pytest.mark.django_db
def test_the_example_exports_to_its_own_canonical_form(tmp_path):
    # given the contract's example created as a program
    create(example(), tmp_path)
    # when it is exported
    exported = export("acme")
    # then the export equals the example, normalised
    assert exported == program_file_parse(example())


@pytest.mark.django_db
def test_export_keeps_the_optional_extras(tmp_path):
    # given a program using the optional fields of rules, tiers and rewards
    document = changed(
        example(),
        timezone="Asia/Tehran",
        locale="fa",
        name="باشگاه مشتریان",
        shop_url="https://shop.example",
        allowed_origins=["https://shop.example"],
        earning__pending_days=14,
        earning__rules_0__name="Welcome",
        earning__rules_0__active=False,
        earning__rules_3__starts_at="2026-01-01T00:00:00+03:30",
        tiers__metric="spend",
        tiers__levels_1__threshold="250.50",
        expiry={"policy": "fixed", "days": 90},
        rewards_0__description="Five dollars off any order.",
        rewards_0__image_url="https://cdn.example/five.png",
        rewards_0__min_subtotal="20.00",
        rewards_0__code_expiry_days=30,
        rewards_0__starts_at="2026-01-01T00:00:00Z",
        rewards_0__ends_at="2027-01-01T00:00:00Z",
        rewards_0__active=False,
        rewards_0__variable=True,
        rewards_0__max_points=5000,
        referrals={"enabled": False},
    )
    create(document, tmp_path)
    # when it is exported
    exported = export("acme")
    # then every field comes back (timestamps in UTC, non-ASCII names intact)
    assert exported == program_file_parse(document)
    assert exported["earning"]["rules"][3]["starts_at"] == "2025-12-31T20:30:00Z"
    assert exported["name"] == "باشگاه مشتریان"


@pytest.mark.django_db
def test_export_prints_readable_utf8_json(tmp_path):
    # given a program with a Persian name
    create(changed(example(), name="باشگاه"), tmp_path)
    out = StringIO()
    # when it is exported
    call_command("export_program", "acme", stdout=out)
    # then the output is indented JSON that keeps the script as is
    assert '\n  "name": "باشگاه",' in out.getvalue()


@pytest.mark.django_db
def test_export_of_a_program_edited_into_an_invalid_file_lists_the_problems(tmp_path):
    # given a program whose sign-up rule was set to 0 points (as the admin could)
    create(example(), tmp_path)
    Program.objects.get(slug="acme").earning_rules.filter(key="signup").update(points=0)
    err = StringIO()
    # when it is exported
    with pytest.raises(CommandError, match="cannot be written as a valid program file"):
        call_command("export_program", "acme", stdout=StringIO(), stderr=err)
    # then the problem is named by its path
    assert err.getvalue().splitlines() == ["earning.rules[0].points: must be between 1 and 10000000"]


@pytest.mark.django_db
def test_export_of_an_unknown_slug_is_an_error():
    # given no program / when / then
    with pytest.raises(CommandError, match="no program with slug 'nope'"):
        call_command("export_program", "nope", stdout=StringIO())


@pytest.mark.django_db
def test_export_takes_a_fixed_number_of_queries(tmp_path, django_assert_num_queries):
    # given the demo program (7 rules, 4 tiers, 8 rewards)
    create(json.loads(DEMO_PATH.read_text()), tmp_path)
    program = Program.objects.select_related("merchant").get(slug="demo")
    # when it is exported / then it takes one query each for rules, tiers, segments and rewards
    with django_assert_num_queries(4):
        program_file_export(program)
