"""Staff memberships: a superuser makes a user a merchant's staff; the role's group carries the permissions."""

from django.contrib.auth.models import Group
from django.urls import reverse

from loyalty.choices import StaffRole
from loyalty.models import MerchantMembership
from loyalty.services.staff import ROLE_GROUP_NAMES, merchant_staff_add
from tests.admin.conftest import client_of
from tests.factories import MerchantFactory


def test_a_superuser_adds_staff_through_the_membership_admin(db, django_user_model):
    # given a superuser, a merchant and a plain user
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    merchant = MerchantFactory()
    clerk = django_user_model.objects.create_user("clerk", password="pw")
    # when the superuser makes the user support staff of the merchant
    response = client_of(root).post(
        reverse("admin:loyalty_merchantmembership_add"),
        {"user": clerk.pk, "merchant": merchant.pk, "role": StaffRole.SUPPORT},
    )
    # then the user is staff, in the support group, and may adjust points but not edit the program
    assert response.status_code == 302
    clerk = django_user_model.objects.get(pk=clerk.pk)
    assert clerk.is_staff
    assert MerchantMembership.objects.get(user=clerk).merchant == merchant
    assert [g.name for g in clerk.groups.all()] == [ROLE_GROUP_NAMES[StaffRole.SUPPORT]]
    assert clerk.has_perm("loyalty.adjust_points")
    assert clerk.has_perm("members.view_transaction")
    assert not clerk.has_perm("loyalty.change_program")
    assert not clerk.has_perm("loyalty.manage_credentials")


def test_changing_a_role_moves_the_user_to_that_group_only(db, django_user_model):
    # given an owner
    merchant = MerchantFactory()
    user = django_user_model.objects.create_user("boss", password="pw")
    merchant_staff_add(user=user, merchant=merchant, role=StaffRole.OWNER)
    # when they become a manager
    merchant_staff_add(user=user, merchant=merchant, role=StaffRole.MANAGER)
    # then they are in the manager group alone, without credential rights
    user = django_user_model.objects.get(pk=user.pk)
    assert [g.name for g in user.groups.all()] == [ROLE_GROUP_NAMES[StaffRole.MANAGER]]
    assert user.has_perm("loyalty.change_program")
    assert not user.has_perm("loyalty.manage_credentials")
    assert not user.has_perm("loyalty.add_apikey")


def test_no_role_may_add_or_delete_members_or_touch_memberships(db):
    # given the role groups
    from loyalty.services.staff import staff_groups_sync

    groups = staff_groups_sync()
    # when we read their permissions
    codenames = {p.codename for group in groups.values() for p in group.permissions.all()}
    # then members are never added or deleted and staff are managed by superusers only
    assert {"add_member", "delete_member", "delete_transaction", "change_transaction"}.isdisjoint(codenames)
    assert not any(code.endswith("merchantmembership") or code.endswith("merchant") for code in codenames)
    assert Group.objects.count() == 3
