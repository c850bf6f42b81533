"""Every validation rule of the program file: a bad document → exactly the expected problem lines."""

import pytest

from loyalty.program_file import ProgramFileInvalid, program_file_parse
from tests.loyalty.program_file.documents import DELETE, changed, example

LIMIT_PERIODS = "day, week, month, year, lifetime"
RULE_TYPES = "signup, birthday, custom_event, order_threshold, bonus_multiplier"
REWARD_TYPES = (
    "fixed_discount, percent_discount, free_shipping, free_product, gift_card, store_credit, physical, experience"
)
DECIMAL = 'must be a decimal number written as a string, like "1.25"'
MONEY = 'must be a decimal number written as a string, like "5.00"'
DATETIME = 'must be an ISO 8601 datetime with a time zone, like "2026-12-01T00:00:00Z"'
GREEN, GOLD, RESERVE = (
    {"key": "green", "name": "Green", "threshold": 0},
    {"key": "gold", "name": "Gold", "threshold": 300},
    {"key": "reserve", "name": "Reserve", "invite_only": True},
)

CASES = [
    # The program itself
    ({"merchant": DELETE}, ["merchant: required"]),
    ({"currencies": "USD"}, ["currencies: unknown key (did you mean currency?)"]),
    ({"name": ""}, ["name: must not be blank"]),
    ({"name": 42}, ["name: must be a string"]),
    ({"name": "Acme\x00"}, ["name: must not contain NUL characters"]),
    ({"name": "x" * 201}, ["name: must be at most 200 characters"]),
    ({"slug": "Acme Rewards"}, ["slug: must be lowercase letters, digits and single hyphens (like 'acme-rewards')"]),
    ({"slug": "acme--rewards"}, ["slug: must be lowercase letters, digits and single hyphens (like 'acme-rewards')"]),
    ({"slug": "a" * 61}, ["slug: must be at most 60 characters"]),
    ({"currency": "usd"}, ["currency: must be a 3-letter ISO 4217 code in capitals, like 'USD'"]),
    ({"currency": "US$"}, ["currency: must be a 3-letter ISO 4217 code in capitals, like 'USD'"]),
    ({"locale": "de"}, ["locale: must be one of en, ar, fa"]),
    ({"timezone": "Mars/Olympus_Mons"}, ["timezone: must be an IANA time zone, like 'Europe/Paris' or 'UTC'"]),
    ({"points_name": {"singular": "Star"}}, ["points_name.plural: required"]),
    ({"points_name": "Stars"}, ["points_name: must be an object"]),
    ({"branding__primary_color": "green"}, ["branding.primary_color: must be a colour like '#0a7d5a'"]),
    ({"branding__accent_color": "#f5b70"}, ["branding.accent_color: must be a colour like '#0a7d5a'"]),
    ({"branding__logo_url": "ftp://cdn.example/logo.png"}, ["branding.logo_url: must be an http(s) URL"]),
    ({"branding__logo": "x"}, ["branding.logo: unknown key (did you mean logo_url?)"]),
    ({"terms_url": "not a url"}, ["terms_url: must be an http(s) URL"]),
    ({"shop_url": 5}, ["shop_url: must be a string or null"]),
    (
        {"allowed_origins": ["https://shop.example/cart", "https://shop.example", "https://shop.example"]},
        [
            "allowed_origins[0]: must be an origin like 'https://shop.example' (scheme and host, no path)",
            "allowed_origins[2]: duplicate origin 'https://shop.example'",
        ],
    ),
    ({"allowed_origins": "https://shop.example"}, ["allowed_origins: must be an array"]),
    # Earning
    ({"earning__points_per_currency_unit": 1}, [f"earning.points_per_currency_unit: {DECIMAL}"]),
    ({"earning__points_per_currency_unit": "1e2"}, [f"earning.points_per_currency_unit: {DECIMAL}"]),
    ({"earning__points_per_currency_unit": "١"}, [f"earning.points_per_currency_unit: {DECIMAL}"]),
    ({"earning__points_per_currency_unit": " 1"}, [f"earning.points_per_currency_unit: {DECIMAL}"]),
    (
        {"earning__points_per_currency_unit": "1.12345"},
        ["earning.points_per_currency_unit: must have at most 4 decimal places"],
    ),
    (
        {"earning__points_per_currency_unit": "9" * 60 + ".5"},
        ["earning.points_per_currency_unit: must be at least 0 and at most 1000"],
    ),
    (
        {"earning__points_per_currency_unit": "-1"},
        ["earning.points_per_currency_unit: must be at least 0 and at most 1000"],
    ),
    ({"earning__pending_days": -1}, ["earning.pending_days: must be between 0 and 365"]),
    ({"earning__pending_days": "7"}, ["earning.pending_days: must be a whole number"]),
    ({"earning__rules": {}}, ["earning.rules: must be an array"]),
    ({"earning__rules_2__limit__period": "decade"}, [f"earning.rules[2].limit.period: must be one of {LIMIT_PERIODS}"]),
    ({"earning__rules_2__limit__count": 0}, ["earning.rules[2].limit.count: must be between 1 and 10000000"]),
    ({"earning__rules_2__limit": {"count": 3}}, ["earning.rules[2].limit.period: required"]),
    ({"earning__rules_2__event": DELETE}, ["earning.rules[2].event: required for rule type custom_event"]),
    (
        {"earning__rules_2__event": "review posted"},
        ["earning.rules[2].event: must be an event name without spaces (like 'review_posted')"],
    ),
    (
        {"earning__rules_4__min_subtotal": DELETE},
        ["earning.rules[4].min_subtotal: required for rule type order_threshold"],
    ),
    ({"earning__rules_4__min_subtotal": 100}, [f"earning.rules[4].min_subtotal: {MONEY}"]),
    ({"earning__rules_5__multiplier": "0"}, ["earning.rules[5].multiplier: must be greater than 0 and at most 100"]),
    (
        {"earning__rules_5__multiplier": DELETE},
        ["earning.rules[5].multiplier: required for rule type bonus_multiplier"],
    ),
    ({"earning__rules_5__points": 10}, ["earning.rules[5].points: not allowed for rule type bonus_multiplier"]),
    ({"earning__rules_0__multiplier": "2"}, ["earning.rules[0].multiplier: not allowed for rule type signup"]),
    (
        {"earning__rules_0__limit": {"count": 1, "period": "day"}},
        ["earning.rules[0].limit: not allowed for rule type signup"],
    ),
    ({"earning__rules_5__ends_at": "2026-12-01T00:00:00Z"}, ["earning.rules[5].ends_at: must be later than starts_at"]),
    ({"earning__rules_5__starts_at": "2026-12-01T00:00:00"}, [f"earning.rules[5].starts_at: {DATETIME}"]),
    ({"earning__rules_5__starts_at": "1st of December"}, [f"earning.rules[5].starts_at: {DATETIME}"]),
    (
        {"earning__rules_5__starts_at": "0001-01-01T00:00:00+01:00"},
        ["earning.rules[5].starts_at: must be between the years 1970 and 2100"],
    ),
    ({"earning__rules_0__type": "referral"}, [f"earning.rules[0].type: must be one of {RULE_TYPES}"]),
    ({"earning__rules_0__type": DELETE}, ["earning.rules[0].type: required"]),
    ({"earning__rules_0__type": ["signup"]}, ["earning.rules[0].type: must be a string"]),
    ({"earning__rules_0__points": True}, ["earning.rules[0].points: must be a whole number"]),
    ({"earning__rules_0__points": 0}, ["earning.rules[0].points: must be between 1 and 10000000"]),
    (
        {"earning__rules_1": {"key": "birthday", "type": "birthday", "pointz": 250}},
        [
            "earning.rules[1].pointz: unknown key (did you mean points?)",
            "earning.rules[1].points: required for rule type birthday",
        ],
    ),
    (
        {"earning__rules_1__key": "signup"},
        ["earning.rules[1].key: duplicate rule key 'signup' (also used by earning.rules[0])"],
    ),
    (
        {"earning__rules_1__key": "Big Basket"},
        ["earning.rules[1].key: must be lowercase letters, digits, '-' or '_' (like 'big-basket')"],
    ),
    ({"earning__rules_1__active": "yes"}, ["earning.rules[1].active: must be true or false"]),
    ({"earning__rules_1": "birthday"}, ["earning.rules[1]: must be an object"]),
    # Tiers
    ({"tiers__metric": "visits"}, ["tiers.metric: must be one of points_earned, spend, orders"]),
    ({"tiers__period": "forever"}, ["tiers.period: must be one of lifetime, calendar_year, rolling_12_months"]),
    ({"tiers__levels_1__threshold": DELETE}, ["tiers.levels[1].threshold: required unless the tier is invite_only"]),
    ({"tiers__levels_1__threshold": -5}, ["tiers.levels[1].threshold: must be between 0 and 1000000000"]),
    ({"tiers__levels_1__threshold": "300"}, ["tiers.levels[1].threshold: must be a whole number"]),
    (
        {"tiers__levels_2__threshold": 900},
        ["tiers.levels[2].threshold: not allowed for an invite-only tier (it is only ever assigned by hand)"],
    ),
    (
        {"tiers__levels_0__threshold": 100},
        ["tiers.levels: needs an entry tier with threshold 0 (where every member starts)"],
    ),
    (
        {"tiers__levels_1__threshold": 0},
        ["tiers.levels[1].threshold: only one tier can have threshold 0 (the entry tier)"],
    ),
    (
        {"tiers__levels": [GREEN, GOLD, {"key": "silver", "name": "Silver", "threshold": 200}]},
        [
            "tiers.levels[2].threshold: must be greater than 300, the threshold of tiers.levels[1] "
            "(list tiers from the entry tier up)"
        ],
    ),
    (
        {"tiers__levels": [GOLD, GREEN, RESERVE]},
        ["tiers.levels[1]: the entry tier (threshold 0) must be listed before the tiers above it"],
    ),
    ({"tiers__levels_1__multiplier": "0"}, ["tiers.levels[1].multiplier: must be greater than 0 and at most 100"]),
    ({"tiers__levels_1__multiplier": "101"}, ["tiers.levels[1].multiplier: must be greater than 0 and at most 100"]),
    (
        {"tiers__levels_1__key": "green", "rewards_1__min_tier": "green"},
        ["tiers.levels[1].key: duplicate tier key 'green' (also used by tiers.levels[0])"],
    ),
    ({"tiers__levels_0__perks": [1]}, ["tiers.levels[0].perks[0]: must be a string"]),
    ({"tiers__levels_0__name": DELETE}, ["tiers.levels[0].name: required"]),
    (
        {"tiers__metric": "spend", "tiers__levels_1__threshold": "99.999"},
        ["tiers.levels[1].threshold: must have at most 2 decimal places"],
    ),
    # Expiry
    ({"expiry": {"policy": "fixed"}}, ["expiry.days: required for policy fixed"]),
    (
        {"expiry": {"policy": "never", "days": 30, "warn_days_before": 5}},
        ["expiry.days: not allowed with policy never", "expiry.warn_days_before: not allowed with policy never"],
    ),
    ({"expiry__warn_days_before": 365}, ["expiry.warn_days_before: must be less than days (365)"]),
    ({"expiry__days": 0}, ["expiry.days: must be between 1 and 3650"]),
    ({"expiry__policy": "sometimes"}, ["expiry.policy: must be one of never, fixed, inactivity"]),
    ({"expiry": {}}, ["expiry.policy: required"]),
    ({"expiry": {"policy": ["fixed"]}}, ["expiry.policy: must be a string"]),
    # Rewards
    ({"rewards": {}}, ["rewards: must be an array"]),
    ({"rewards_1__value": "150"}, ["rewards[1].value: must be greater than 0 and at most 100"]),
    ({"rewards_0__value": DELETE}, ["rewards[0].value: required for reward type fixed_discount"]),
    ({"rewards_0__value": "5.001"}, ["rewards[0].value: must have at most 2 decimal places"]),
    ({"rewards_0__value": "0.00"}, ["rewards[0].value: must be greater than 0 and at most 1000000000"]),
    ({"rewards_3__product_id": DELETE}, ["rewards[3].product_id: required for reward type free_product"]),
    ({"rewards_2__value": "5.00"}, ["rewards[2].value: not allowed for reward type free_shipping"]),
    ({"rewards_0__product_id": "SKU-1"}, ["rewards[0].product_id: not allowed for reward type fixed_discount"]),
    (
        {"rewards_1__min_tier": "platinum"},
        ["rewards[1].min_tier: no tier with key 'platinum' (tiers: green, gold, reserve)"],
    ),
    ({"rewards_0__points_cost": 0}, ["rewards[0].points_cost: must be between 1 and 10000000"]),
    ({"rewards_0__points_cost": DELETE}, ["rewards[0].points_cost: required"]),
    ({"rewards_0__type": "voucher"}, [f"rewards[0].type: must be one of {REWARD_TYPES}"]),
    ({"rewards_0__type": {"fixed": True}}, ["rewards[0].type: must be a string"]),
    ({"rewards_1__key": "five-off"}, ["rewards[1].key: duplicate reward key 'five-off' (also used by rewards[0])"]),
    ({"rewards_3__stock": -1}, ["rewards[3].stock: must be between 0 and 100000000"]),
    ({"rewards_3__limit_per_member": 0}, ["rewards[3].limit_per_member: must be between 1 and 100000000"]),
    ({"rewards_3__image_url": "mug.png"}, ["rewards[3].image_url: must be an http(s) URL"]),
    ({"rewards_3__code_expiry_days": 0}, ["rewards[3].code_expiry_days: must be between 1 and 3650"]),
    ({"rewards_0__min_subtotal": "-1.00"}, ["rewards[0].min_subtotal: must be at least 0 and at most 1000000000"]),
    (
        {"rewards_0__starts_at": "2026-12-03T00:00:00+01:00", "rewards_0__ends_at": "2026-12-02T23:00:00Z"},
        ["rewards[0].ends_at: must be later than starts_at"],
    ),
    ({"rewards_0__cost": 5}, ["rewards[0].cost: unknown key"]),
    ({"rewards_2__variable": True}, ["rewards[2].variable: not allowed for reward type free_shipping"]),
    ({"rewards_0__max_points": 5000}, ["rewards[0].max_points: only for a variable reward (variable: true)"]),
    (
        {"rewards_0__variable": True, "rewards_0__max_points": 100},
        ["rewards[0].max_points: must be at least points_cost (500)"],
    ),
    ({"rewards_0__variable": 1}, ["rewards[0].variable: must be true or false"]),
    # Referrals
    ({"referrals__friend_reward": DELETE}, ["referrals.friend_reward: required when referrals are enabled"]),
    (
        {"referrals__referrer_reward": {"type": "cash", "points": 5}},
        [
            "referrals.referrer_reward.type: must be one of points, fixed_discount, percent_discount, free_shipping, "
            "free_product, gift_card, store_credit"
        ],
    ),
    (
        {"referrals__referrer_reward__value": "5.00"},
        ["referrals.referrer_reward.value: not allowed for referral reward type points"],
    ),
    ({"referrals__referrer_reward__points": 0}, ["referrals.referrer_reward.points: must be between 1 and 10000000"]),
    (
        {"referrals__friend_reward": {"type": "percent_discount", "value": "120"}},
        ["referrals.friend_reward.value: must be greater than 0 and at most 100"],
    ),
    (
        {"referrals__friend_reward__value": DELETE},
        ["referrals.friend_reward.value: required for referral reward type fixed_discount"],
    ),
    ({"referrals__qualifying_min_subtotal": "abc"}, [f"referrals.qualifying_min_subtotal: {MONEY}"]),
    ({"referrals__enabled": "true"}, ["referrals.enabled: must be true or false"]),
    ({"referrals__friend_reward__type": ["points"]}, ["referrals.friend_reward.type: must be a string"]),
]


