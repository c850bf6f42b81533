"""A key revoked inside a transaction (the admin's revoke, a management command) is refused once that commits, even when
another request of this process looked the key up between the revocation and its commit and cached it then (it read
the row as committed: not revoked). The same for a program's configuration saved in a transaction."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from loyalty.models import ApiKey, Tier
from loyalty.program_config import api_key_program_cached, program_config
from loyalty.services.api_keys import api_key_issue, api_key_revoke
from tests.conftest import postgres_only
from tests.factories import ProgramFactory, TierFactory

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def _meanwhile(work) -> None:
    """`work()` on another connection of this process (another request's thread), waited for."""

    def run():
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def test_a_key_revoked_in_a_transaction_is_refused_after_it_commits():
    # given a key
    program = ProgramFactory()
    key, raw = api_key_issue(program=program)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    statuses = []

    # when it is revoked in a transaction, and another request uses it before that commits
    with transaction.atomic():
        api_key_revoke(key=ApiKey.objects.get(pk=key.pk))
        _meanwhile(lambda: statuses.append(client.get("/api/v1/members/nobody").status_code))

    # then that request still passed (the revocation was not committed), but the key is not cached after the commit
    assert statuses == [404]
    assert api_key_program_cached(key.key_hash) is None
    assert client.get("/api/v1/members/nobody").status_code == 401


def test_a_tier_saved_in_a_transaction_is_read_after_it_commits():
    # given a program with a tier
    program = ProgramFactory()
    tier = TierFactory(program=program, key="gold", threshold=Decimal("100"), position=1)

    # when its threshold is changed in a transaction, and an order reads the configuration before that commits
    with transaction.atomic():
        Tier.objects.filter(pk=tier.pk).update(threshold=Decimal("50"))
        Tier.objects.get(pk=tier.pk).save()  # the signal that drops the cached configuration
        _meanwhile(lambda: program_config(program))

    # then the configuration read after the commit has the new threshold
    assert program_config(program).tiers[0].threshold == Decimal("50")


def test_a_program_saved_in_a_transaction_is_read_by_the_widget_after_it_commits():
    # given a program the widget has looked up (and cached)
    from django.test import RequestFactory

    from storefront.shoppers import PROGRAM_HEADER, request_program

    program = ProgramFactory(primary_color="#111111")

    def widget_program():
        return request_program(RequestFactory().get("/", headers={PROGRAM_HEADER: program.public_key}))

    assert widget_program().primary_color == "#111111"
    # when its colour is changed in a transaction, and a widget call looks it up before that commits
    with transaction.atomic():
        program.primary_color = "#222222"
        program.save()
        _meanwhile(widget_program)
    # then the widget reads the new colour after the commit
    assert widget_program().primary_color == "#222222"
