import pytest

from tests.admin.conftest import shop


@pytest.fixture
def shop_b(db):
    """A merchant with staff, one program and a row of every kind (see tests/admin/conftest.py)."""
    return shop("Beta")
