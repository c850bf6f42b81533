"""The merchant admin in a real browser: a support user logs in, opens the program's analytics dashboard
(SVG charts, reports, CSV links) and a member's page. Screenshots go to var/artifacts/admin-*.png."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from loyalty.choices import StaffRole
from loyalty.services.staff import merchant_staff_add
from members.jobs import run_job
from members.models import Member
from tests.admin.test_dashboard import shop  # noqa: F401  (the hand-computed shop fixture)
from tests.browser import chromium_browser, screenshot_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_support_logs_in_and_sees_the_dashboard_and_a_member(page, shop):  # noqa: F811
    # given a support user of the shop's merchant
    user = get_user_model().objects.create_user(username="sam", password="correct horse battery")
    merchant_staff_add(user=user, merchant=shop.merchant, role=StaffRole.SUPPORT)
    ann = Member.objects.get(program=shop, customer_id="ann")
    run_job("refresh_analytics", timezone.now())  # the hourly rollups the dashboard reads

    # when they log in through the admin's login form and open the dashboard
    page.goto("/admin/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/loyalty/program/{shop.pk}/dashboard/")

    # then the reports are drawn, with charts and their CSV links
    summary = page.locator("#report-summary").inner_text()
    assert "liability_EUR" in summary and "39.00" in summary
    assert page.locator("#report-points svg.chart rect").count() > 3
    assert page.locator("a", has_text="Download CSV").count() == 7
    assert "Data as of" in page.locator("#dashboard-freshness").inner_text()
    screenshot_save(page, "admin-dashboard", full_page=True)

    # when they open Ann's member page
    page.goto(f"/admin/members/member/{ann.pk}/change/")

    # then balance, tier and ledger are there
    assert "250" in page.locator("#member-summary").inner_text()
    assert page.get_by_text("Order #o1").count() >= 1
    screenshot_save(page, "admin-member", full_page=True)
