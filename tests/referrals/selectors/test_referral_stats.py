from decimal import Decimal

from referrals.selectors import referral_stats
from referrals.services.flows import member_join, order_paid, order_refunded


def test_stats_per_program_and_per_member(program, referrer, django_assert_num_queries):
    # given alice referred bob (converted, 80.00 then 20.00 of which 10.00 refunded) and carol (joined);
    # zed referred dan; a self-referral was blocked
    member_join(program=program, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code)
    member_join(program=program, customer_id="carol", email="carol@example.com", referral_code=referrer.referral_code)
    zed, _ = member_join(program=program, customer_id="zed", email="zed@example.com")
    member_join(program=program, customer_id="dan", email="dan@example.com", referral_code=zed.referral_code)
    member_join(program=program, customer_id="alice-2", email="alice@example.com", referral_code=referrer.referral_code)
    order_paid(program=program, order_id="1", customer_id="bob", subtotal=Decimal("80"), currency="USD")
    order_paid(program=program, order_id="2", customer_id="bob", subtotal=Decimal("20"), currency="USD")
    order_refunded(program=program, order_id="2", refund_id="r", amount=Decimal("10"))
    order_paid(program=program, order_id="3", customer_id="dan", subtotal=Decimal("5"), currency="USD")
    order_paid(program=program, order_id="4", customer_id="zed", subtotal=Decimal("500"), currency="USD")

    # when the stats are read (two queries each)
    with django_assert_num_queries(2):
        of_program = referral_stats(program=program)
    of_alice = referral_stats(program=program, referrer=referrer)

    # then
    assert of_program.invites_claimed == 3
    assert of_program.friends_converted == 1
    assert of_program.blocked == 1
    assert of_program.revenue == Decimal("95.00")
    assert of_program.friend_rewards_granted == 3
    assert of_program.referrer_rewards_granted == 1
    assert of_program.referrer_points_granted == 500
    assert (of_alice.invites_claimed, of_alice.friends_converted, of_alice.revenue) == (2, 1, Decimal("90.00"))
    assert of_alice.blocked == 1


def test_stats_are_scoped_to_the_program(program, referrer):
    # given a referral in this program
    from tests.factories import ProgramFactory

    member_join(program=program, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code)

    # when another program's stats are read
    stats = referral_stats(program=ProgramFactory())

    # then they are empty
    assert (stats.invites_claimed, stats.revenue, stats.friend_rewards_granted) == (0, Decimal("0"), 0)
