"""Valid program files and the canonical form they are read into (what export writes back)."""

import json

from loyalty.program_file import program_file_parse
from tests.loyalty.program_file.documents import DEMO_PATH, changed, example

MINIMAL = {"merchant": "Corner Bakery", "name": "Crumbs", "slug": "crumbs", "currency": "EUR"}


def test_the_contract_example_is_valid_and_keeps_its_values():
    # given the example program file of the contract
    document = example()
    # when it is parsed
    config = program_file_parse(document)
    # then every value is kept, and the sections are all there
    assert config["slug"] == "acme"
    assert config["points_name"] == {"singular": "Star", "plural": "Stars"}
    assert config["earning"]["rules"][2] == {
        "key": "review",
        "type": "custom_event",
        "event": "review_posted",
        "points": 50,
        "limit": {"count": 3, "period": "month"},
    }
    assert config["tiers"]["levels"][2] == {
        "key": "reserve",
        "name": "Reserve",
        "invite_only": True,
        "multiplier": "1.5",
        "perks": ["Invitations to private tastings"],
    }
    assert config["rewards"][3] == {
        "key": "mug",
        "name": "Acme mug",
        "type": "free_product",
        "product_id": "SKU-MUG",
        "points_cost": 1500,
        "stock": 100,
        "limit_per_member": 1,
    }
    assert config["referrals"]["friend_reward"] == {"type": "fixed_discount", "value": "10.00", "min_subtotal": "50.00"}


def test_the_demo_program_is_valid_and_uses_every_rule_and_reward_type():
    # given the demo program shipped in the repository
    document = json.loads(DEMO_PATH.read_text())
    # when it is parsed
    config = program_file_parse(document)
    # then it shows everything a program can do
    assert config["slug"] == "demo"
    assert {rule["type"] for rule in config["earning"]["rules"]} == {
        "signup",
        "birthday",
        "custom_event",
        "order_threshold",
        "bonus_multiplier",
    }
    assert {reward["type"] for reward in config["rewards"]} == {
        "fixed_discount",
        "percent_discount",
        "free_shipping",
        "free_product",
        "gift_card",
        "store_credit",
        "physical",
        "experience",
    }
    assert [level.get("invite_only", False) for level in config["tiers"]["levels"]] == [False, False, False, True]
    assert config["referrals"]["enabled"] is True


def test_a_minimal_document_gets_every_default():
    # given only the four required fields
    # when parsed
    config = program_file_parse(dict(MINIMAL))
    # then every section is present with its default
    assert config == {
        **MINIMAL,
        "locale": "en",
        "timezone": "UTC",
        "points_name": {"singular": "Point", "plural": "Points"},
        "branding": {"primary_color": "#0a7d5a", "accent_color": "#f5b700", "logo_url": None},
        "terms_url": None,
        "shop_url": None,
        "allowed_origins": [],
        "earning": {"points_per_currency_unit": "1", "pending_days": 0, "rules": []},
        "tiers": {"metric": "points_earned", "period": "lifetime", "levels": []},
        "expiry": {"policy": "never"},
        "rewards": [],
        "referrals": {
            "enabled": False,
            "qualifying_min_subtotal": "0.00",
            "referrer_reward": None,
            "friend_reward": None,
        },
        "segments": [],
    }


def test_values_are_written_one_way():
    # given decimals, datetimes and nulls written in other valid ways
    document = changed(
        example(),
        earning__points_per_currency_unit="1.2500",
        earning__rules_4__min_subtotal="100",
        earning__rules_5__starts_at="2026-12-01T01:00:00+01:00",
        earning__rules_5__name=None,
        tiers__levels_1__multiplier="1.250",
        rewards_0__value="5",
        rewards_1__value="10.00",
        referrals__qualifying_min_subtotal="50",
        terms_url=None,
    )
    # when parsed
    config = program_file_parse(document)
    # then they come out canonical: money with 2 places, factors without trailing zeros, datetimes in UTC
    assert config["earning"]["points_per_currency_unit"] == "1.25"
    assert config["earning"]["rules"][4]["min_subtotal"] == "100.00"
    assert config["earning"]["rules"][5]["starts_at"] == "2026-12-01T00:00:00Z"
    assert "name" not in config["earning"]["rules"][5]
    assert config["tiers"]["levels"][1]["multiplier"] == "1.25"
    assert config["rewards"][0]["value"] == "5.00"
    assert config["rewards"][1]["value"] == "10"
    assert config["referrals"]["qualifying_min_subtotal"] == "50.00"
    assert config["terms_url"] is None


def test_spend_tiers_take_money_thresholds():
    # given tiers by spend, one threshold a whole number, one with cents
    document = changed(example(), tiers__metric="spend", tiers__levels_1__threshold="250.5")
    # when parsed
    config = program_file_parse(document)
    # then both are money
    assert [level.get("threshold") for level in config["tiers"]["levels"]] == ["0.00", "250.50", None]


def test_a_rule_can_be_switched_off_and_named():
    # given a named rule that is switched off
    document = changed(example(), earning__rules_0__active=False, earning__rules_0__name="Welcome bonus")
    # when parsed
    rule = program_file_parse(document)["earning"]["rules"][0]
    # then both are kept; `active: true` is the default and is not written
    assert rule == {"key": "signup", "type": "signup", "points": 100, "name": "Welcome bonus", "active": False}
    assert "active" not in program_file_parse(changed(example(), earning__rules_0__active=True))["earning"]["rules"][0]
