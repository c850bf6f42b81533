"""Kept widget `me` bodies compressed with lz4 instead of PostgreSQL's default pglz, where the server has lz4 (15 is
built with it on the usual distributions). A body (~3.7 kB of JSON) is compressed on every first view's upsert and
stays inline either way (~1.2 kB): measured on a seeded bench database, the upsert 73 → 48 us of PostgreSQL's time,
the version read that returns the body unchanged (17-18 us). Answers kept before keep their pglz until rewritten."""

from django.db import migrations

TABLE = "storefront_meanswer"
LZ4_AVAILABLE = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"


def _compression(method: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(LZ4_AVAILABLE)
            row = cursor.fetchone()
        if row and row[0]:
            schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN body SET COMPRESSION {method}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("storefront", "0005_me_answers_without_member_fk"),
    ]

    operations = [
        migrations.RunPython(_compression("lz4"), _compression("pglz"), elidable=False),
    ]
