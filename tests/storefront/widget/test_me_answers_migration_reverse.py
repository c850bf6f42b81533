"""Review of 1f45305: with no foreign key to members (storefront 0005), an answer can be kept for a member deleted
while it was built (nothing refuses the upsert any more), and unapplying 0005 puts the foreign key back over it: the reverse drops such answers first (it failed before)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from members.models import Member
from storefront.models import MeAnswer
from storefront.widget.caching import me_answer
from storefront.widget.selectors import member_me_version
from tests.factories.rewards import member_with_points

BEFORE_0005 = ("storefront", "0004_widget_me_answers_unlogged")


def _migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_0005_unapplies_with_an_answer_kept_for_a_member_deleted_while_it_was_built(program):
    # given a first view being built while another worker deletes the member (the answer's upsert comes after)
    member = member_with_points(program, 10, customer_id="c-gone")
    version = member_me_version(program=program, customer_id="c-gone")

    def build(at):
        Member.objects.filter(pk=member.pk).delete()
        return {"member": "c-gone"}, None

    me_answer(version, build)
    assert MeAnswer.objects.filter(pk=member.pk).exists()  # kept for a member who is gone

    # when the migration is unapplied (a rollback of the release), then it goes through
    try:
        _migrate([BEFORE_0005])
    finally:  # the schema as the other tests expect it
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("storefront"))
