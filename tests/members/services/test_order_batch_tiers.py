"""A batch of orders (members/services/order_batch.py) moves members up by the one-order path's rule
(`tier_upgrades`, `tier_upgrade_target`) and logs the same "tier changed" lines (`tiers.tier_upgraded`): two tiers
at once, over an invite-only tier, never a locked member, each member's later orders with the new multiplier."""

import logging
from decimal import Decimal

import pytest

from loyalty.choices import TierMetric, TierPeriod
from members.models import Member, TierChange
from members.services.order_batch import OrderInput, orders_record_many
from members.services.orders import order_record
from members.services.tiers import member_tier_assign
from tests.factories import ProgramFactory, TierFactory

LOGGER = "members.services.tiers"

# customer id → subtotals of their orders, in the order sent (interleaved across customers below)
ORDERS = {
    "jumper": ["10.00", "700.00", "100.00"],  # Bronze -> Gold at once, then earns double
    "climber": ["60.00", "50.00", "400.00", "1500.00"],  # Silver, then Gold, then over Reserve to Platinum
    "locked": ["5000.00", "10.00"],  # put in Bronze by hand: never moves
    "stayer": ["20.00", "30.00"],  # stays in Bronze
    "newcomer": ["150.00", "10.00"],  # joins in Bronze, Silver with the first order
}


def _program():
    program = ProgramFactory(tier_metric=TierMetric.POINTS_EARNED, tier_period=TierPeriod.ROLLING_12_MONTHS)
    ladder = [("bronze", "0", False, "1"), ("silver", "100", False, "1.5"), ("gold", "500", False, "2")]
    ladder += [("reserve", None, True, "3"), ("platinum", "2000", False, "3")]
    for position, (key, threshold, invite_only, multiplier) in enumerate(ladder, start=1):
        TierFactory(
            program=program,
            key=key,
            position=position,
            threshold=None if threshold is None else Decimal(threshold),
            invite_only=invite_only,
            multiplier=Decimal(multiplier),
        )
    for customer_id in ORDERS:
        if customer_id != "newcomer":
            order_record(
                program=program,
                order_id=f"{customer_id}-join",
                customer_id=customer_id,
                subtotal=Decimal("0"),
                currency="USD",
                email=f"{customer_id}@example.com",
            )
    member_tier_assign(member=Member.objects.get(program=program, customer_id="locked"), tier_key="bronze")
    return program


def _orders() -> list[OrderInput]:
    longest = max(len(subtotals) for subtotals in ORDERS.values())
    return [
        OrderInput(
            order_id=f"{customer_id}-{n}",
            customer_id=customer_id,
            subtotal=Decimal(subtotals[n]),
            currency="USD",
            email=f"{customer_id}@example.com",
        )
        for n in range(longest)
        for customer_id, subtotals in ORDERS.items()
        if n < len(subtotals)
    ]


def _state(program) -> dict:
    return {
        "members": list(
            Member.objects.filter(program=program)
            .order_by("customer_id")
            .values_list("customer_id", "tier__key", "tier_locked", "points_balance")
        ),
        "changes": list(
            TierChange.objects.filter(member__program=program)
            .order_by("member__customer_id", "id")
            .values_list("member__customer_id", "from_tier__key", "to_tier__key", "reason", "acting_user")
        ),
    }


def _lines(caplog, program) -> list[str]:
    prefix = f"tier changed program={program.pk} "
    return [r.getMessage().removeprefix(prefix) for r in caplog.records if r.name == LOGGER]


def test_a_batch_moves_members_up_and_logs_as_single_orders_do(db, caplog, assert_ledger_clean):
    # given two identical programs with Bronze, Silver, Gold, invite-only Reserve and Platinum, and members in them
    single_program, batch_program = _program(), _program()
    orders = _orders()

    # when the same orders go one by one to one and as one batch to the other
    with caplog.at_level(logging.INFO, logger=LOGGER):
        caplog.clear()
        singles = [
            order_record(program=single_program, **{k: v for k, v in vars(o).items() if v is not None}) for o in orders
        ]
        single_lines = _lines(caplog, single_program)
        caplog.clear()
        batched = orders_record_many(program=batch_program, orders=orders)
        batch_lines = _lines(caplog, batch_program)

    # then every order earned the same points, members are in the same tiers with the same changes, and the log
    # lines are the same (the newcomer's first order included; the batch logs member by member)
    assert [r.order.points_awarded for r in batched] == [r.order.points_awarded for r in singles]
    assert _state(batch_program) == _state(single_program)
    assert sorted(batch_lines) == sorted(single_lines)
    assert single_lines == [
        "customer_id=newcomer from=bronze to=silver reason=earned acting_user=None",
        "customer_id=jumper from=bronze to=gold reason=earned acting_user=None",
        "customer_id=climber from=bronze to=silver reason=earned acting_user=None",
        "customer_id=climber from=silver to=gold reason=earned acting_user=None",
        "customer_id=climber from=gold to=platinum reason=earned acting_user=None",
    ]
    assert_ledger_clean()


@pytest.mark.parametrize("locked", [False, True])
def test_a_batch_never_moves_a_member_down(db, locked):
    # given a member in Gold with Bronze's points: held by hand (locked), or kept after a refund until the nightly
    # recalculation (unlocked)
    program = _program()
    member = Member.objects.get(program=program, customer_id="stayer")
    member_tier_assign(member=member, tier_key="gold")
    if not locked:
        Member.objects.filter(pk=member.pk).update(tier_locked=False)

    # when a batch brings them to Silver's threshold
    orders_record_many(
        program=program,
        orders=[OrderInput(order_id="s-1", customer_id="stayer", subtotal=Decimal("150.00"), currency="USD")],
    )

    # then they keep Gold, with no 'earned' change
    member.refresh_from_db()
    assert (member.tier.key, member.tier_locked) == ("gold", locked)
    assert not TierChange.objects.filter(member=member, reason="earned").exists()
