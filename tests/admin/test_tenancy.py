"""Merchant B's staff walk every admin URL of merchant A's rows: they get 403, 404 or a redirect to the
admin index, never A's data. Every registered admin of merchant data must use the scoped base."""

import pytest
from django.contrib import admin
from django.urls import reverse

from loyalty.admin_base import (
    MerchantScopedAdmin,
    ScopedStackedInline,
    ScopedTabularInline,
    SuperuserOnlyAdmin,
    merchant_lookup,
)
from loyalty.choices import StaffRole
from loyalty.models import Program
from tests.admin.conftest import add_records, client_of, staff_user

MARKER = "alpha"  # every row of merchant A carries it in its name, key, email or customer id
# How A's rows print (the marker alone also appears where a search term is echoed back).
A_DATA = ["alpha rewards", "alpha-rewards", "alpha-cust", "alpha@", "alpha gold", "alpha-gold", "alpha-signup",
          "alpha five", "alpha-key", "alpha-friend", "alpha-mug", "alpha welcome", "alpha-order", "alpha-owner", ">alpha<"]  # fmt: skip


def leaked(response) -> list[str]:
    content = response.content.decode().lower()
    return [text for text in A_DATA if text in content]


def rows_of_merchant(model, merchant):
    lookup = merchant_lookup(model)
    if lookup is None:
        return []
    return list(model._default_manager.filter(**{lookup: merchant.pk}))


def admin_urls(model, obj):
    info = (model._meta.app_label, model._meta.model_name)
    return [reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[obj.pk]) for view in ("change", "delete", "history")]


def assert_refused(response):
    assert response.status_code in (302, 403, 404), response.status_code
    if response.status_code == 302:
        assert response["Location"] in (reverse("admin:index"), "/admin/"), response["Location"]
    assert leaked(response) == []


def test_every_admin_of_merchant_data_uses_the_scoped_base():
    # given every model registered in the admin
    # when we look at the admin class of each model that belongs to a merchant
    unscoped = []
    for model, model_admin in admin.site._registry.items():
        if merchant_lookup(model) is None or model._meta.app_label == "auth":
            continue
        if not isinstance(model_admin, MerchantScopedAdmin | SuperuserOnlyAdmin):
            unscoped.append(model.__name__)
        for inline in model_admin.inlines:
            if not issubclass(inline, ScopedTabularInline | ScopedStackedInline):
                unscoped.append(f"{model.__name__}.{inline.__name__}")
    # then none escapes the scoping
    assert unscoped == []


@pytest.mark.parametrize("role", [StaffRole.OWNER, StaffRole.MANAGER, StaffRole.SUPPORT])
def test_other_merchants_staff_get_no_admin_page_of_merchant_a(shop_a_with_records, shop_b, role):
    # given merchant A's rows of every registered model and a staff user of merchant B
    merchant_a, _program, _member = shop_a_with_records
    client = client_of(staff_user(shop_b[0], role=role, username=f"beta-{role}-2"))
    walked = set()
    for model in admin.site._registry:
        for obj in rows_of_merchant(model, merchant_a):
            for url in admin_urls(model, obj):
                # when B's staff open A's change, delete and history pages
                response = client.get(url)
                # then they are refused without a trace of A's data
                assert_refused(response)
                walked.add(model._meta.label)
    assert {
        "loyalty.Program", "loyalty.Tier", "members.Member", "members.Transaction", "auth.User", "rewards.Reward",
        "rewards.Redemption", "rewards.Voucher", "referrals.Referral", "referrals.ReferralSettings",
    } <= walked  # fmt: skip


@pytest.mark.parametrize("role", [StaffRole.OWNER, StaffRole.SUPPORT])
def test_changelists_show_only_the_own_merchants_rows(shop_a_with_records, shop_b, role):
    # given both merchants' rows
    client = client_of(staff_user(shop_b[0], role=role, username=f"beta-{role}-2"))
    for model, _model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        # when B's staff open every changelist, also searching for A's marker
        for query in ("", f"?q={MARKER}"):
            response = client.get(url + query)
            # then they see B's rows or are refused, never A's
            assert response.status_code in (200, 302, 403), (url, response.status_code)
            assert leaked(response) == [], url


def test_a_changelist_filtered_by_another_merchants_program_is_empty(shop_a, shop_b):
    # given A's program id
    _merchant_a, program_a, _member = shop_a
    client = client_of(staff_user(shop_b[0], username="beta-boss"))
    # when B's owner filters the member list by it
    response = client.get(reverse("admin:members_member_changelist") + f"?tier__id__exact={program_a.tiers.get().pk}")
    # then nothing of A shows
    assert leaked(response) == []


