"""Storefront fixtures: a widget client that signs its shopper like the shop's server would."""

import pytest
from rest_framework.test import APIClient

from storefront.shoppers import customer_digest


@pytest.fixture(autouse=True)
def cached_answers_outlast_the_test(monkeypatch):
    """The program (10 s) and `me` (30 s) are cached for seconds: on a loaded machine a test can take longer than
    that, and its pinned query counts would then depend on the clock. The cache is emptied around every test
    (tests/conftest.py), so nothing outlives its test."""
    monkeypatch.setattr("storefront.shoppers.PROGRAM_SECONDS", 3600)
    monkeypatch.setattr("storefront.widget.caching.ME_SECONDS", 3600)


def widget_client(program, customer_id: str | None = None, *, digest: str | None = None, **extra) -> APIClient:
    headers = {"HTTP_X_LOYALTY_PROGRAM": program.public_key, **extra}
    if customer_id is not None:
        headers["HTTP_X_LOYALTY_CUSTOMER"] = customer_id
        if digest is None:
            digest = customer_digest(program=program, customer_id=customer_id)
        headers["HTTP_X_LOYALTY_DIGEST"] = digest
    client = APIClient()
    client.credentials(**headers)
    return client
