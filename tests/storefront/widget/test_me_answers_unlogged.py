"""Kept `me` answers are a cache: on PostgreSQL their table is UNLOGGED (no WAL for a first view's upsert)."""

import pytest
from django.db import connection

from storefront.models import MeAnswer
from tests.conftest import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db]


def test_the_kept_answers_table_is_unlogged():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [MeAnswer._meta.db_table])
        assert cursor.fetchone() == ("u",)
