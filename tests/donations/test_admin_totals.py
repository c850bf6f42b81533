"""The merchant's donation totals per cause on a hand-built dataset: date range, CSV for payment, marking a period
paid out (audited), and another merchant's staff seeing none of it."""

import csv
import io
from datetime import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from donations.models import Donation, DonationPayout
from donations.services.donate import points_donate
from loyalty.choices import StaffRole
from loyalty.models import AuditEntry
from members.services.adjustments import points_adjust
from members.services.members import member_upsert
from tests.admin.conftest import client_of, staff_user
from tests.factories import MerchantFactory, ProgramFactory
from tests.factories.donations import cause

TOTALS = "admin:donations_cause_totals"


def _give(member, to, points, day: str, key: str):
    with mock.patch("django.utils.timezone.now", return_value=datetime.fromisoformat(f"{day}T12:00:00+00:00")):
        points_donate(member=member, cause=to, points=points, idempotency_key=key)


@pytest.fixture
def dataset(db):
    """Merchant A: water (Ada 100 on Mar 3, Ada 50 and Bo 200 on Mar 20, Bo 10 on Apr 2), trees (Bo 30 on Mar 5).
    Point value 0.02. Merchant B: its own cause with a donation."""
    merchant = MerchantFactory(name="Alpha")
    program = ProgramFactory(merchant=merchant, point_value=Decimal("0.02"))
    ada, _ = member_upsert(program=program, customer_id="ada", email="ada@example.com")
    bo, _ = member_upsert(program=program, customer_id="bo", email="bo@example.com")
    for member in (ada, bo):
        points_adjust(member=member, points=1000, reason="set-up")
    water, trees = cause(program, name="Water"), cause(program, name="=Trees")
    _give(ada, water, 100, "2026-03-03", "1")
    _give(ada, water, 50, "2026-03-20", "2")
    _give(bo, water, 200, "2026-03-20", "3")
    _give(bo, water, 10, "2026-04-02", "4")
    _give(bo, trees, 30, "2026-03-05", "5")
    other = ProgramFactory(merchant=MerchantFactory(name="Beta"), point_value=Decimal("1"))
    stranger, _ = member_upsert(program=other, customer_id="zed", email="zed@example.com")
    points_adjust(member=stranger, points=100, reason="set-up")
    _give(stranger, cause(other, name="Beta cause"), 99, "2026-03-10", "6")
    return {"merchant": merchant, "water": water, "trees": trees, "other": other}


def _march(client, **extra):
    return client.get(reverse(TOTALS), {"from": "2026-03-01", "to": "2026-03-31", **extra})


def test_totals_per_cause_over_the_period(dataset):
    # given
    client = client_of(staff_user(dataset["merchant"]))
    # when
    response = _march(client)
    # then
    rows = {cause.name: cause for cause in response.context["rows"]}
    assert set(rows) == {"Water", "=Trees"}
    water = rows["Water"]
    assert (water.points, water.value, water.donors, water.donations_count) == (350, Decimal("7.00"), 2, 3)
    trees = rows["=Trees"]
    assert (trees.points, trees.value, trees.donors) == (30, Decimal("0.60"), 1)
    assert "Beta cause" not in response.content.decode()


def test_the_csv_is_what_to_pay(dataset):
    client = client_of(staff_user(dataset["merchant"]))
    response = client.get(reverse("admin:donations_cause_totals_csv"), {"from": "2026-03-01", "to": "2026-04-30"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    by_name = {row["cause"]: row for row in rows}
    assert by_name["Water"]["points"] == "360" and by_name["Water"]["value"] == "7.20"
    assert by_name["'=Trees"]["donors"] == "1"  # formula-looking names are quoted
    assert "Beta cause" not in response.content.decode()


def test_marking_a_period_paid_is_audited_and_once(dataset):
    # given
    owner = staff_user(dataset["merchant"])
    client = client_of(owner)
    url = reverse("admin:donations_cause_payout", args=[dataset["water"].pk])
    body = {"from": "2026-03-01", "to": "2026-03-31", "reference": "TR-77"}
    # when
    client.post(url, body)
    client.post(url, body)
    # then
    payout = DonationPayout.objects.get()
    assert (payout.points, payout.value, payout.donations_count, payout.reference) == (350, Decimal("7.00"), 3, "TR-77")
    assert Donation.objects.filter(payout=payout).count() == 3
    assert Donation.objects.filter(cause=dataset["water"], payout__isnull=True).count() == 1  # April's
    entry = AuditEntry.objects.get(action="donation_payout")
    assert entry.actor == owner and entry.merchant_id == dataset["merchant"].pk
    water = next(c for c in _march(client).context["rows"] if c.name == "Water")
    assert (water.points, water.unpaid_points) == (350, 0)


def test_support_staff_see_totals_but_cannot_mark_paid(dataset):
    client = client_of(staff_user(dataset["merchant"], role=StaffRole.SUPPORT))
    assert _march(client).status_code == 200
    response = client.post(reverse("admin:donations_cause_payout", args=[dataset["water"].pk]),
                           {"from": "2026-03-01", "to": "2026-03-31"})  # fmt: skip
    assert response.status_code == 403
    assert DonationPayout.objects.count() == 0


def test_another_merchants_staff_cannot_pay_or_see_a_cause(dataset):
    beta = dataset["other"].merchant
    client = client_of(staff_user(beta))
    response = client.post(reverse("admin:donations_cause_payout", args=[dataset["water"].pk]),
                           {"from": "2026-03-01", "to": "2026-03-31"})  # fmt: skip
    assert response.status_code == 403
    assert "Water" not in _march(client).content.decode()
    assert client.get(reverse("admin:donations_cause_change", args=[dataset["water"].pk])).status_code in (302, 404)
    assert DonationPayout.objects.count() == 0


@pytest.mark.parametrize("params", [{"from": "nope"}, {"from": "2026-04-01", "to": "2026-03-01"}, {"to": "\x00"}])
def test_bad_dates_fall_back_to_this_month(dataset, params):
    client = client_of(staff_user(dataset["merchant"]))
    assert client.get(reverse(TOTALS), params).status_code == 200
    assert client.get(reverse("admin:donations_cause_totals_csv"), params).status_code == 200


def test_donations_list_and_csv_export(dataset):
    client = client_of(staff_user(dataset["merchant"]))
    listing = client.get(reverse("admin:donations_donation_changelist"))
    ids = list(Donation.objects.filter(program__merchant=dataset["merchant"]).values_list("pk", flat=True))
    exported = client.post(reverse("admin:donations_donation_changelist"),
                           {"action": "export_csv", "_selected_action": ids})  # fmt: skip
    content = b"".join(exported.streaming_content).decode()
    assert listing.status_code == 200
    assert content.count("\n") == 1 + 5
    assert "zed" not in content


def test_the_totals_link_is_on_the_causes_list(dataset):
    client = client_of(staff_user(dataset["merchant"]))
    page = client.get(reverse("admin:donations_cause_changelist")).content.decode()
    assert reverse(TOTALS) in page
