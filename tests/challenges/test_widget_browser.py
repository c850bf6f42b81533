"""The widget's challenges panel in the demo shop, on the system Chromium."""

import pytest

from members.services.events import event_record
from tests.factories.challenges import ChallengeFactory
from tests.factories.rewards import member_with_points
from tests.storefront.browser.conftest import browser, page, screenshot  # noqa: F401 (fixtures)
from tests.storefront.browser.test_widget_in_demo_shop import _demo_program, _open_widget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_panel_shows_challenges_with_accessible_progress_bars(live_server, settings, page):  # noqa: F811
    # given a shopper halfway through "review 2 products"
    program = _demo_program(settings, locale="fa")
    member_with_points(program, 100, customer_id="c-1")
    ChallengeFactory(
        program=program,
        key="reviews",
        name="Review 2",
        metric="event",
        event_type="review",
        target=2,
        translations={"fa": {"name": "دو نقد"}},
    )
    event_record(program=program, event_id="e1", customer_id="c-1", type="review")
    # when the panel opens
    _launcher, panel = _open_widget(page, f"{live_server.url}/demo/shop/?program={program.slug}&customer=c-1")
    bar = panel.locator("[data-challenge='reviews'] [role=progressbar]")
    bar.wait_for()
    # then the bar says 1 of 2, in Persian
    assert bar.get_attribute("aria-valuenow") == "1" and bar.get_attribute("aria-valuemax") == "2"
    assert bar.get_attribute("aria-valuetext") == "۱ از ۲ انجام شده"
    assert "دو نقد" in panel.locator("[data-challenge='reviews']").inner_text()
    screenshot(page, "widget-challenges-fa")
