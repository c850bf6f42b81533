"""The member page and its service actions: adjust points through the ledger, cancel a voucher,
move a physical reward's fulfilment; search; roles."""

from django.contrib.admin.models import LogEntry
from django.urls import reverse

from loyalty.choices import StaffRole
from members.choices import TransactionKind
from members.models import Member, Transaction
from members.services.adjustments import points_adjust
from tests.admin.conftest import client_of, member_of, staff_user
from tests.factories import TierFactory


def adjust(client, member, points, reason):
    return client.post(
        reverse("admin:members_member_adjust_points", args=[member.pk]),
        {"adjust_points": points, "adjust_reason": reason},
        follow=True,
    )


def test_member_page_shows_balance_ledger_and_tier_history(shop_b):
    # given a member with points
    merchant, _program, member = shop_b
    client = client_of(staff_user(merchant, role=StaffRole.SUPPORT))
    # when support opens the member page
    response = client.get(reverse("admin:members_member_change", args=[member.pk]))
    # then balance, the ledger row and the tier history are there
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="member-summary"' in content
    assert "Beta welcome" in content
    assert "Beta Gold" in content


def test_adjusting_points_writes_a_ledger_row_with_the_acting_user(shop_b, assert_ledger_clean):
    # given a manager and a member with 100 points
    merchant, _program, member = shop_b
    manager = staff_user(merchant, role=StaffRole.MANAGER)
    # when the manager credits 250 points with a reason
    response = adjust(client_of(manager), member, 250, "Parcel lost")
    # then the ledger has the row, with the manager, and the balance moved
    row = Transaction.objects.filter(member=member).latest("id")
    assert (row.kind, row.points, row.description, row.acting_user) == (
        TransactionKind.ADJUST,
        250,
        "Parcel lost",
        manager,
    )
    member.refresh_from_db()
    assert member.points_balance == 350
    assert "New balance: 350" in response.content.decode()
    assert LogEntry.objects.filter(user=manager, object_id=str(member.pk)).exists()
    assert_ledger_clean()


def test_a_debit_past_the_balance_is_refused_and_writes_nothing(shop_b, assert_ledger_clean):
    # given a member with 100 points
    merchant, _program, member = shop_b
    client = client_of(staff_user(merchant, role=StaffRole.SUPPORT))
    # when support debits 500
    response = adjust(client, member, -500, "Mistake")
    # then a clear message, no row
    assert "Points not adjusted: The member has 100 points; 500 are needed." in response.content.decode()
    assert Transaction.objects.filter(member=member).count() == 1
    assert_ledger_clean()


def test_an_adjustment_without_reason_or_with_zero_points_is_refused(shop_b):
    # given a member
    merchant, _program, member = shop_b
    client = client_of(staff_user(merchant))
    # when the owner sends zero points, no reason, or garbage
    responses = [adjust(client, member, 0, "x"), adjust(client, member, 10, "  "), adjust(client, member, "ten", "x")]
    # then each is refused with a message and nothing is written
    assert "other than 0" in responses[0].content.decode()
    assert "Give a reason" in responses[1].content.decode()
    assert "Enter a whole number" in responses[2].content.decode()
    assert Transaction.objects.filter(member=member).count() == 1


def test_adjusting_another_merchants_member_is_not_found(shop_a, shop_b):
    # given A's member and B's owner
    _merchant_a, _program_a, member_a = shop_a
    client = client_of(staff_user(shop_b[0]))
    # when B's owner posts an adjustment to A's member
    response = client.post(
        reverse("admin:members_member_adjust_points", args=[member_a.pk]),
        {"adjust_points": 1000, "adjust_reason": "steal"},
    )
    # then 404 and A's balance is untouched
    assert response.status_code == 404
    assert Member.objects.get(pk=member_a.pk).points_balance == 100


