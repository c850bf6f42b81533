"""A tier deleted by another worker while this process still holds the program's cached configuration (per-process
cache: no signal reaches it, up to PROGRAM_CONFIG_CACHE_SECONDS): a new customer's order must still be recorded, not
fail at COMMIT on the deferred foreign key to the deleted entry tier (a 500, the order lost, every new customer of the
program for those seconds)."""

from decimal import Decimal

import pytest

from loyalty.models import Tier
from loyalty.program_config import program_config
from members.models import Member
from members.services.orders import order_record
from tests.factories import ProgramFactory, TierFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_customers_order_is_recorded_when_the_cached_entry_tier_was_deleted_elsewhere():
    # given a program whose entry tier is in this process's cached configuration
    program = ProgramFactory()
    bronze = TierFactory(program=program, key="bronze", position=1, threshold=Decimal("0"))
    assert program_config(program).tiers == (bronze,)
    # and another worker deletes it (no member holds it; no signal reaches this process)
    Tier.objects.filter(pk=bronze.pk)._raw_delete(Tier.objects.db)

    # when a new customer orders here
    result = order_record(
        program=program, order_id="o-1", customer_id="new", email="n@example.com", subtotal=Decimal("5"), currency="USD"
    )

    # then the order and the member are recorded, the member in no tier (the program has none now)
    assert result.created
    assert Member.objects.get(program=program, customer_id="new").tier_id is None
