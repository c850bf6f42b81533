"""Sign-in without passwords: a magic link by email (single-use, expiring, rate-limited, only for members)
and single sign-on from the shop (a link signed with the shopper's widget digest, good for five minutes)."""

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from loyalty.digests import sso_signature
from members.models import MagicLink
from members.portal.magic_links import magic_link_issue
from tests.factories.portal import portal_member, portal_program


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _ask_for_link(client, program, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("portal:sign-in", kwargs={"slug": program.slug}), {"email": email})


def _link_in(message) -> str:
    return re.search(r"http://\S+/sign-in/\S+/", message.body).group(0)


def test_a_member_gets_a_link_that_signs_them_in(client, shop, member, django_capture_on_commit_callbacks):
    # when
    response = _ask_for_link(client, shop, member.email.upper(), django_capture_on_commit_callbacks)
    path = _link_in(mail.outbox[0]).split("8000", 1)[-1]
    confirm = client.get(path)
    spent = client.post(path)
    # then
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert mail.outbox[0].to == [member.email]
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    assert "Continue to my account" in confirm.content.decode()
    assert spent.status_code == 302
    assert spent["Location"] == reverse("portal:dashboard", kwargs={"slug": shop.slug})
    assert client.get(spent["Location"]).status_code == 200


def test_the_email_is_in_the_programs_language(client, db, django_capture_on_commit_callbacks):
    # given
    shop = portal_program(locale="fa")
    member = portal_member(shop)
    # when
    _ask_for_link(client, shop, member.email, django_capture_on_commit_callbacks)
    # then
    assert mail.outbox[0].subject.startswith("پیوند ورود شما به")
    assert 'dir="rtl"' in mail.outbox[0].alternatives[0][0]


def test_a_stranger_gets_the_same_answer_and_no_email(client, shop, django_capture_on_commit_callbacks):
    # when
    response = _ask_for_link(client, shop, "nobody@example.com", django_capture_on_commit_callbacks)
    # then
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert mail.outbox == []
    assert MagicLink.objects.count() == 0


def test_a_bad_address_is_refused_and_nothing_is_written(client, shop, django_capture_on_commit_callbacks):
    # when
    response = _ask_for_link(client, shop, "not an email\x00", django_capture_on_commit_callbacks)
    # then
    assert response.status_code == 400
    assert MagicLink.objects.count() == 0


def test_a_link_works_once(client, shop, member):
    # given
    token = magic_link_issue(member=member)
    path = reverse("portal:magic-link", kwargs={"slug": shop.slug, "token": token})
    # when
    first = client.post(path)
    client.post(reverse("portal:sign-out", kwargs={"slug": shop.slug}))
    second = client.post(path)
    # then
    assert first.status_code == 302
    assert second.status_code == 400
    assert "This link has expired" in second.content.decode()
    assert client.get(reverse("portal:dashboard", kwargs={"slug": shop.slug})).status_code == 302


def test_a_link_expires_after_fifteen_minutes(client, shop, member):
    # given: a link issued 16 minutes ago
    token = magic_link_issue(member=member, at=timezone.now() - timedelta(minutes=16))
    # when
    response = client.post(reverse("portal:magic-link", kwargs={"slug": shop.slug, "token": token}))
    # then
    assert response.status_code == 400
    assert MagicLink.objects.get().used_at is None


def test_a_link_of_another_program_does_not_work_here(client, shop, member, db):
    # given
    other = portal_program()
    token = magic_link_issue(member=member)
    # when
    response = client.post(reverse("portal:magic-link", kwargs={"slug": other.slug, "token": token}))
    # then
    assert response.status_code == 400
    assert MagicLink.objects.get().used_at is None


def test_opening_the_link_does_not_spend_it(client, shop, member):
    # given: mail scanners open links with GET
    token = magic_link_issue(member=member)
    path = reverse("portal:magic-link", kwargs={"slug": shop.slug, "token": token})
    # when
    client.get(path)
    # then
    assert MagicLink.objects.get().used_at is None


def test_sending_links_is_rate_limited_per_address(client, shop, member, django_capture_on_commit_callbacks):
    # when
    answers = [
        _ask_for_link(client, shop, member.email, django_capture_on_commit_callbacks).status_code for _ in range(4)
    ]
    # then
    assert answers == [200, 200, 200, 429]
    assert len(mail.outbox) == 3


def test_signing_in_rotates_the_session_key(client, shop, member):
    # given
    client.get(reverse("portal:landing", kwargs={"slug": shop.slug}) + "?lang=ar")
    before = client.session.session_key
    token = magic_link_issue(member=member)
    # when
    client.post(reverse("portal:magic-link", kwargs={"slug": shop.slug, "token": token}))
    # then
    assert client.session.session_key != before


def _sso(client, program, customer_id, ts, sig):
    query = f"?customer={customer_id}&ts={ts}&sig={sig}"
    return client.get(reverse("portal:sso", kwargs={"slug": program.slug}) + query)


def test_single_sign_on_from_the_shop(client, shop, member):
    # given
    ts = int(time.time())
    # when
    response = _sso(client, shop, member.customer_id, ts, sso_signature(shop, member.customer_id, ts))
    # then
    assert response["Location"] == reverse("portal:dashboard", kwargs={"slug": shop.slug})
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("problem", ["stale", "wrong_signature", "other_customer", "other_program", "garbage"])
def test_single_sign_on_refuses_bad_links(client, shop, member, problem):
    # given
    other_member = portal_member(shop)
    ts = int(time.time()) - (10 * 60 if problem == "stale" else 0)
    program = portal_program() if problem == "other_program" else shop
    sig = sso_signature(program, member.customer_id, ts)
    customer = other_member.customer_id if problem == "other_customer" else member.customer_id
    if problem == "wrong_signature":
        sig = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    if problem == "garbage":
        customer, ts, sig = "\x00", "nan", "é"
    # when
    response = _sso(client, shop, customer, ts, sig)
    # then
    assert response["Location"] == reverse("portal:sign-in", kwargs={"slug": shop.slug})
    assert client.get(reverse("portal:dashboard", kwargs={"slug": shop.slug})).status_code == 302


def test_sign_out_needs_a_post_with_the_csrf_token(shop, member):
    # given
    from django.test import Client

    from tests.factories.portal import signed_in

    browser = signed_in(Client(enforce_csrf_checks=True), member)
    # when
    forged = browser.post(reverse("portal:sign-out", kwargs={"slug": shop.slug}))
    # then
    assert forged.status_code == 403
    assert browser.get(reverse("portal:dashboard", kwargs={"slug": shop.slug})).status_code == 200


def test_the_sign_on_link_helper_makes_a_link_that_works(client, shop, member, settings):
    # given
    from members.portal.links import portal_sign_on_url

    settings.SITE_URL = "http://testserver"
    url = portal_sign_on_url(program=shop, customer_id=member.customer_id)
    # when
    response = client.get(url.removeprefix("http://testserver"))
    # then
    assert response["Location"] == reverse("portal:dashboard", kwargs={"slug": shop.slug})
