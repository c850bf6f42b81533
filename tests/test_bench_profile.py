"""The under-load profile's arithmetic (tests/bench/profile_load.py): py-spy's raw samples into shares per frame."""

from tests.bench.profile_load import SHORT_NAMES, frame_shares, shares_table
from tests.bench.run import SCENARIOS

RAW = [
    "main (app.py:1);view (views.py:10);read (db.py:5) 6",
    "main (app.py:1);view (views.py:12);render (json.py:3) 3",
    "main (app.py:1);idle (app.py:9) 1",
    "main (app.py:1);view (views.py:10);view (views.py:20) 2",  # recursion: counted once per sample
    "",
]


def test_samples_are_counted_per_frame_whatever_its_line():
    # when
    total, inclusive, innermost = frame_shares(RAW)

    # then
    assert total == 12
    assert inclusive["main (app.py)"] == 12
    assert inclusive["view (views.py)"] == 11
    assert innermost == {"read (db.py)": 6, "render (json.py)": 3, "idle (app.py)": 1, "view (views.py)": 2}


def test_within_a_frame_only_its_samples_from_it_inwards_count():
    # when
    total, inclusive, _innermost = frame_shares(RAW, within="view")

    # then: the idle sample is left out, and main (the view's caller) is not listed
    assert total == 11
    assert "main (app.py)" not in inclusive
    assert inclusive["read (db.py)"] == 6


def test_the_table_lists_the_largest_shares_first():
    # given
    total, inclusive, _innermost = frame_shares(RAW)

    # when
    table = shares_table(total, inclusive, top=2)

    # then
    assert table.splitlines() == ["100.0%  main (app.py)", " 91.7%  view (views.py)"]


def test_every_bench_scenario_has_a_short_name():
    # then
    assert sorted(scenario.name for scenario in SHORT_NAMES.values()) == sorted(s.name for s in SCENARIOS)
