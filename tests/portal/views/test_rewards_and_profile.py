"""Redeeming from the portal (confirmation, code shown, refusals in words, double submit once) and the profile."""

from datetime import date

from django.urls import reverse

from members.services.ledger import ledger_verify
from rewards.models import Redemption
from tests.factories.portal import member_credit, portal_member, signed_in


def test_catalog_highlights_what_the_member_can_afford(client, shop, member):
    # given: 148 Stars
    signed_in(client, member)
    # when
    page = client.get(reverse("portal:rewards", kwargs={"slug": shop.slug})).content.decode()
    # then
    assert page.count('class="affordable"') == 1  # $5 off (100); $20 off is too dear, the gold gift needs Gold
    assert "4,852 more Stars needed" in page
    assert "For Gold members and above." in page


def test_redeem_asks_then_spends_and_shows_the_code(client, shop, member):
    # given
    signed_in(client, member)
    reward = shop.rewards.get(key="five-off")
    url = reverse("portal:redeem", kwargs={"slug": shop.slug, "reward_id": reward.pk})
    # when
    confirm = client.get(url)
    done = client.post(url, {"nonce": "abc123"}, follow=True)
    again = client.post(url, {"nonce": "abc123"})
    # then
    assert "Spend 100 Stars on this reward?" in confirm.content.decode()
    redemption = Redemption.objects.get(member=member)
    page = done.content.decode()
    assert "Done! You redeemed $5 off." in page
    assert f'data-copy="{redemption.voucher.code}"' in page
    assert again.status_code == 302
    assert Redemption.objects.filter(member=member).count() == 1
    member.refresh_from_db()
    assert member.points_balance == 48
    assert ledger_verify(program_id=shop.pk) == []


def test_a_refused_redemption_says_why_and_spends_nothing(client, shop, member):
    # given
    signed_in(client, member)
    reward = shop.rewards.get(key="twenty-off")
    # when
    page = client.post(
        reverse("portal:redeem", kwargs={"slug": shop.slug, "reward_id": reward.pk}), {"nonce": "n1"}, follow=True
    ).content.decode()
    # then
    assert "You don&#x27;t have enough points for this reward yet." in page
    member.refresh_from_db()
    assert member.points_balance == 148


def test_profile_saves_name_birthday_once_and_email_preference(client, shop):
    # given
    member = portal_member(shop)
    member_credit(member, 1)
    signed_in(client, member)
    url = reverse("portal:profile", kwargs={"slug": shop.slug})
    # when
    first = client.post(url, {"first_name": "Leila", "last_name": "Karimi", "birthday": "1990-04-02"})
    second = client.post(url, {"first_name": "Leila", "last_name": "K", "birthday": "2001-01-01"})
    # then
    assert first.status_code == second.status_code == 302
    member.refresh_from_db()
    assert (member.first_name, member.last_name, member.birthday) == ("Leila", "K", date(1990, 4, 2))
    assert member.emails_allowed is False  # the box was not ticked


def test_profile_refuses_a_birthday_in_the_future(client, shop):
    # given
    member = portal_member(shop)
    signed_in(client, member)
    # when
    response = client.post(reverse("portal:profile", kwargs={"slug": shop.slug}), {"birthday": "2999-01-01"})
    # then
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.birthday is None


def test_member_card_shows_the_number_and_a_qr_code(client, shop, member):
    # given
    signed_in(client, member)
    # when
    page = client.get(reverse("portal:card", kwargs={"slug": shop.slug})).content.decode()
    # then
    assert "<svg" in page
    assert member.referral_code[:4] in page
