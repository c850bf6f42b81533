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


def test_the_kept_answers_table_has_no_foreign_key():
    # A cache row needs none, and checking it on every first view's upsert locked the member row (FOR KEY SHARE).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [MeAnswer._meta.db_table],
        )
        assert cursor.fetchall() == []


def test_the_kept_bodies_are_compressed_with_lz4_where_the_server_has_it():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        if not cursor.fetchone()[0]:
            pytest.skip("this PostgreSQL is built without lz4")
        cursor.execute(
            "SELECT attcompression FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'body'",
            [MeAnswer._meta.db_table],
        )
        assert cursor.fetchone() == ("l",)
