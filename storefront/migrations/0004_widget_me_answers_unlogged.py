"""Kept widget `me` answers in an UNLOGGED table on PostgreSQL: they are a cache (each is rebuilt from the ledger on
the next view), so their writes need no WAL and a first view's upsert no WAL flush at commit. After a crash the
server empties the table (shoppers' next views build again); standbys do not have it (the app reads the primary)."""

from django.db import migrations

TABLE = "storefront_meanswer"


def _persistence(keyword: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE {TABLE} SET {keyword}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("storefront", "0003_widget_me_answers"),
    ]

    operations = [
        migrations.RunPython(_persistence("UNLOGGED"), _persistence("LOGGED"), elidable=False),
    ]