def test_members_are_found_by_email_customer_id_code_and_name(shop_b):
    # given members of B
    merchant, program, member = shop_b
    other = member_of(program, customer_id="zz-9", email="Zed@Example.com", first_name="Zoe", last_name="Quinn")
    client = client_of(staff_user(merchant, role=StaffRole.SUPPORT))
    url = reverse("admin:members_member_changelist")
    # when support searches by each key
    found = {}
    for term in ["beta@example.com", "beta-cust", member.referral_code.lower(), "Ada", "zoe qu", "Zed@Example.com"]:
        response = client.get(url, {"q": term})
        found[term] = [m.pk for m in response.context["cl"].result_list]
    # then each finds the right member
    assert found == {
        "beta@example.com": [member.pk],
        "beta-cust": [member.pk],
        member.referral_code.lower(): [member.pk],
        "Ada": [member.pk],
        "zoe qu": [other.pk],
        "Zed@Example.com": [other.pk],
    }


def test_support_cannot_edit_the_program_but_can_view_it(shop_b):
    # given support staff
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant, role=StaffRole.SUPPORT))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    # when they view and then post a change to the program
    page = client.get(url)
    response = client.post(url, {"name": "Hijacked"})
    # then the page is view-only and the post refused
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    program.refresh_from_db()
    assert program.name == "Beta Rewards"


def test_ledger_rows_are_read_only_for_every_role(shop_b):
    # given the owner and a ledger row
    merchant, _program, member = shop_b
    row = Transaction.objects.filter(member=member).get()
    client = client_of(staff_user(merchant))
    # when the owner opens the row and tries to delete it
    page = client.get(reverse("admin:members_transaction_change", args=[row.pk]))
    delete = client.post(reverse("admin:members_transaction_delete", args=[row.pk]), {"post": "yes"})
    # then it is shown without a save button and never deleted
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert delete.status_code == 403
    assert Transaction.objects.filter(pk=row.pk).exists()


def test_the_full_ledger_link_lists_only_that_members_rows(shop_b):
    # given two members with points
    merchant, program, member = shop_b
    other = member_of(program, customer_id="other")
    points_adjust(member=other, points=5, reason="other's points")
    client = client_of(staff_user(merchant))
    # when the owner follows the member page's ledger link
    response = client.get(reverse("admin:members_transaction_changelist"), {"member__id__exact": member.pk})
    # then only that member's rows show
    assert [t.member_id for t in response.context["cl"].result_list] == [member.pk]


def test_assigning_and_removing_an_invite_only_tier(shop_b):
    # given an invite-only tier and a manager
    merchant, program, member = shop_b
    vip = TierFactory(program=program, key="vip", name="VIP", invite_only=True, threshold=None)
    manager = staff_user(merchant, role=StaffRole.MANAGER)
    client = client_of(manager)
    url = reverse("admin:members_member_tier_assign", args=[member.pk])
    # when the manager assigns it, then removes it
    client.post(url, {"tier_key": "vip"})
    member.refresh_from_db()
    assigned = (member.tier, member.tier_locked)
    client.post(url, {"tier_key": "vip", "tier_remove": "1"})
    member.refresh_from_db()
    # then the member was locked in VIP, recorded with the manager, and is back in the earned tier
    assert assigned == (vip, True)
    assert member.tier_changes.filter(to_tier=vip, acting_user=manager).exists()
    assert (member.tier.key, member.tier_locked) == ("beta-gold", False)


def test_a_tier_that_is_not_invite_only_cannot_be_assigned_and_support_may_not_assign(shop_b):
    # given the entry tier (reached by threshold), a manager and support
    merchant, _program, member = shop_b
    manager = client_of(staff_user(merchant, role=StaffRole.MANAGER))
    support = client_of(staff_user(merchant, role=StaffRole.SUPPORT))
    url = reverse("admin:members_member_tier_assign", args=[member.pk])
    # when the manager assigns the threshold tier by hand and support tries anything
    response = manager.post(url, {"tier_key": "beta-gold"}, follow=True)
    forbidden = support.post(url, {"tier_key": "beta-gold"})
    # then both are refused and nothing changed
    assert "choose one of the program&#x27;s invite-only tiers" in response.content.decode()
    assert forbidden.status_code == 403
    member.refresh_from_db()
    assert member.tier_locked is False
