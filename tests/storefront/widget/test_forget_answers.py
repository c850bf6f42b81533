"""The `forget_widget_answers` job: kept `me` answers past their time are deleted, current ones stay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.jobs import run_job
from storefront.models import MeAnswer
from storefront.widget.cleanup import me_answers_forget
from tests.factories.rewards import member_with_points
from tests.storefront.conftest import widget_client

pytestmark = pytest.mark.django_db


def _kept_answer(program, customer_id: str) -> MeAnswer:
    member_with_points(program, 100, customer_id=customer_id)
    assert widget_client(program, customer_id).get("/api/widget/v1/me").status_code == 200
    return MeAnswer.objects.get(member__customer_id=customer_id)


def test_expired_answers_go_and_current_ones_stay(program):
    # given two kept answers, one of which expired an hour ago
    old, current = _kept_answer(program, "c-old"), _kept_answer(program, "c-new")
    MeAnswer.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    # when the job runs now, in chunks of one
    deleted = me_answers_forget(timezone.now(), chunk_size=1)
    # then only the expired one is gone; a second run finds nothing
    assert deleted == 1
    assert list(MeAnswer.objects.values_list("pk", flat=True)) == [current.pk]
    assert me_answers_forget(timezone.now()) == 0


def test_the_job_is_scheduled_and_the_shopper_gets_a_fresh_answer_after_it(program):
    # given a kept answer
    kept = _kept_answer(program, "c-1")
    # when the job runs after its expiry, through the scheduler's entry point
    assert run_job("forget_widget_answers", kept.expires_at + timedelta(seconds=1)) == 1
    # then the next view builds and keeps a new one
    response = widget_client(program, "c-1").get("/api/widget/v1/me")
    assert response.status_code == 200 and response.json()["member"]["points_balance"] == 100
    assert MeAnswer.objects.filter(member__customer_id="c-1").exists()


def test_a_deleted_member_takes_their_answer_along(program):
    # given: the table has no foreign key to members (storefront.models.MeAnswer)
    kept, other = _kept_answer(program, "c-gone"), _kept_answer(program, "c-stays")
    # when the member is deleted through Django (as the admin deletes)
    kept.member.delete()
    # then
    assert list(MeAnswer.objects.values_list("pk", flat=True)) == [other.pk]
