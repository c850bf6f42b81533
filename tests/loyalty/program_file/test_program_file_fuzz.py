"""Any JSON at any place of a program file gives either the canonical program or problem lines, never a crash."""

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.program_file import ProgramFileInvalid, program_file_parse
from tests.loyalty.program_file.documents import example

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["", "0", "1.25", "-1", "2026-12-01T00:00:00Z", "gold", "fixed", "points", "custom_event"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def _paths(node, prefix=()):
    """Every place in the document: dict keys and list indexes."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


EXAMPLE_PATHS = [path for path in _paths(example()) if path]


def _parse(document):
    try:
        return program_file_parse(document)
    except ProgramFileInvalid as exc:
        assert exc.problems and all(isinstance(line, str) and line for line in exc.problems)
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(EXAMPLE_PATHS), value=json_values)
def test_any_value_anywhere_is_read_or_reported(path, value):
    # given the example with one place replaced by arbitrary JSON
    document = copy.deepcopy(example())
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    # when it is parsed / then it is either valid (and canonical: parsing again changes nothing) or reported
    config = _parse(document)
    if config is not None:
        assert program_file_parse(copy.deepcopy(config)) == config


@settings(max_examples=200, deadline=None)
@given(document=json_values)
def test_any_json_document_is_read_or_reported(document):
    # given / when / then
    _parse(document)
