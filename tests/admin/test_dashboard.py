"""The program's analytics page: every report's numbers on a small hand-computed shop, the date range,
the CSV downloads, tenancy and a pinned query count."""

import csv
import io
import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from loyalty.choices import RewardType, StaffRole
from loyalty.models import Program
from members.jobs import run_job
from members.services.members import member_upsert
from members.services.tiers import member_tier_assign
from referrals.services.flows import order_paid
from referrals.services.referrals import referral_claim
from rewards.services.redemptions import reward_redeem
from tests.admin.conftest import client_of, staff_user
from tests.factories import MerchantFactory, ProgramFactory, RewardFactory, TierFactory


def buy(program, order_id, customer, subtotal, placed_at=None):
    return order_paid(
        program=program,
        order_id=order_id,
        customer_id=customer,
        email=f"{customer}@example.com",
        subtotal=Decimal(subtotal),
        currency="EUR",
        placed_at=placed_at,
    ).member


@pytest.fixture
def shop(db):
    """Ann buys 120 + 80 and redeems 50 points; Bob buys 50 now and 30 (placed 400 days ago, points now);
    Cat joins and is put in VIP; Ann refers Dan, who buys 60. 1 point per EUR, 100 points per referral,
    Five off = 5.00 EUR for 50 points (a point is worth 0.10 EUR)."""
    program = ProgramFactory(
        merchant=MerchantFactory(),
        currency="EUR",
        referrals_enabled=True,
        referrer_reward={"type": "points", "points": 100},
        friend_reward={"type": "fixed_discount", "value": "5.00"},
    )
    TierFactory(program=program, key="silver", name="Silver", threshold=Decimal("0"), position=0)
    TierFactory(program=program, key="gold", name="Gold", threshold=Decimal("100000"), position=1)
    TierFactory(program=program, key="vip", name="VIP", threshold=None, invite_only=True, position=2)
    five_off = RewardFactory(
        program=program, key="five", name="Five off", type=RewardType.FIXED_DISCOUNT, points_cost=50,
        value=Decimal("5.00"),
    )  # fmt: skip
    RewardFactory(
        program=program, key="twenty", name="Twenty off", type=RewardType.FIXED_DISCOUNT, points_cost=400,
        value=Decimal("20.00"),
    )  # fmt: skip
    ann = buy(program, "o1", "ann", "120.00")
    buy(program, "o2", "ann", "80.00")
    reward_redeem(member=ann, reward=five_off)
    buy(program, "o3", "bob", "50.00")
    buy(program, "o0", "bob", "30.00", placed_at=timezone.now() - timedelta(days=400))
    cat, _created = member_upsert(program=program, customer_id="cat", email="cat@example.com")
    member_tier_assign(member=cat, tier_key="vip")
    referral_claim(referrer=ann, email="dan@example.com")
    buy(program, "d1", "dan", "60.00")
    return program


_usernames = itertools.count()


def open_dashboard(program: Program, **params):
    run_job("refresh_analytics", timezone.now())
    client = client_of(staff_user(program.merchant, role=StaffRole.SUPPORT, username=f"support-{next(_usernames)}"))
    response = client.get(reverse("admin:loyalty_program_dashboard", args=[program.pk]), params)
    return client, {report.key: report for report in response.context["reports"]}, response


def test_summary_figures(shop):
    # when support opens the dashboard (the last 12 months)
    _client, reports, response = open_dashboard(shop)
    # then: 4 members, 3 with points activity; issued 120+80+50+30+60 + 100 referral = 440, redeemed 50;
    # outstanding Ann 250 + Bob 80 + Dan 60 = 390 points = 39.00 EUR; 3 buyers in the period (Bob's old order
    # is outside), Ann twice: 4 orders, 310.00 EUR
    summary = dict(reports["summary"].rows)
    assert response.status_code == 200
    assert (summary["members"], summary["active_members"]) == (4, 3)
    assert (summary["points_issued"], summary["points_redeemed"]) == (440, 50)
    assert summary["redemption_rate_pct"] == Decimal("11.4")
    assert (summary["points_outstanding"], summary["point_value"], summary["liability_EUR"]) == (
        390, Decimal("0.100000"), Decimal("39.00"),
    )  # fmt: skip
    assert (summary["buyers"], summary["repeat_buyers"], summary["repeat_purchase_rate_pct"]) == (3, 1, Decimal("33.3"))
    assert (summary["purchase_frequency"], summary["member_net_revenue_EUR"]) == (Decimal("1.33"), Decimal("310.00"))
    assert summary["member_average_order_value_EUR"] == Decimal("77.50")


