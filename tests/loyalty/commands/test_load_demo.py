"""`manage.py load_demo`: the demo program with members and history, once; a demo admin on DEBUG."""

import json
import stat
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from loyalty.management.demo import DEMO_MEMBERS
from loyalty.models import ApiKey, Program, hash_api_key
from members.models import Event, Member, Order, Refund, Transaction
from rewards.models import Redemption, Voucher


def load_demo(tmp_path) -> str:
    out = StringIO()
    call_command(
        "load_demo", "--credentials-file", str(tmp_path / "demo-credentials.json"), stdout=out, stderr=StringIO()
    )
    return out.getvalue()


def snapshot() -> dict[str, int]:
    models = (Program, ApiKey, Member, Order, Refund, Event, Transaction, Redemption, get_user_model())
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_loads_the_demo_program_with_members_and_history(tmp_path, assert_ledger_clean, settings):
    # given an empty database on a production-like machine
    settings.DEBUG = False
    # when the demo is loaded
    out = load_demo(tmp_path)
    # then the demo program exists with members who did things, through the real services
    program = Program.objects.get(slug="demo")
    assert program.members.count() == 6
    assert Order.objects.filter(program=program).count() == sum(len(demo.orders) for demo in DEMO_MEMBERS)
    assert Refund.objects.filter(program=program).count() == 1
    assert Event.objects.filter(program=program, points_awarded__gt=0).count() == sum(
        len(demo.events) for demo in DEMO_MEMBERS
    )
    assert Redemption.objects.filter(member__program=program).count() == 1
    emma = program.members.get(customer_id="cust-1001")
    assert emma.points_balance > 0 and emma.orders_count == 7
    omar = program.members.select_related("tier").get(customer_id="cust-1002")
    assert omar.first_name == "عمر"
    assert (omar.tier.key, omar.tier_locked) == ("roasters-circle", True)
    # and Mia came through Emma's referral link: her friend voucher expires as the program file says
    mia = program.members.get(customer_id="cust-1005")
    assert mia.referred_by_id == emma.pk
    voucher = Voucher.objects.get(member=mia)
    assert (voucher.value, (voucher.expires_at - mia.created_at).days) == (Decimal("5.00"), 30)
    assert_ledger_clean(program.pk)
    # and it says where the credentials are
    assert f"{tmp_path / 'demo-credentials.json'}" in out


@pytest.mark.django_db
def test_writes_working_credentials_readable_by_the_owner_only(tmp_path, settings):
    # given / when
    settings.DEBUG = False
    load_demo(tmp_path)
    # then the file holds the demo's keys, and the API key is the one stored (hashed)
    path = tmp_path / "demo-credentials.json"
    credentials = json.loads(path.read_text())
    program = Program.objects.get(slug="demo")
    assert credentials["slug"] == "demo"
    assert credentials["public_key"] == program.public_key
    assert credentials["digest_secret"] == program.digest_secret
    assert credentials["webhook_secret"] == program.webhook_secret
    assert ApiKey.objects.filter(program=program, key_hash=hash_api_key(credentials["api_key"])).exists()
    assert set(credentials["widget_customers"]) == set(program.members.values_list("customer_id", flat=True))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.django_db
def test_nothing_is_loaded_when_the_credentials_cannot_be_written(tmp_path, settings):
    # given a credentials path inside a file (so it cannot be created)
    settings.DEBUG = False
    (tmp_path / "blocker").write_text("")
    before = snapshot()
    # when the demo is loaded
    with pytest.raises(CommandError, match="cannot be written"):
        call_command("load_demo", "--credentials-file", str(tmp_path / "blocker" / "demo.json"), stdout=StringIO())
    # then nothing was loaded, so a rerun can still show the API key
    assert snapshot() == before


@pytest.mark.django_db
def test_a_second_run_changes_nothing(tmp_path, settings):
    # given the demo loaded once
    settings.DEBUG = True
    load_demo(tmp_path)
    before = snapshot()
    credentials = (tmp_path / "demo-credentials.json").read_text()
    # when it is loaded again
    out = load_demo(tmp_path)
    # then no row and no credential changed, and it says so
    assert snapshot() == before
    assert (tmp_path / "demo-credentials.json").read_text() == credentials
    assert "Demo program 'demo' is already loaded; nothing changed." in out


@pytest.mark.django_db
def test_creates_the_demo_admin_on_a_development_machine(tmp_path, settings):
    # given DEBUG on and no superuser
    settings.DEBUG = True
    # when the demo is loaded
    out = load_demo(tmp_path)
    # then admin / admin can log in, and the output says so
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("admin")
    assert "created the demo superuser 'admin' with password 'admin'" in out


@pytest.mark.django_db
def test_no_demo_admin_without_debug(tmp_path, settings):
    # given DEBUG off
    settings.DEBUG = False
    # when the demo is loaded
    out = load_demo(tmp_path)
    # then no user is created, and the output says how to make one
    assert not get_user_model().objects.exists()
    assert "createsuperuser" in out and "DEBUG is off" in out


@pytest.mark.django_db
def test_no_demo_admin_when_a_superuser_exists(tmp_path, settings):
    # given DEBUG on and a superuser of the merchant's own
    settings.DEBUG = True
    get_user_model().objects.create_superuser(username="owner", email="o@example.com", password="s3cret-pass")
    # when the demo is loaded
    load_demo(tmp_path)
    # then no admin/admin login appears
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["owner"]
