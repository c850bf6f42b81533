"""The program page: configuration with inlines validated by the program file's rules, branding preview,
API keys shown once and revoked, secrets rotated, new programs saved into the user's merchant."""

from django.urls import reverse

from loyalty.choices import RuleType, StaffRole
from loyalty.models import ApiKey, EarningRule, Program, hash_api_key
from tests.admin.conftest import client_of, staff_user


def form_data(response) -> dict:
    """What the browser would post back unchanged: the program form and every inline formset."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.extend(formset.forms)
        management = formset.management_form
        for name, field in management.fields.items():
            data[management.add_prefix(name)] = management.initial.get(name, field.initial)
    for form in forms:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            value = value() if callable(value) else value
            value = field.prepare_value(value) if hasattr(field, "prepare_value") else value
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = value.pk if hasattr(value, "pk") else value
    return data


def test_program_page_saves_unchanged_and_shows_the_widget_preview(shop_b):
    # given the owner on the program page
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    page = client.get(url)
    # when they save it as it is
    response = client.post(url, form_data(page))
    # then it saves and the preview carries the colours
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert 'id="widget-preview"' in page.content.decode()
    assert f"--primary:{program.primary_color}" in page.content.decode()


def test_program_fields_are_refused_with_the_program_files_messages(shop_b):
    # given the owner on the program page
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    data = form_data(client.get(url))
    # when they post a bad colour, a bad origin and a bad locale
    data.update({"primary_color": "green", "allowed_origins": "https://ok.example.com\nshop.example.com/path",
                 "locale": "xx"})  # fmt: skip
    response = client.post(url, data)
    # then each field says what is wrong, and nothing is saved
    errors = response.context["adminform"].form.errors
    assert errors["primary_color"] == ["primary_color: must be a colour like #0a7d5a"]
    assert "shop.example.com/path must be an origin" in errors["allowed_origins"][0]
    assert errors["locale"] == ["locale: must be one of en, ar, fa"]
    program.refresh_from_db()
    assert program.allowed_origins == []


def test_allowed_origins_are_saved_one_per_line(shop_b):
    # given the owner on the program page
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    data = form_data(client.get(url))
    # when they enter two origins
    data["allowed_origins"] = "https://shop.example.com\n\nhttp://localhost:3000\n"
    client.post(url, data)
    # then both are stored as a list
    program.refresh_from_db()
    assert program.allowed_origins == ["https://shop.example.com", "http://localhost:3000"]


def test_an_earning_rule_with_a_bad_key_gets_the_program_files_message(shop_b):
    # given the owner on the program page
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    data = form_data(client.get(url))
    # when they rename the sign-up rule's key to something a program file refuses
    data["earning_rules-0-key"] = "Big_Basket!"
    response = client.post(url, data)
    # then the rule row carries the program file's message
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "earning_rules")
    assert formset.forms[0].errors["key"][-1].startswith("key: must be lowercase letters")


def test_a_bonus_campaign_added_inline_is_a_bonus_multiplier_rule(shop_b):
    # given the owner on the program page
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    page = client.get(url)
    data = form_data(page)
    prefix = next(f.formset.prefix for f in page.context["inline_admin_formsets"] if "bonus" in f.opts.verbose_name)
    # when they add a double-points weekend
    data.update({f"{prefix}-TOTAL_FORMS": 1, f"{prefix}-0-key": "double-weekend", f"{prefix}-0-multiplier": "2",
                 f"{prefix}-0-active": "on", f"{prefix}-0-position": 0})  # fmt: skip
    response = client.post(url, data)
    # then it is saved as a bonus multiplier rule of this program
    assert response.status_code == 302
    rule = EarningRule.objects.get(key="double-weekend")
    assert (rule.program, rule.type, str(rule.multiplier)) == (program, RuleType.BONUS_MULTIPLIER, "2.0000")


def test_an_invite_only_tier_with_a_threshold_is_refused(shop_b):
    # given the owner on the program page
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    data = form_data(client.get(url))
    # when they make the entry tier invite-only but keep its threshold
    data["tiers-0-invite_only"] = "on"
    response = client.post(url, data)
    # then the program file's rule refuses it
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "tiers")
    assert "threshold: not allowed for an invite-only tier" in str(formset.forms[0].errors)


def test_a_new_program_is_saved_into_the_users_merchant(shop_b):
    # given a manager, who never sees a merchant field
    merchant, _program, _member = shop_b
    client = client_of(staff_user(merchant, role=StaffRole.MANAGER))
    url = reverse("admin:loyalty_program_add")
    page = client.get(url)
    assert "merchant" not in page.context["adminform"].form.fields
    data = form_data(page)
    # when they add a program
    data.update({"name": "Second", "slug": "second-program", "currency": "EUR"})
    response = client.post(url, data)
    # then it belongs to their merchant
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Program.objects.get(slug="second-program").merchant == merchant


def test_issuing_an_api_key_shows_it_once_and_stores_only_its_hash(shop_b):
    # given the owner
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    # when they issue a key
    response = client.post(
        reverse("admin:loyalty_program_api_key_issue", args=[program.pk]), {"new_api_key_name": "erp"}
    )
    # then the page shows the raw key, which only matches the stored hash
    raw = response.context["value"]
    assert raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get(program=program, name="erp")
    assert key.key_hash == hash_api_key(raw)
    assert raw not in client.get(reverse("admin:loyalty_program_change", args=[program.pk])).content.decode()


def test_revoking_an_api_key(shop_b):
    # given the owner and the program's key
    merchant, program, _member = shop_b
    key = ApiKey.objects.get(program=program)
    client = client_of(staff_user(merchant))
    # when they revoke it
    response = client.post(reverse("admin:loyalty_program_api_key_revoke", args=[program.pk, key.pk]))
    # then it is revoked
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_rotating_the_digest_secret_shows_the_new_one(shop_b):
    # given the owner
    merchant, program, _member = shop_b
    old = program.digest_secret
    client = client_of(staff_user(merchant))
    # when they rotate the widget digest secret
    response = client.post(reverse("admin:loyalty_program_secret_rotate", args=[program.pk, "digest_secret"]))
    # then a new secret is stored and shown once
    program.refresh_from_db()
    assert program.digest_secret != old
    assert response.context["value"] == program.digest_secret


def test_only_owners_manage_credentials_and_only_their_own(shop_a, shop_b):
    # given a manager of B, and B's owner facing A's program
    merchant_b, program_b, _member = shop_b
    manager = client_of(staff_user(merchant_b, role=StaffRole.MANAGER))
    owner_b = client_of(staff_user(merchant_b))
    program_a = shop_a[1]
    key_a = ApiKey.objects.get(program=program_a)
    old_secret = program_a.webhook_secret
    # when they try to issue, revoke and rotate
    refused_manager = manager.post(reverse("admin:loyalty_program_api_key_issue", args=[program_b.pk]))
    rotate_a = owner_b.post(reverse("admin:loyalty_program_secret_rotate", args=[program_a.pk, "webhook_secret"]))
    revoke_a = owner_b.post(reverse("admin:loyalty_program_api_key_revoke", args=[program_a.pk, key_a.pk]))
    unknown = owner_b.post(reverse("admin:loyalty_program_secret_rotate", args=[program_b.pk, "public_key"]))
    # then the manager is forbidden, the other merchant's program is not found, nothing changed
    assert refused_manager.status_code == 403
    assert (rotate_a.status_code, revoke_a.status_code, unknown.status_code) == (404, 404, 404)
    program_a.refresh_from_db()
    key_a.refresh_from_db()
    assert program_a.webhook_secret == old_secret
    assert key_a.revoked_at is None
    assert ApiKey.objects.filter(program=program_b).count() == 1


def test_a_reward_is_checked_by_the_program_files_catalog_rules(shop_b):
    # given the owner on the program page
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    data = form_data(client.get(url))
    # when they make the fixed discount reward a free product without a product id
    data["rewards-0-type"] = "free_product"
    response = client.post(url, data)
    # then the program file's messages say what is wrong
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "rewards")
    errors = str(formset.forms[0].errors)
    assert "product_id: required" in errors
    assert "value: not allowed for reward type free_product" in errors


def test_the_referral_offer_is_checked_by_the_program_files_rules(shop_b):
    # given the owner on the program page
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    data = form_data(client.get(url))
    # when they enable referrals with points given as text and no friend reward
    data.update(
        {"referrals_enabled": "on", "referrer_reward": '{"type": "points", "points": "500"}', "friend_reward": "{}"}
    )
    response = client.post(url, data)
    # then each side says what is wrong, and a valid offer then saves
    errors = response.context["adminform"].form.errors
    assert errors["referrer_reward"] == ["referrer_reward.points: must be a whole number"]
    assert errors["friend_reward"] == ["friend_reward: required when referrals are enabled"]
    data["referrer_reward"] = '{"type": "points", "points": 500}'
    data["friend_reward"] = '{"type": "fixed_discount", "value": "10.00"}'
    assert client.post(url, data).status_code == 302
    program.refresh_from_db()
    assert (program.referrals_enabled, program.friend_reward["value"]) == (True, "10.00")


def test_tiers_must_form_a_ladder_as_in_the_program_file(shop_b):
    # given the owner on the program page with the entry tier at 0
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    data = form_data(client.get(url))
    # when they add a second tier, ranked higher (above the factory's position, whatever tests ran before), also at
    # threshold 0
    higher = program.tiers.order_by("-position").first().position + 1
    data.update({"tiers-TOTAL_FORMS": 2, "tiers-1-key": "silver", "tiers-1-name": "Silver", "tiers-1-position": higher,
                 "tiers-1-threshold": "0", "tiers-1-multiplier": "1"})  # fmt: skip
    response = client.post(url, data)
    # then the program file's ladder rule refuses it, naming the tier
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "tiers")
    assert formset.non_form_errors() == ["tier 'silver'.threshold: only one tier can have threshold 0 (the entry tier)"]
    assert not program.tiers.filter(key="silver").exists()


def test_urls_typed_without_a_scheme_are_https():
    # given the merchant forms' URL fields (program links, reward image, webhook endpoint)
    from loyalty.admin_forms import ProgramForm, RewardForm
    from members.admin_jobs import WebhookEndpointForm

    fields = [ProgramForm.base_fields["logo_url"], RewardForm.base_fields["image_url"],
              WebhookEndpointForm.base_fields["url"]]  # fmt: skip
    # when a URL is typed without its scheme
    # then it is read as https (Django 6's default, without its deprecation warning today)
    assert {field.clean("shop.example/x") for field in fields} == {"https://shop.example/x"}
