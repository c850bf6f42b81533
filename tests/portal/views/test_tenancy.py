"""A member only ever sees their own data: not another member's pages or codes, not another program's."""

from django.urls import reverse

from rewards.services.redemptions import reward_redeem
from tests.factories.portal import member_credit, portal_member, portal_program, signed_in


def test_a_session_of_one_program_is_nobody_in_another(client, shop, member, db):
    # given
    other = portal_program()
    signed_in(client, member)
    # when
    response = client.get(reverse("portal:dashboard", kwargs={"slug": other.slug}))
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:sign-in", kwargs={"slug": other.slug})


def test_members_of_two_programs_in_one_browser_each_see_their_own(client, shop, member, db):
    # given
    other = portal_program()
    stranger = portal_member(other, orders=1, subtotal="777.00")
    signed_in(client, member)
    signed_in(client, stranger)
    # when
    mine = client.get(reverse("portal:dashboard", kwargs={"slug": shop.slug})).content.decode()
    theirs = client.get(reverse("portal:dashboard", kwargs={"slug": other.slug})).content.decode()
    # then
    assert "148 Stars" in mine and "827" not in mine
    assert "827 Stars" in theirs


def test_another_members_codes_never_show(client, shop, member):
    # given: someone else redeemed a reward
    neighbour = portal_member(shop)
    member_credit(neighbour, 500)
    redemption, _ = reward_redeem(member=neighbour, reward=shop.rewards.get(key="five-off"))
    signed_in(client, member)
    # when
    page = client.get(reverse("portal:rewards", kwargs={"slug": shop.slug})).content.decode()
    # then
    assert redemption.voucher.code not in page


def test_another_programs_reward_cannot_be_redeemed(client, shop, member, db):
    # given
    other = portal_program()
    foreign = other.rewards.get(key="five-off")
    signed_in(client, member)
    # when
    confirm = client.get(reverse("portal:redeem", kwargs={"slug": shop.slug, "reward_id": foreign.pk}))
    post = client.post(reverse("portal:redeem", kwargs={"slug": shop.slug, "reward_id": foreign.pk}), {"nonce": "x"})
    # then
    assert confirm.status_code == 404
    assert post.status_code == 404
    member.refresh_from_db()
    assert member.points_balance == 148


def test_a_tampered_session_value_signs_nobody_in(client, shop, member):
    # given: a session claiming a member id under the wrong program key
    session = client.session
    session["portal_members"] = {str(shop.pk + 999): member.pk}
    session.save()
    # when
    response = client.get(reverse("portal:dashboard", kwargs={"slug": shop.slug}))
    # then
    assert response.status_code == 302


def test_unsubscribe_link_of_another_program_is_not_found(client, shop, member, db):
    # given
    from members.portal.links import unsubscribe_token

    other = portal_program()
    token = unsubscribe_token(member)
    # when
    elsewhere = client.post(reverse("portal:unsubscribe", kwargs={"slug": other.slug, "token": token}))
    here = client.post(reverse("portal:unsubscribe", kwargs={"slug": shop.slug, "token": token}))
    # then
    assert elsewhere.status_code == 404
    assert here.status_code == 200
    member.refresh_from_db()
    assert member.emails_allowed is False
