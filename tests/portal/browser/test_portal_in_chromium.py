"""The portal in a real browser: sign in by magic link from the email, see balance and tier progress, redeem a
reward, copy its code, switch to Arabic and Persian (right to left). Screenshots at phone and desktop sizes."""

import re

import pytest
from django.core import mail

from tests.factories.portal import portal_member, portal_program
from tests.portal.browser.conftest import DESKTOP, PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_signs_in_redeems_copies_the_code_and_reads_it_in_arabic_and_persian(phone, live_server, settings):
    # given: a Silver member with 650 Stars
    settings.SITE_URL = live_server.url
    shop = portal_program(name="Bean There Coffee", primary_color="#6b3e26", accent_color="#f2c14e")
    member = portal_member(shop, orders=2, subtotal="300.00", email="leila@example.com")
    mail.outbox.clear()

    # when: she asks for a sign-in link and follows it from the email
    phone.goto(f"/p/{shop.slug}/sign-in/")
    phone.get_by_label("Your email address").fill("leila@example.com")
    phone.get_by_role("button", name="Email me a sign-in link").click()
    phone.get_by_text("Check your inbox").wait_for()
    link = re.search(r"http://\S+/sign-in/\S+/", mail.outbox[0].body).group(0)
    phone.goto(link)
    phone.get_by_role("button", name="Continue to my account").click()

    # then: balance and tier progress
    phone.wait_for_url(f"**/p/{shop.slug}/me/")
    assert phone.get_by_test_id("balance").inner_text().endswith("650 Stars")
    assert phone.get_by_test_id("tier").inner_text() == "Silver"
    assert phone.get_by_role("progressbar").get_attribute("aria-valuenow") == "32"
    assert "1,350 more Stars to reach Gold" in phone.get_by_test_id("tier-progress").inner_text()
    screenshot(phone, "dashboard-phone")

    # when: she redeems $5 off, confirms, and copies the code
    phone.get_by_role("link", name="Rewards").click()
    phone.locator("li.affordable", has_text="$5 off").get_by_role("link", name="Redeem").click()
    phone.get_by_role("button", name="Yes, redeem it").click()
    phone.get_by_text("Done! You redeemed $5 off.").wait_for()
    code = phone.get_by_test_id("voucher-code").first.inner_text()
    phone.get_by_role("button", name="Copy").first.click()
    phone.get_by_role("button", name="Copied!").wait_for()

    # then: the clipboard holds the code, and the balance went down
    assert phone.evaluate("navigator.clipboard.readText()") == code
    member.refresh_from_db()
    assert member.points_balance == 550
    screenshot(phone, "rewards-phone")

    # when: she switches to Arabic with the language menu
    phone.get_by_label("Language").select_option("ar")
    phone.wait_for_url(re.compile(r"lang=ar"))

    # then: right to left, in Arabic, with Arabic-Indic digits
    assert phone.locator("html").get_attribute("dir") == "rtl"
    assert phone.get_by_role("heading", name="المكافآت", exact=True).is_visible()
    assert "٥٥٠" in phone.locator("main").inner_text()
    screenshot(phone, "rewards-phone-ar")

    # when: and to Persian, on the dashboard
    phone.goto(f"/p/{shop.slug}/me/?lang=fa")

    # then
    assert phone.locator("html").get_attribute("dir") == "rtl"
    assert phone.locator("html").get_attribute("lang") == "fa"
    assert phone.get_by_role("heading", name="سطح شما").is_visible()
    assert "۵۵۰" in phone.get_by_test_id("balance").inner_text()
    # the layout mirrors: the progress bar fills from the right
    bar = phone.locator(".progress span").bounding_box()
    track = phone.locator(".progress").bounding_box()
    assert abs((bar["x"] + bar["width"]) - (track["x"] + track["width"])) < 2
    screenshot(phone, "dashboard-phone-fa")
    screenshot(phone, "dashboard-desktop-fa", DESKTOP)
    phone.goto(f"/p/{shop.slug}/me/?lang=en")
    screenshot(phone, "dashboard-desktop", DESKTOP)
    phone.set_viewport_size(PHONE)
