import pytest

from tests.factories.portal import portal_member, portal_program


@pytest.fixture
def shop(db):
    return portal_program()


@pytest.fixture
def member(shop):
    return portal_member(shop, orders=2)
