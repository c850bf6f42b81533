from decimal import Decimal

from django.db import connection
from django.test import override_settings

from loyalty.choices import RuleType
from members.models import Member, Transaction
from members.services.adjustments import points_adjust
from tests.factories import EarningRuleFactory, TierFactory
from tests.members.api.conftest import post

MEMBER_FIELDS = {
    "customer_id",
    "email",
    "first_name",
    "last_name",
    "birthday",
    "points_balance",
    "pending_points",
    "lifetime_points",
    "tier",
    "next_tier",
    "next_expiry",
    "referral_code",
    "referral_url",
    "created_at",
    "attributes",
}


@override_settings(SITE_URL="https://rewards.example.com")
def test_upsert_creates_a_member_with_the_signup_points(api, program, assert_ledger_clean):
    # given a program with a sign-up rule and two tiers
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100)
    TierFactory(program=program, key="bronze", name="Bronze", threshold=Decimal("0"), position=1)
    TierFactory(program=program, key="gold", name="Gold", threshold=Decimal("500"), position=2)

    # when a new customer is sent
    response = post(
        api,
        "/api/v1/members",
        {"customer_id": "c-42", "email": "layla@example.com", "first_name": "ليلى", "birthday": "1990-04-12"},
    )

    # then it is created with the welcome points and the exact member shape
    assert response.status_code == 201
    body = response.json()
    assert set(body) == MEMBER_FIELDS
    assert body["customer_id"] == "c-42"
    assert body["first_name"] == "ليلى"
    assert body["birthday"] == "1990-04-12"
    assert (body["points_balance"], body["pending_points"], body["lifetime_points"]) == (100, 0, 100)
    assert body["tier"] == {"key": "bronze", "name": "Bronze"}
    assert body["next_tier"] == {"key": "gold", "name": "Gold", "remaining": 400}
    assert body["referral_url"] == f"https://rewards.example.com/r/{body['referral_code']}"
    assert_ledger_clean()


def test_upsert_of_an_existing_member_updates_the_profile_and_awards_nothing_again(api, program):
    # given a member who got the sign-up points
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100)
    post(api, "/api/v1/members", {"customer_id": "c-42", "email": "old@example.com", "last_name": "Haddad"})

    # when the same customer is sent again with a new email
    response = post(api, "/api/v1/members", {"customer_id": "c-42", "email": "new@example.com"})

    # then it is a 200, the email changed, the untouched fields stayed and no points were added
    assert response.status_code == 200
    assert response.json()["email"] == "new@example.com"
    assert response.json()["last_name"] == "Haddad"
    assert response.json()["points_balance"] == 100
    assert Member.objects.count() == 1
    assert Transaction.objects.count() == 1


def test_get_member_without_tiers_has_null_tiers(api, member):
    # given a member of a program without tiers
    # when it is fetched
    response = api.get("/api/v1/members/c-1")

    # then the tier fields are null
    assert response.status_code == 200
    assert set(response.json()) == MEMBER_FIELDS
    assert response.json()["tier"] is None
    assert response.json()["next_tier"] is None


def test_get_member_shows_the_current_balance(api, member):
    # given a member credited by hand
    points_adjust(member=member, points=250, reason="Welcome gift")

    # when it is fetched
    response = api.get("/api/v1/members/c-1")

    # then the balance is the ledger's
    assert response.json()["points_balance"] == 250
    assert response.json()["lifetime_points"] == 0


def test_unknown_member_is_a_404_in_the_error_shape(api, program):
    # given no member
    # when one is fetched
    response = api.get("/api/v1/members/nobody")

    # then the answer is the error shape
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "member_not_found"


def test_creating_a_member_costs_a_fixed_number_of_statements(
    api, program, settings, django_assert_num_queries, assert_ledger_clean
):
    # given a program with a sign-up rule and two tiers, and a warm process (key, rules, tiers, webhooks cached)
    settings.PROGRAM_CONFIG_CACHE_SECONDS = 3600
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100)
    TierFactory(program=program, key="bronze", threshold=Decimal("0"), position=1)
    TierFactory(program=program, key="gold", threshold=Decimal("500"), position=2)
    post(api, "/api/v1/members", {"customer_id": "warm", "email": "warm@example.com"})

    # when a new customer is sent
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 5):
        response = post(api, "/api/v1/members", {"customer_id": "c-42", "email": "layla@example.com"})

    # then the miss, the member inserted with its entry tier and sign-up points (no savepoint, no re-read) with its
    # 'joined' tier change and its sign-up ledger row (one statement on PostgreSQL, three on SQLite), the next tier;
    # outside a test the creation's transaction adds BEGIN and COMMIT (no attributes sent: no transaction for them)
    assert response.status_code == 201
    assert response.json()["points_balance"] == 100 and response.json()["tier"]["key"] == "bronze"
    assert_ledger_clean()