def test_the_program_point_value_overrides_the_rewards(shop):
    # given a point value set on the program
    Program.objects.filter(pk=shop.pk).update(point_value=Decimal("0.02"))
    # when the dashboard is opened
    _client, reports, _response = open_dashboard(shop)
    # then the liability uses it: 390 × 0.02
    assert dict(reports["summary"].rows)["liability_EUR"] == Decimal("7.80")


def test_month_series_tiers_referrals_and_top_rewards(shop):
    # when the dashboard is opened
    _client, reports, _response = open_dashboard(shop)
    this_month = timezone.localdate().strftime("%Y-%m")
    # then this month: 4 new members, 3 active; 440 issued, 50 redeemed, none expired; 12 months listed
    assert len(reports["members"].rows) == 12 and reports["members"].rows[-1] == [this_month, 4, 3]
    assert reports["points"].rows[-1] == [this_month, 440, 50, 0]
    assert all(row[1:] == [0, 0, 0] for row in reports["points"].rows[:-1])
    # Silver 3, Gold 0, VIP 1; everyone joined Silver, Cat was moved to VIP by hand
    assert reports["tiers"].rows == [["Silver", 3], ["Gold", 0], ["VIP", 1], ["(no tier)", 0]]
    assert reports["tier_movements"].rows == [["—", "Silver", "joined", 4], ["Silver", "VIP", "manual", 1]]
    assert dict(reports["referrals"].rows) == {
        "claimed": 1, "converted": 1, "conversion_rate_pct": Decimal("100.0"), "blocked": 0,
        "referred_revenue_EUR": Decimal("60.00"),
    }  # fmt: skip
    assert reports["top_rewards"].rows == [["Five off", 1, 50, Decimal("5.00")]]
    assert "<svg" in reports["points"].chart


def test_a_range_before_the_activity_is_empty(shop):
    # when the range is last year's January
    year = timezone.localdate().year - 1
    _client, reports, _response = open_dashboard(shop, **{"from": f"{year}-01-01", "to": f"{year}-01-31"})
    # then only balances (now) remain; nothing happened in the period
    summary = dict(reports["summary"].rows)
    assert (summary["active_members"], summary["points_issued"], summary["buyers"]) == (0, 0, 0)
    assert summary["points_outstanding"] == 390
    assert reports["points"].rows == [[f"{year}-01", 0, 0, 0]]
    assert reports["top_rewards"].rows == []


def test_a_bad_range_falls_back_to_the_last_12_months_with_a_message(shop):
    # when the dates are garbage, backwards, or far too long
    for params in ({"from": "yesterday"}, {"from": "2026-05-01", "to": "2026-01-01"}, {"from": "0001-01-01"}):
        _client, reports, response = open_dashboard(shop, **params)
        # then the page still answers, with a message and 12 months
        assert response.status_code == 200
        assert len(reports["members"].rows) == 12
        assert "showing the last 12 months" in response.content.decode()


def test_every_report_downloads_as_csv(shop):
    # given support on the dashboard
    client, reports, _response = open_dashboard(shop)
    for key, report in reports.items():
        # when they download the report
        url = reverse("admin:loyalty_program_dashboard_csv", args=[shop.pk, key])
        response = client.get(url)
        # then the CSV has the columns and the same rows as the page
        lines = list(csv.reader(io.StringIO(response.content.decode())))
        assert response["Content-Type"].startswith("text/csv")
        assert lines[0] == report.columns
        assert lines[1:] == [["" if cell is None else str(cell) for cell in row] for row in report.rows]


def test_the_dashboard_answers_in_a_fixed_number_of_queries(shop, django_assert_num_queries):
    # given support logged in
    client = client_of(staff_user(shop.merchant, role=StaffRole.SUPPORT))
    client.get(reverse("admin:loyalty_program_dashboard", args=[shop.pk]))
    # when the dashboard is opened
    # then the same number of queries whatever the data: session, user, membership, program and each report's few
    # reads of the rollup tables (and the live referral counts); the reads two reports or the "data as of" line
    # share (the months' days, the rollup state, the tier names) are made once
    with django_assert_num_queries(18):
        client.get(reverse("admin:loyalty_program_dashboard", args=[shop.pk]))


def test_another_merchants_dashboard_and_csv_are_not_found(shop):
    # given another merchant's owner
    client = client_of(staff_user(MerchantFactory(), username="other-owner"))
    # when they open this program's dashboard and a CSV, or an unknown report
    page = client.get(reverse("admin:loyalty_program_dashboard", args=[shop.pk]))
    download = client.get(reverse("admin:loyalty_program_dashboard_csv", args=[shop.pk, "summary"]))
    own = staff_user(shop.merchant, username="own-owner")
    unknown = client_of(own).get(reverse("admin:loyalty_program_dashboard_csv", args=[shop.pk, "nope"]))
    # then not found
    assert (page.status_code, download.status_code, unknown.status_code) == (404, 404, 404)
