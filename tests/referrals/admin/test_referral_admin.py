"""The merchant sees their referrals, blocked ones with the reason; another merchant's staff see nothing."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from referrals.models import ReferralSettings
from referrals.services.flows import member_join
from referrals.services.fraud import referral_settings_get
from tests.admin.conftest import client_of, staff_user
from tests.factories import MerchantFactory

# session, user, membership, program ids, permissions; then the list's own (rows, filter choices, date hierarchy).
REFERRAL_LIST_QUERIES = 11


def _blocked_referral(program, referrer):
    member_join(
        program=program, customer_id="alice-2", email="alice+2@example.com", referral_code=referrer.referral_code
    )


def test_merchant_sees_blocked_referrals_with_the_reason(program, referrer):
    # given a blocked self-referral in the merchant's program
    _blocked_referral(program, referrer)
    owner = client_of(staff_user(program.merchant))

    # when the owner filters the referral list on blocked ones
    response = owner.get(reverse("admin:referrals_referral_changelist") + "?status__exact=blocked")

    # then the row shows the reason and its detail
    html = response.content.decode()
    assert response.status_code == 200
    assert "same_email" in html or "Self-referral: same email" in html
    assert "is the referrer&#x27;s" in html or "is the referrer's" in html


def test_other_merchants_staff_do_not_see_referrals(program, referrer):
    # given a blocked referral of merchant A and the owner of merchant B
    _blocked_referral(program, referrer)
    stranger = client_of(staff_user(MerchantFactory(name="Beta")))

    # when B opens the referral list
    html = stranger.get(reverse("admin:referrals_referral_changelist")).content.decode()

    # then A's referral is not there
    assert "alice+2@example.com" not in html
    assert "is the referrer" not in html


def test_settings_page_shows_the_programs_stats(program, referrer):
    # given two friends, one converted
    member_join(program=program, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code)
    settings = referral_settings_get(program=program)
    admin_user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")

    # when the settings page is opened
    html = client_of(admin_user).get(reverse("admin:referrals_referralsettings_change", args=[settings.pk])).content
    html = html.decode()

    # then the stats are on it
    assert "Invites claimed: <strong>1</strong>" in html
    assert "Friend rewards granted: <strong>1</strong>" in html
    assert ReferralSettings.objects.count() == 1


def test_referral_list_queries_do_not_grow_with_referrals(program, referrer, django_assert_num_queries):
    # given the owner's referral list with one referral, then with twelve (joined and blocked)
    member_join(program=program, customer_id="f-0", email="f0@example.com", referral_code=referrer.referral_code)
    client = client_of(staff_user(program.merchant))
    url = reverse("admin:referrals_referral_changelist")
    client.get(url)  # warm the content-type cache
    with django_assert_num_queries(REFERRAL_LIST_QUERIES):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 1
    for i in range(1, 12):
        member_join(
            program=program, customer_id=f"f-{i}", email=f"f{i}@example.com", referral_code=referrer.referral_code
        )

    # when the list is opened again
    with django_assert_num_queries(REFERRAL_LIST_QUERIES):
        response = client.get(url)

    # then it cost the same queries
    assert len(response.context["cl"].result_list) == 12
