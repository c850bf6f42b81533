"""`manage.py create_program --config FILE [--json]`: all or nothing, one line per problem."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from loyalty.models import ApiKey, EarningRule, Merchant, Program, Tier, hash_api_key
from rewards.models import Reward
from tests.loyalty.program_file.documents import EXAMPLE_PATH, changed, example

MODELS = (Merchant, Program, EarningRule, Tier, Reward, ApiKey)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def write(tmp_path, document, name="program.json"):
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def create(config: str, *args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_program", "--config", config, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_creates_everything_in_the_file():
    # given the contract's example file
    # when it is loaded
    create(str(EXAMPLE_PATH))
    # then merchant, program, rules, tiers, rewards and one API key exist as written
    assert counts() == {"Merchant": 1, "Program": 1, "EarningRule": 6, "Tier": 3, "Reward": 4, "ApiKey": 1}
    program = Program.objects.get(slug="acme")
    assert (program.merchant.name, program.name, program.currency, program.locale) == (
        "Acme Coffee",
        "Acme Rewards",
        "USD",
        "en",
    )
    assert (program.points_name_singular, program.points_name_plural) == ("Star", "Stars")
    assert (program.expiry_policy, program.expiry_days, program.expiry_warn_days_before) == ("inactivity", 365, 30)
    assert (program.tier_metric, program.tier_period) == ("points_earned", "rolling_12_months")
    assert program.referrals_enabled and program.referral_qualifying_min_subtotal == Decimal("50.00")
    assert program.referrer_reward == {"type": "points", "points": 500}
    review = program.earning_rules.get(key="review")
    assert (review.type, review.event, review.points, review.limit_count, review.limit_period) == (
        "custom_event",
        "review_posted",
        50,
        3,
        "month",
    )
    double = program.earning_rules.get(key="double-days")
    assert double.multiplier == Decimal("2") and double.starts_at.isoformat() == "2026-12-01T00:00:00+00:00"
    assert [(t.key, t.threshold, t.invite_only, t.multiplier) for t in program.tiers.order_by("position")] == [
        ("green", Decimal("0"), False, Decimal("1")),
        ("gold", Decimal("300"), False, Decimal("1.25")),
        ("reserve", None, True, Decimal("1.5")),
    ]
    ten_pct = program.rewards.get(key="ten-pct")
    assert (ten_pct.type, ten_pct.value, ten_pct.min_tier.key) == ("percent_discount", Decimal("10"), "gold")
    mug = program.rewards.get(key="mug")
    assert (mug.product_id, mug.stock, mug.limit_per_member) == ("SKU-MUG", 100, 1)


@pytest.mark.django_db
def test_json_output_is_one_object_with_the_credentials():
    # given the example file
    # when it is loaded with --json
    out, _err = create(str(EXAMPLE_PATH), "--json")
    # then stdout is exactly one JSON object with the slug, keys and secrets of the new program
    credentials = json.loads(out)
    assert set(credentials) == {"slug", "public_key", "api_key", "digest_secret", "webhook_secret"}
    program = Program.objects.get(slug=credentials["slug"])
    assert credentials["public_key"] == program.public_key
    assert credentials["digest_secret"] == program.digest_secret
    assert credentials["webhook_secret"] == program.webhook_secret
    # and the API key works: only its hash is stored
    key = ApiKey.objects.get(program=program)
    assert key.key_hash == hash_api_key(credentials["api_key"])
    assert credentials["api_key"] not in {key.key_hash, key.prefix}


@pytest.mark.django_db
def test_human_output_shows_the_api_key_once():
    # given / when
    out, _err = create(str(EXAMPLE_PATH))
    # then the summary names the program and gives the key
    raw_key = out.split("server API key:")[1].split()[0]
    assert "Created program 'Acme Rewards' (slug acme) for Acme Coffee." in out
    assert ApiKey.objects.get().key_hash == hash_api_key(raw_key)


@pytest.mark.django_db
def test_invalid_file_prints_every_problem_and_writes_nothing(tmp_path):
    # given an existing program and a file with three problems
    create(str(EXAMPLE_PATH))
    before = counts()
    bad = changed(example(), slug="other", currency="usd", rewards_1__value="150", expiry__days=0)
    err = StringIO()
    # when it is loaded
    with pytest.raises(CommandError) as caught:
        call_command("create_program", "--config", write(tmp_path, bad), stdout=StringIO(), stderr=err)
    # then one line per problem goes to stderr, the reason is one line, and nothing was written
    assert err.getvalue().splitlines() == [
        "currency: must be a 3-letter ISO 4217 code in capitals, like 'USD'",
        "expiry.days: must be between 1 and 3650",
        "rewards[1].value: must be greater than 0 and at most 100",
    ]
    assert str(caught.value).endswith("program.json: 3 problems (listed above); nothing was created")
    assert counts() == before


@pytest.mark.django_db
def test_taken_slug_is_refused_and_writes_nothing():
    # given a program with the example's slug
    create(str(EXAMPLE_PATH))
    before = counts()
    err = StringIO()
    # when the same file is loaded again
    with pytest.raises(CommandError):
        call_command("create_program", "--config", str(EXAMPLE_PATH), stdout=StringIO(), stderr=err)
    # then the slug is the problem, and not even a merchant was added
    assert err.getvalue().splitlines() == ["slug: a program with slug 'acme' already exists"]
    assert counts() == before


@pytest.mark.django_db
def test_a_failure_after_validation_rolls_everything_back(monkeypatch):
    # given a valid file, and a catalog that fails while it is being written
    def broken_catalog(*, program, rewards):
        raise RuntimeError("disk full")

    monkeypatch.setattr("loyalty.management.program_files.reward_catalog_create", broken_catalog)
    # when the file is loaded
    with pytest.raises(RuntimeError):
        create(str(EXAMPLE_PATH))
    # then the merchant, program, rules, tiers and key written before are gone too
    assert counts() == dict.fromkeys(counts(), 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such file"),
        ('{"merchant": "Acme",', "invalid JSON at line 1 column 21: Expecting property name enclosed in double quotes"),
        ('{"slug": "a", "slug": "b"}', "invalid JSON: key 'slug' appears twice in one object"),
        ('{"points": NaN}', "invalid JSON: NaN is not a number in JSON"),
        ("", "invalid JSON at line 1 column 1: Expecting value"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
    ],
    ids=["missing", "syntax", "duplicate-key", "nan", "empty", "too-deep"],
)
def test_unreadable_file_is_one_line(tmp_path, content, reason):
    # given a path that does not hold one valid JSON document
    path = str(tmp_path / "missing.json") if content is None else write(tmp_path, content)
    # when it is loaded
    with pytest.raises(CommandError) as caught:
        create(path)
    # then the reason is one line naming the file, and nothing was written
    assert str(caught.value) == f"{path}: {reason}"
    assert counts() == dict.fromkeys(counts(), 0)


@pytest.mark.django_db
def test_reads_the_program_file_from_stdin(monkeypatch):
    # given the example on standard input
    monkeypatch.setattr("sys.stdin", StringIO(EXAMPLE_PATH.read_text()))
    # when the config is `-`
    out, _err = create("-", "--json")
    # then the program is created
    assert json.loads(out)["slug"] == "acme"
    assert Program.objects.filter(slug="acme").exists()


@pytest.mark.django_db
def test_from_the_command_line_a_bad_file_exits_non_zero(tmp_path, capsys, monkeypatch):
    # given a file with a problem
    path = write(tmp_path, changed(example(), locale="de"))
    # (a real run closes the database connections at the end; the test's transaction must survive it)
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    # when the command runs as from a shell
    with pytest.raises(SystemExit) as caught:
        execute_from_command_line(["manage.py", "create_program", "--config", path])
    # then it exits 1 with the problem and the reason on stderr
    assert caught.value.code == 1
    err = capsys.readouterr().err
    assert "locale: must be one of en, ar, fa" in err
    assert "1 problem (listed above); nothing was created" in err
    assert Program.objects.count() == 0
