"""The program dashboard: whether the program pays, from the real ledger, orders and redemptions."""

from decimal import Decimal

from django.urls import reverse

from loyalty.choices import StaffRole
from members.services.orders import order_record
from rewards.services.redemptions import reward_redeem
from tests.admin.conftest import client_of, staff_user
from tests.factories import MerchantFactory, ProgramFactory, RewardFactory


def test_dashboard_shows_revenue_points_and_liability(db, django_assert_max_num_queries):
    # given a program (1 point per unit) with two buyers, one of them buying twice, and a redemption
    merchant = MerchantFactory()
    program = ProgramFactory(merchant=merchant, currency="EUR")
    order_record(
        program=program,
        order_id="o1",
        customer_id="ann",
        email="ann@example.com",
        subtotal=Decimal("120.00"),
        currency="EUR",
    )
    order_record(
        program=program,
        order_id="o2",
        customer_id="ann",
        email="ann@example.com",
        subtotal=Decimal("80.00"),
        currency="EUR",
    )
    result = order_record(
        program=program,
        order_id="o3",
        customer_id="bob",
        email="bob@example.com",
        subtotal=Decimal("50.00"),
        currency="EUR",
    )
    reward_redeem(member=result.member, reward=RewardFactory(program=program, points_cost=50, value=Decimal("5.00")))
    client = client_of(staff_user(merchant, role=StaffRole.SUPPORT))
    # when support opens the dashboard
    with django_assert_max_num_queries(20):
        response = client.get(reverse("admin:loyalty_program_dashboard", args=[program.pk]))
    # then revenue, repeat rate, points earned/redeemed/owed and the month's bars add up
    context = response.context
    assert context["revenue"] == {"orders": 3, "net": Decimal("250.00")}
    assert (context["members"]["total"], context["repeat_rate"]) == (2, 50)
    assert (context["points"]["earned"], context["points"]["redeemed"], context["redemption_rate"]) == (250, 50, 20)
    assert context["members"]["points_owed"] == 200
    assert (context["rewards"]["count"], context["rewards"]["value"]) == (1, Decimal("5.00"))
    [month] = context["months"]
    assert (month.earned, month.redeemed, month.revenue, month.earned_pct, month.redeemed_pct) == (
        250, 50, Decimal("250.00"), 100, 20,
    )  # fmt: skip
    assert "250.00 EUR" in response.content.decode()


def test_another_merchants_dashboard_is_not_found(shop_a, shop_b):
    # given B's owner
    client = client_of(staff_user(shop_b[0]))
    # when they open A's dashboard
    response = client.get(reverse("admin:loyalty_program_dashboard", args=[shop_a[1].pk]))
    # then it is not found
    assert response.status_code == 404
