"""CSV export of the member list and the ledger: only the user's merchant's rows, streamed in chunks."""

import csv
import io

from django.urls import reverse

from loyalty.admin_base import queryset_in_pk_chunks
from loyalty.choices import StaffRole
from members.models import Member
from members.services.adjustments import points_adjust
from tests.admin.conftest import client_of, member_of, staff_user


def export(client, url, data) -> list[list[str]]:
    response = client.post(url, {"action": "export_csv", **data})
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_exporting_every_member_gives_only_the_own_merchants(shop_a, shop_b):
    # given both merchants' members and B's support staff
    _merchant_b, program_b, member_b = shop_b
    member_of(program_b, customer_id="=cmd|calc", email="x@example.com")
    client = client_of(staff_user(shop_b[0], role=StaffRole.SUPPORT))
    url = reverse("admin:members_member_changelist")
    # when they export "all" and, separately, A's member id smuggled into the selection
    everyone = export(client, url, {"select_across": 1, "index": 0, "_selected_action": [member_b.pk]})
    smuggled = client.post(url, {"action": "export_csv", "_selected_action": [shop_a[2].pk]})
    # then the export holds B's members only, formula-looking cells defused
    assert everyone[0][:2] == ["customer_id", "email"]
    assert sorted(row[0] for row in everyone[1:]) == ["'=cmd|calc", "beta-cust"]
    assert everyone[1][7] == ""  # no tier: an empty cell
    content = b"".join(smuggled.streaming_content) if smuggled.streaming else smuggled.content
    assert b"alpha" not in content


def test_exporting_the_ledger(shop_b):
    # given a member with two ledger rows
    merchant, _program, member = shop_b
    points_adjust(member=member, points=-30, reason="Correction")
    client = client_of(staff_user(merchant))
    # when the owner exports the member's ledger
    rows = export(
        client,
        reverse("admin:members_transaction_changelist") + f"?member__id__exact={member.pk}",
        {"select_across": 1, "index": 0, "_selected_action": [0]},
    )
    # then both rows are there with their points
    assert sorted(row[3] for row in rows[1:]) == ["-30", "100"]


def test_chunks_cover_every_row_once(shop_b):
    # given 7 members
    _merchant, program, _member = shop_b
    for i in range(6):
        member_of(program, customer_id=f"m{i}")
    # when read in chunks of 3
    ids = [m.pk for m in queryset_in_pk_chunks(Member.objects.filter(program=program), size=3)]
    # then every member comes once, in order
    assert ids == sorted(Member.objects.filter(program=program).values_list("pk", flat=True))
