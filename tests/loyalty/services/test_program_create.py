"""program_create under concurrency: two creations of one slug at the same instant."""

import threading

import pytest
from django.db import connection

from loyalty.management.program_files import program_file_create
from loyalty.models import Merchant, Program
from loyalty.program_file import ProgramFileInvalid
from tests.conftest import postgres_only
from tests.loyalty.program_file.documents import example


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_creations_of_one_slug_at_once_make_one_program():
    # given two scripts creating the same program at the same instant
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def create():
        try:
            barrier.wait()
            program_file_create(example())
            outcomes.append("created")
        except ProgramFileInvalid as exc:
            outcomes.append(exc.problems[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    # when both run
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then one program exists, the other script got the slug problem, and its merchant was rolled back
    assert sorted(outcomes) == ["created", "slug: a program with slug 'acme' already exists"]
    assert Program.objects.count() == 1
    assert Merchant.objects.count() == 1
