import pytest
from playwright.sync_api import expect

from loyalty.choices import RuleType
from rewards.models import Voucher
from tests.factories import EarningRuleFactory, ProgramFactory, RewardFactory
from tests.factories.rewards import member_with_points
from tests.storefront.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _demo_program(settings, **fields):
    program = ProgramFactory(points_name_singular="Star", points_name_plural="Stars", **fields)
    settings.DEMO_SHOP_PROGRAM_SLUGS = [program.slug]
    return program


def _open_widget(page, url: str):
    page.goto(url)
    launcher = page.locator("#loyalty-widget .launcher")
    launcher.click()
    panel = page.locator("#loyalty-panel")
    panel.wait_for(state="visible")
    return launcher, panel


def test_a_signed_in_shopper_sees_the_balance_redeems_and_copies_the_code(live_server, settings, page):
    # given
    program = _demo_program(settings)
    member_with_points(program, 800, customer_id="c-1")
    RewardFactory(program=program, name="$5 off", points_cost=500)

    # when
    launcher, panel = _open_widget(page, f"{live_server.url}/demo/shop/?program={program.slug}&customer=c-1")
    balance = panel.locator("[data-balance]")
    balance.wait_for()

    # then
    assert launcher.get_attribute("aria-expanded") == "true"
    assert balance.inner_text() == "800 Stars"
    badge = page.locator("[data-loyalty-points='49.99'] [data-points]")
    assert badge.inner_text() == "★ Earn 49 Stars"
    screenshot(page, "widget-member")

    # when
    panel.get_by_role("button", name="Redeem $5 off").click()
    code = panel.locator(".codebox [data-code]").first
    code.wait_for()

    # then
    voucher = Voucher.objects.get(member__customer_id="c-1")
    assert code.inner_text() == voucher.code
    page.wait_for_function(
        "document.querySelector('#loyalty-widget').shadowRoot.querySelector('[data-balance]').dataset.balance === '300'"
    )
    screenshot(page, "widget-redeemed")

    # when: keyboard only — Escape closes the panel and gives the focus back to the launcher
    page.keyboard.press("Escape")

    # then
    assert panel.is_hidden()
    assert launcher.get_attribute("aria-expanded") == "false"


def test_the_same_in_arabic_reads_right_to_left(live_server, settings, page):
    # given
    program = _demo_program(settings, locale="ar", name="مكافآت المتجر")
    member_with_points(program, 800, customer_id="c-1")
    RewardFactory(program=program, name="خصم 5", points_cost=500)

    # when
    _launcher, panel = _open_widget(page, f"{live_server.url}/demo/shop/?program={program.slug}&customer=c-1")
    balance = panel.locator("[data-balance]")
    balance.wait_for()

    # then
    direction = page.evaluate(
        "getComputedStyle(document.querySelector('#loyalty-widget').shadowRoot.querySelector('#loyalty-panel')).direction"
    )
    assert direction == "rtl"
    expected = page.evaluate("new Intl.NumberFormat('ar').format(800)") + " Stars"
    assert balance.inner_text() == expected
    assert panel.get_by_role("button", name="استبدال خصم 5").is_enabled()
    screenshot(page, "widget-member-ar")


def test_a_guest_sees_how_to_join_and_earn(live_server, settings, page):
    # given
    program = _demo_program(settings)
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, name="Welcome", points=100)

    # when
    _launcher, panel = _open_widget(page, f"{live_server.url}/demo/shop/?program={program.slug}")

    # then
    assert panel.get_by_role("link", name="Join now").get_attribute("href").endswith(f"/p/{program.slug}/")
    assert "Welcome" in panel.inner_text()
    screenshot(page, "widget-guest")


def test_badges_with_the_same_subtotal_share_one_preview_request(live_server, settings, page):
    # given: the demo shop with two more badges at a price it already shows
    program = _demo_program(settings)
    url = f"{live_server.url}/demo/shop/?program={program.slug}"

    def with_repeated_badges(route):
        response = route.fetch()
        extra = '<span data-loyalty-points="49.99"></span><span data-loyalty-points="49.99"></span>'
        route.fulfill(response=response, body=response.text().replace("</main>", extra + "</main>"))

    page.route(url, with_repeated_badges)
    previews = []
    page.on("request", lambda request: previews.append(request.url) if "points-preview" in request.url else None)

    # when
    page.goto(url)
    expect(page.locator("[data-loyalty-points] [data-points]")).to_have_count(6)

    # then: every badge is drawn, with one request per distinct subtotal
    badges = page.locator("[data-loyalty-points='49.99'] [data-points]")
    assert badges.count() == 3
    assert {badges.nth(i).inner_text() for i in range(3)} == {"★ Earn 49 Stars"}
    subtotals = [node.get_attribute("data-loyalty-points") for node in page.locator("[data-loyalty-points]").all()]
    assert len(subtotals) == 6
    assert len(previews) == len(set(subtotals)) == 4
