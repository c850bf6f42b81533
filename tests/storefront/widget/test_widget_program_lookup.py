"""The program a widget call names is kept in the process (loyalty/local_cache.py) and handed to each request as its
own copy: one query for many calls, an edit saved in this process shows at once, and no request changes another's."""

import pytest
from django.test import RequestFactory

from loyalty.local_cache import local_get
from storefront.shoppers import PROGRAM_HEADER, request_program

pytestmark = pytest.mark.django_db


def _request(program):
    return RequestFactory().get("/api/widget/v1/me", headers={PROGRAM_HEADER: program.public_key})


def test_the_program_is_read_once_and_each_request_gets_its_own_copy(program, django_assert_num_queries):
    # given the program read by a first request, then a second request's copy changed by it
    request_program(_request(program))
    with django_assert_num_queries(0):
        second = request_program(_request(program))
    second.name = "changed by a request"
    # when
    with django_assert_num_queries(0):
        third = request_program(_request(program))
    # then the third request gets the program as stored
    assert third.pk == program.pk and third is not second
    assert third.name == program.name


def test_a_program_saved_in_this_process_shows_in_the_next_request(program):
    # given
    request_program(_request(program))
    # when
    program.name = "Renamed"
    program.save()
    # then
    assert request_program(_request(program)).name == "Renamed"


def test_a_reader_of_the_shared_program_and_a_later_caller_look_it_up_once(program, monkeypatch):
    # given the program cached, and the process's cache lookups counted
    request_program(_request(program))
    lookups = []
    monkeypatch.setattr("storefront.shoppers.local_get", lambda key: lookups.append(key) or local_get(key))
    request = _request(program)
    # when a kept widget answer reads it shared, then the CORS check (after the view) asks for the request's own
    shared = request_program(request, shared=True)
    own = request_program(request)
    # then one lookup; the request's own is a copy, which it keeps
    assert len(lookups) == 1
    assert own is not shared and own.pk == shared.pk and request_program(request) is own
