"""`/r/{code}`: the landing page in the program's language and branding, and the claim form."""

import re

import pytest
from django.test import Client

from referrals.choices import ReferralStatus
from referrals.models import Referral
from referrals.selectors import referral_url
from referrals.services.flows import member_join
from referrals.services.fraud import referral_settings_get
from referrals.views import CLAIMS_PER_IP_PER_HOUR
from rewards.models import Voucher

# referrer + program, member by email, settings, savepoint, referrer lock, referrer's matching signals,
# earlier orders of the email, this month's count, savepoint, insert, release ×2
CLAIM_QUERIES = 13


def test_page_in_english_explains_the_offer_and_links_the_shop(client, program, referrer, django_assert_num_queries):
    # given a referrer's link
    url = f"/r/{referrer.referral_code}"

    # when a friend opens it (one query: the referrer with the program)
    with django_assert_num_queries(1):
        response = client.get(url)

    # then the page is English, left-to-right, branded, with the offer, the form and the shop link
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en" dir="ltr">' in html
    assert "Alice sent you a gift" in html
    assert "10.00 USD off" in html
    assert "Valid on orders of 50.00 USD or more." in html
    assert f'href="https://shop.example.com/?ref={referrer.referral_code}"' in html
    assert "--primary: #0a7d5a" in html
    assert 'name="email"' in html


@pytest.mark.parametrize(
    ("locale", "query", "lang", "direction", "phrase"),
    [
        ("ar", "", "ar", "rtl", "أرسل لك Alice هدية"),
        ("en", "?lang=ar", "ar", "rtl", "خصم 10.00 USD"),
        ("fa", "", "fa", "rtl", "Alice برای شما هدیه‌ای فرستاده است"),
        ("ar", "?lang=en", "en", "ltr", "Alice sent you a gift"),
        ("ar", "?lang=xx", "en", "ltr", "Claim my gift"),
    ],
)
def test_page_language_follows_the_program_unless_overridden(
    client, program, referrer, locale, query, lang, direction, phrase
):
    # given a program in a language
    program.locale = locale
    program.save()

    # when the page is opened, maybe with ?lang=
    response = client.get(f"/r/{referrer.referral_code}{query}")

    # then it is in that language and direction
    html = response.content.decode()
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert phrase in html
    assert response["Content-Language"] == lang


def test_arabic_page_query_count_is_pinned_too(client, program, referrer, django_assert_num_queries):
    # given an Arabic program
    program.locale = "ar"
    program.save()

    # when / then
    with django_assert_num_queries(1):
        assert client.get(f"/r/{referrer.referral_code}/").status_code == 200


@pytest.mark.parametrize("code", ["NOPE2345", "x", "ab$%", "A" * 40])
def test_unknown_or_malformed_code_is_404(client, program, referrer, code):
    # given / when / then
    assert client.get(f"/r/{code}").status_code == 404


def test_code_of_a_program_without_referrals_is_404(client, program, referrer):
    # given
    program.referrals_enabled = False
    program.save()

    # when / then
    assert client.get(f"/r/{referrer.referral_code}").status_code == 404


def test_branding_colours_are_not_an_injection_point(client, program, referrer):
    # given a colour that is not a colour
    program.primary_color = "red;}"
    program.save()

    # when
    html = client.get(f"/r/{referrer.referral_code}").content.decode()

    # then the default is used
    assert "--primary: #0a7d5a" in html
    assert "red;}" not in html


def test_claim_records_the_friend_and_asks_them_to_join(client, program, referrer):
    # given the landing page
    # when a friend claims with an email
    response = client.post(f"/r/{referrer.referral_code}/claim", {"email": "bob@example.com", "device": "fp-9"})

    # then a claim is recorded with the request's IP and device, and the page says what happens next
    assert response.status_code == 200
    assert "Create your account at the shop" in response.content.decode()
    referral = Referral.objects.get()
    assert (referral.status, referral.friend_email) == (ReferralStatus.CLAIMED, "bob@example.com")
    assert (referral.ip_address, referral.device_fingerprint) == ("127.0.0.1", "fp-9")


def test_claim_by_an_existing_member_rewards_without_showing_the_code(client, program, referrer):
    # given a member who has not ordered
    member_join(program=program, customer_id="bob", email="bob@example.com")

    # when they claim
    html = client.post(f"/r/{referrer.referral_code}/claim?lang=ar", {"email": "bob@example.com"}).content.decode()

    # then the voucher is in their account, never on the page
    voucher = Voucher.objects.get()
    assert "تم! هديتك بانتظارك" in html
    assert voucher.code not in html


def test_refused_claim_does_not_say_why(client, program, referrer):
    # given / when the referrer claims with their own email
    html = client.post(f"/r/{referrer.referral_code}/claim", {"email": "alice@example.com"}).content.decode()

    # then the page refuses generically; the admin sees the reason
    assert "only for new customers" in html
    assert "self" not in html and "referrer" not in html
    assert Referral.objects.get().block_reason == "self_referral"


def test_claim_with_a_bad_email_is_400_and_writes_nothing(client, program, referrer):
    # given / when
    response = client.post(f"/r/{referrer.referral_code}/claim", {"email": "not-an-email"})

    # then
    assert response.status_code == 400
    assert "Please enter a valid email address." in response.content.decode()
    assert not Referral.objects.exists()


def test_claims_are_throttled_per_ip(client, program, referrer):
    # given an IP that has used up its claims
    for i in range(CLAIMS_PER_IP_PER_HOUR):
        client.post(f"/r/{referrer.referral_code}/claim", {"email": f"f{i}@example.com"})

    # when it claims once more
    response = client.post(f"/r/{referrer.referral_code}/claim", {"email": "one-more@example.com"})

    # then it is refused before anything is written
    assert response.status_code == 429
    assert not Referral.objects.filter(friend_email="one-more@example.com").exists()


def test_claim_needs_the_csrf_token(program, referrer):
    # given a client enforcing CSRF
    strict = Client(enforce_csrf_checks=True)

    # when posting without the token / with the token from the page
    refused = strict.post(f"/r/{referrer.referral_code}/claim", {"email": "bob@example.com"})
    page = strict.get(f"/r/{referrer.referral_code}")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    accepted = strict.post(
        f"/r/{referrer.referral_code}/claim", {"email": "bob@example.com", "csrfmiddlewaretoken": token}
    )

    # then
    assert refused.status_code == 403
    assert accepted.status_code == 200


def test_get_on_claim_is_not_allowed(client, program, referrer):
    assert client.get(f"/r/{referrer.referral_code}/claim").status_code == 405


def test_referral_url_is_absolute(program, referrer, settings):
    # given
    settings.SITE_URL = "https://loyal.example.com/"

    # when / then
    assert referral_url(code=referrer.referral_code) == f"https://loyal.example.com/r/{referrer.referral_code}"


@pytest.mark.parametrize("friends_before", [0, 5])
def test_claim_query_count_is_constant(client, program, referrer, friends_before, django_assert_num_queries):
    # given a referrer with no or several earlier claims (the program's fraud settings exist)
    referral_settings_get(program=program)
    for n in range(friends_before):
        client.post(f"/r/{referrer.referral_code}/claim", {"email": f"earlier{n}@example.com"}, REMOTE_ADDR="10.0.0.1")

    # when a new friend claims
    with django_assert_num_queries(CLAIM_QUERIES):
        response = client.post(f"/r/{referrer.referral_code}/claim", {"email": "bob@example.com"})

    # then the same queries answered
    assert response.status_code == 200