def test_posting_a_delete_of_another_merchants_program_deletes_nothing(shop_a, shop_b):
    # given A's program and B's owner
    _merchant_a, program_a, _member = shop_a
    client = client_of(staff_user(shop_b[0], username="beta-boss"))
    # when B's owner confirms a delete of A's program, in the delete view and through the bulk action
    client.post(reverse("admin:loyalty_program_delete", args=[program_a.pk]), {"post": "yes"})
    client.post(
        reverse("admin:loyalty_program_changelist"),
        {"action": "delete_selected", "_selected_action": [program_a.pk], "post": "yes"},
    )
    # then A's program is still there
    assert Program.objects.filter(pk=program_a.pk).exists()


def test_autocomplete_never_offers_another_merchants_rows(shop_a_with_records, shop_b):
    # given every foreign key of a registered model pointing at a searchable registered model
    client = client_of(staff_user(shop_b[0], username="beta-boss"))
    asked = 0
    for source, _source_admin in admin.site._registry.items():
        for field in source._meta.get_fields():
            target_admin = admin.site._registry.get(getattr(field, "related_model", None))
            if not (field.many_to_one and target_admin and target_admin.search_fields):
                continue
            # when B's owner asks the autocomplete endpoint, with and without A's marker
            for term in ("", MARKER, "a"):
                response = client.get(
                    reverse("admin:autocomplete"),
                    {
                        "app_label": source._meta.app_label,
                        "model_name": source._meta.model_name,
                        "field_name": field.name,
                        "term": term,
                    },
                )
                # then the answer holds no row of A
                assert response.status_code in (200, 403, 404)
                assert leaked(response) == [], (source, field.name)
                asked += 1
    assert asked >= 6


def test_autocomplete_offers_the_own_merchants_rows(shop_a, shop_b):
    # given B's member
    client = client_of(staff_user(shop_b[0], username="beta-boss"))
    # when B's owner autocompletes a transaction's member
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "members", "model_name": "transaction", "field_name": "member", "term": "beta-cust"},
    )
    # then B's member is offered
    assert [r["text"] for r in response.json()["results"]] == ["beta@example.com"]


def test_superusers_see_every_merchant(shop_a, shop_b, django_user_model):
    # given a superuser
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    # when they list programs
    response = client_of(root).get(reverse("admin:loyalty_program_changelist"))
    # then both merchants' programs show
    assert "Alpha Rewards" in response.content.decode()
    assert "Beta Rewards" in response.content.decode()


def test_staff_of_no_merchant_see_nothing(shop_a, django_user_model):
    # given a staff user who belongs to no merchant, even holding every permission of a role group
    from django.contrib.auth.models import Group

    from loyalty.services.staff import staff_groups_sync

    staff_groups_sync()
    user = django_user_model.objects.create_user("drifter", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Merchant owner"))
    client = client_of(user)
    # when they open the program list and A's program
    listing = client.get(reverse("admin:loyalty_program_changelist"))
    page = client.get(reverse("admin:loyalty_program_change", args=[shop_a[1].pk]))
    # then they are refused
    assert listing.status_code == 403
    assert page.status_code in (302, 403)
    assert leaked(page) == []


def test_every_changelist_survives_hostile_query_strings(shop_b, django_user_model):
    # given a superuser, who reaches every changelist
    root = client_of(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        # when the query string holds a NUL, a huge term, a bad page and a bad filter value
        for query in ({"q": "a\x00b"}, {"q": "x" * 5000}, {"p": "abc"}, {"tier__id__exact": "abc"}):
            response = root.get(url, query)
            # then the admin answers without a server error
            assert response.status_code in (200, 302), (url, query, response.status_code)


def test_own_pages_and_forms_offer_no_row_of_another_merchant(shop_a_with_records, shop_b):
    # given B's rows of every kind and B's owner
    merchant_b, program_b, member_b = shop_b
    add_records(program_b, member_b, "beta")
    client = client_of(staff_user(merchant_b, username="beta-boss"))
    opened = 0
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls = [reverse(f"{info}_add")] + [
            reverse(f"{info}_change", args=[o.pk]) for o in rows_of_merchant(model, merchant_b)
        ]
        for url in urls:
            # when the owner opens their own add and change pages (selects, inlines, autocompletes)
            response = client.get(url)
            # then no choice, inline row or link shows A's data
            assert leaked(response) == [], url
            opened += response.status_code == 200
    assert opened >= 10