@pytest.mark.parametrize(("changes", "expected"), CASES, ids=[", ".join(c) for c, _ in CASES])
def test_bad_document_lists_exactly_its_problems(changes, expected):
    # given the example program file with one thing wrong
    document = changed(example(), **changes)
    # when it is parsed
    with pytest.raises(ProgramFileInvalid) as caught:
        program_file_parse(document)
    # then exactly the expected lines are reported
    assert caught.value.problems == expected


def test_every_problem_of_a_document_is_reported_at_once():
    # given a document with problems in every section
    document = changed(
        example(),
        currency="usd",
        earning__rules_2__limit__period="decade",
        tiers__levels_1__threshold=DELETE,
        expiry__days=DELETE,
        rewards_1__value="150",
        referrals__friend_reward=DELETE,
    )
    # when it is parsed
    with pytest.raises(ProgramFileInvalid) as caught:
        program_file_parse(document)
    # then every problem has its line, and the error carries them by path
    assert sorted(caught.value.problems) == sorted(
        [
            "currency: must be a 3-letter ISO 4217 code in capitals, like 'USD'",
            f"earning.rules[2].limit.period: must be one of {LIMIT_PERIODS}",
            "tiers.levels[1].threshold: required unless the tier is invite_only",
            "expiry.days: required for policy inactivity",
            "rewards[1].value: must be greater than 0 and at most 100",
            "referrals.friend_reward: required when referrals are enabled",
        ]
    )
    assert caught.value.code == "invalid_program_file"
    assert caught.value.fields["expiry.days"] == ["required for policy inactivity"]
    assert caught.value.message == "The program file has 6 problems."


@pytest.mark.parametrize("document", [[], "acme", None, 3])
def test_a_document_that_is_not_an_object_is_one_problem(document):
    # given / when
    with pytest.raises(ProgramFileInvalid) as caught:
        program_file_parse(document)
    # then
    assert caught.value.problems == ["the program file must be a JSON object"]
