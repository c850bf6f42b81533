"""Merchant staff and their roles. Each role is a Django permission group ("Merchant owner", …) so the
admin's ordinary permission checks apply; the scoped admin base then keeps each user inside their merchant.

- owner: everything of the program configuration, API keys and secrets, and the member service.
- manager: the program configuration and the member service; API keys and secrets view-only.
- support: views the program, members, ledger, vouchers and referrals; adjusts points and services vouchers.
Ledger rows, tier history, orders and events are view-only for every role: they change only through services.
"""

import logging

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from loyalty.choices import StaffRole
from loyalty.models import Merchant, MerchantMembership

logger = logging.getLogger(__name__)

ROLE_GROUP_NAMES = {
    StaffRole.OWNER: "Merchant owner",
    StaffRole.MANAGER: "Merchant manager",
    StaffRole.SUPPORT: "Merchant support",
}

# What a merchant configures: fully editable by owners and managers, viewable by support.
_CONFIG_MODELS = [
    "loyalty.program",
    "loyalty.earningrule",
    "loyalty.tier",
    "loyalty.segment",
    "rewards.reward",
    "referrals.referralsettings",
    "memberships.membershipplan",
    "donations.cause",
    "donations.donationpayout",  # marking donations paid out
    "challenges.challenge",
    "challenges.leaderboard",
]
_CREDENTIAL_MODELS = ["loyalty.apikey"]
_AUDIT_MODELS = ["loyalty.auditentry"]  # read-only for every role
# Records written by services (members, ledger, redemptions, referrals): view-only, members' profile editable.
_RECORD_APPS = ["members", "rewards", "referrals", "memberships", "donations", "challenges"]
_ALL = ("add", "change", "delete", "view")

_ROLE_CUSTOM = {
    StaffRole.OWNER: ["adjust_points", "assign_tier", "service_vouchers", "manage_credentials", "import_members"],
    StaffRole.MANAGER: ["adjust_points", "assign_tier", "service_vouchers", "import_members"],
    StaffRole.SUPPORT: ["adjust_points", "service_vouchers"],
}


def _model_perms(models: list[str], actions) -> Q:
    query = Q(pk__in=[])
    for label in models:
        app_label, model = label.split(".")
        codenames = [f"{action}_{model}" for action in actions]
        query |= Q(content_type__app_label=app_label, content_type__model=model, codename__in=codenames)
    return query


def role_permissions(role: str):
    """The permissions of a role (a queryset: models of apps not migrated yet are simply absent)."""
    query = Q(content_type__app_label__in=_RECORD_APPS, codename__startswith="view_")
    query |= Q(
        content_type__app_label="loyalty", content_type__model="merchantmembership", codename__in=_ROLE_CUSTOM[role]
    )
    if role == StaffRole.SUPPORT:
        query |= _model_perms(_CONFIG_MODELS, ["view"])
    else:
        query |= _model_perms(_CONFIG_MODELS, _ALL) | _model_perms(["members.member"], ["change"])
        query |= _model_perms(_CREDENTIAL_MODELS, _ALL if role == StaffRole.OWNER else ["view"])
    query |= _model_perms(_AUDIT_MODELS, ["view"])
    return Permission.objects.filter(query)


def staff_groups_sync() -> dict[str, Group]:
    """Create or refresh the role groups. Idempotent; run after migrations and before adding staff."""
    groups = {}
    for role, name in ROLE_GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(role_permissions(role))
        groups[role] = group
    return groups


@transaction.atomic
def merchant_staff_add(*, user, merchant: Merchant, role: str) -> MerchantMembership:
    """Make `user` staff of `merchant` with `role` (or change their role): they can log into the admin and
    belong to exactly the role's group."""
    groups = staff_groups_sync()
    membership, _created = MerchantMembership.objects.update_or_create(
        user=user, defaults={"merchant": merchant, "role": role}
    )
    user.groups.remove(*[group for other, group in groups.items() if other != role])
    user.groups.add(groups[role])
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    logger.info("merchant staff set merchant_id=%s user_id=%s role=%s", merchant.pk, user.pk, role)
    return membership
