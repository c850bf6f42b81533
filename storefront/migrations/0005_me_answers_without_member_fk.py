"""Kept widget `me` answers without a database foreign key to their member: a cache row needs none, and checking it
made every first view's upsert lock the member row (storefront.models.MeAnswer). Without it an answer can be kept
for a member deleted while it was built; unapplying first drops such answers, which the foreign key would refuse."""

import django.db.models.deletion
from django.db import migrations, models

ORPHANS_DELETE = (
    "DELETE FROM storefront_meanswer WHERE NOT EXISTS"
    " (SELECT 1 FROM members_member m WHERE m.id = storefront_meanswer.member_id)"
)


def _orphans_delete(apps, schema_editor):
    schema_editor.execute(ORPHANS_DELETE)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0011_partial_foreign_key_indexes"),
        ("storefront", "0004_widget_me_answers_unlogged"),
    ]

    operations = [
        migrations.AlterField(
            model_name="meanswer",
            name="member",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                primary_key=True,
                related_name="+",
                serialize=False,
                to="members.member",
            ),
        ),
        # Unapplied before the foreign key comes back (operations are reversed in turn).
        migrations.RunPython(migrations.RunPython.noop, _orphans_delete, elidable=False),
    ]
