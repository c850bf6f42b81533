"""The program page's earning rules, bonus campaigns and rewards can be limited to one of the program's segments:
the selects list that program's segments only, read once whatever the number of rows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loyalty.models import EarningRule, Segment
from tests.admin.conftest import client_of, staff_user
from tests.admin.test_program_config import form_data
from tests.factories import ProgramFactory

CONDITIONS = [{"field": "balance", "operator": "gte", "value": 100}]


def _segment(program, key: str) -> Segment:
    return Segment.objects.create(program=program, key=key, name=key.title(), match="all", conditions=CONDITIONS)


def _rules_formset(response):
    return next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "earning_rules")


def test_rule_segment_choices_are_the_programs_own(shop_b):
    # given two programs of one merchant, each with a segment
    merchant, program, _member = shop_b
    own = _segment(program, "vip-fans")
    sibling = _segment(ProgramFactory(merchant=merchant), "other-fans")
    client = client_of(staff_user(merchant))
    # when the owner opens the program page
    page = client.get(reverse("admin:loyalty_program_change", args=[program.pk]))
    # then a rule's segment select offers only this program's segment
    choices = [value for value, _label in _rules_formset(page).forms[0].fields["segment"].choices if value]
    assert choices == [own.pk]
    assert sibling.name not in page.content.decode()


def test_a_rule_limited_to_a_segment_is_saved(shop_b):
    # given the owner on the program page and a segment of the program
    merchant, program, _member = shop_b
    segment = _segment(program, "win-back")
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    data = form_data(client.get(url))
    # when they limit the first earning rule to it
    data["earning_rules-0-segment"] = segment.pk
    response = client.post(url, data)
    # then the rule carries the segment
    assert response.status_code == 302, response.context and _rules_formset(response).errors
    rule = EarningRule.objects.get(pk=data["earning_rules-0-id"])
    assert rule.segment == segment


def test_segment_selects_cost_the_same_queries_for_more_rows(shop_b):
    # given the program page with its rules
    merchant, program, _member = shop_b
    _segment(program, "vip-fans")
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    # when five more rules are added
    for n in range(5):
        EarningRule.objects.create(program=program, key=f"event-{n}", type="custom_event", event=f"e{n}", points=5)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    # then the page reads no more (the segment and tier choices are read once per inline)
    assert len(after.captured_queries) == len(before.captured_queries)
