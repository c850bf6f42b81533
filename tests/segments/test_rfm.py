"""The `compute_rfm` job on hand-built order histories: NTILE(5) fifths, ties scored alike, members without a
purchase left unscored, programs ranked apart, and a second run for the same as-of changes nothing."""

from datetime import UTC, datetime, timedelta

from django.core.management import call_command

from members.models import Member
from members.services.rfm import compute_rfm
from tests.factories import ProgramFactory
from tests.segments.conftest import AT, order, person


def scores(*members) -> list[tuple]:
    rows = Member.objects.in_bulk([m.pk for m in members])
    return [(rows[m.pk].rfm_recency, rows[m.pk].rfm_frequency, rows[m.pk].rfm_monetary) for m in members]


def test_ten_buyers_fall_into_fifths(db):
    # given: m_i has i orders, the last one i days ago; its first order is worth 100 × (11 - i)
    program = ProgramFactory()
    members = [person(program, f"m{i}") for i in range(1, 11)]
    for i, member in enumerate(members, start=1):
        order(member, f"m{i}-0", str(100 * (11 - i)), i)
        for n in range(1, i):
            order(member, f"m{i}-{n}", "1", i + n)

    # when
    changed = compute_rfm(AT, chunk_size=3)  # several chunks: the ranking is still over the whole program

    # then: recency 5 = the two most recent, frequency 5 = the two with most orders, monetary 5 = biggest spenders
    assert changed == 10
    expected = [(5 - (i - 1) // 2, 1 + (i - 1) // 2, 5 - (i - 1) // 2) for i in range(1, 11)]
    assert scores(*members) == expected
    assert Member.objects.filter(rfm_computed_at=AT).count() == 10


def test_equal_values_get_the_same_score(db):
    # given: three one-order shoppers and two two-order shoppers, same spend and same day
    program = ProgramFactory()
    members = [person(program, f"t{i}") for i in range(5)]
    for i, member in enumerate(members):
        order(member, f"t{i}-a", "10", 3)
        if i >= 3:
            order(member, f"t{i}-b", "0.01", 3)

    compute_rfm(AT)

    frequency = [s[1] for s in scores(*members)]
    assert frequency == [1, 1, 1, 4, 4]
    assert {s[0] for s in scores(*members)} == {1}


def test_no_purchase_no_score_and_refunds_and_future_orders_do_not_count(db):
    program = ProgramFactory()
    buyer, nobody, refunded, later = (person(program, name) for name in ("buyer", "nobody", "refunded", "later"))
    order(buyer, "b", "10", 1)
    order(refunded, "r", "10", 1, refunded="10")
    order(later, "l", "10", -1)

    compute_rfm(AT)

    assert scores(buyer, nobody, refunded, later) == [(1, 1, 1), (None, None, None), (None, None, None), (None,) * 3]


def test_programs_are_ranked_apart(db):
    small, big = ProgramFactory(), ProgramFactory()
    alone = person(small, "alone")
    order(alone, "a", "1", 300)
    whales = [person(big, f"w{i}") for i in range(5)]
    for i, whale in enumerate(whales):
        order(whale, f"w{i}", str(1000 + i), i)

    compute_rfm(AT)

    # alone is the only buyer of their program: its one fifth is 1, whatever the other program's buyers did
    assert scores(alone) == [(1, 1, 1)]
    assert scores(*whales)[4] == (1, 1, 5)


def test_second_run_for_the_same_as_of_changes_nothing_and_an_earlier_as_of_resets(db):
    program = ProgramFactory()
    a, b = person(program, "a"), person(program, "b")
    order(a, "a1", "10", 10)
    order(b, "b1", "50", 1)

    assert compute_rfm(AT) == 2
    assert compute_rfm(AT) == 0
    # b bought after this earlier as-of: unscored again; a, alone, keeps (1, 1, 1)
    assert compute_rfm(AT - timedelta(days=5)) == 1
    assert scores(a, b) == [(1, 1, 1), (None, None, None)]


def test_run_job_compute_rfm_as_of(db):
    program = ProgramFactory()
    member = person(program, "solo")
    order(member, "s1", "10", 1)

    call_command("run_job", "compute_rfm", "--as-of", AT.isoformat())

    member.refresh_from_db()
    assert (member.rfm_recency, member.rfm_computed_at) == (1, AT)


def test_scores_feed_segments(db):
    from loyalty.models import Segment
    from members.segments import segment_members

    program = ProgramFactory()
    members = [person(program, f"s{i}") for i in range(5)]
    for i, member in enumerate(members):
        order(member, f"s{i}", str(10 * (i + 1)), 50 - i * 10)
    compute_rfm(datetime(2025, 6, 15, 12, tzinfo=UTC))  # one order each: frequency 1; s4 scores 5+1+5, s3 4+1+4

    segment = Segment.objects.create(program=program, key="champions", name="Champions",
                                     conditions=[{"field": "rfm_score", "operator": "gte", "value": 9}])  # fmt: skip
    assert set(segment_members(segment, at=AT).values_list("customer_id", flat=True)) == {"s3", "s4"}
