"""Creating a program from its file: bulk inserts, and one program per slug under concurrency."""

import json
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loyalty.management.program_files import program_file_create
from loyalty.models import Merchant, Program
from loyalty.program_file import ProgramFileInvalid
from tests.conftest import postgres_only
from tests.loyalty.program_file.documents import DEMO_PATH, example


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


@pytest.mark.django_db
def test_creating_a_program_takes_the_same_queries_whatever_its_size():
    # given a small program (the example: 6 rules, 3 tiers, 4 rewards) and a bigger one (the demo: 7, 4, 8)
    small = example()
    small["segments"] = [{"key": "everyone", "name": "Everyone", "conditions": []}]  # the demo has one too
    big = json.loads(DEMO_PATH.read_text())
    # when each is created
    with CaptureQueriesContext(connection) as small_queries:
        program_file_create(small)
    with CaptureQueriesContext(connection) as big_queries:
        program_file_create(big)
    # then rules, tiers, segments and rewards are inserted in bulk: the count does not grow with the file
    assert len(small_queries) == len(big_queries)
    # merchant, program, tiers, segments, rules, API key, rewards, and the storefront catalog version
    assert sum(query["sql"].startswith("INSERT") for query in big_queries.captured_queries) == 8
