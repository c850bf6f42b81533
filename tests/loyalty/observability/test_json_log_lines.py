"""The JSON log formatter writes exactly the line it always wrote (a shipper parses it), whatever the record."""

import json
import logging
import random
import sys
from datetime import UTC, datetime

import pytest

from loyalty.observability.logs import JsonFormatter, _iso_milliseconds
from loyalty.observability.request_id import _current


def reference_line(record: logging.LogRecord, formatter: logging.Formatter) -> str:
    """The formatter's output as first written (one `json.dumps` with `default=str` per record)."""
    line = {
        "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "message": record.getMessage(),
        "request_id": getattr(record, "request_id", _current.get()),
    }
    if record.exc_info:
        line["exc_info"] = formatter.formatException(record.exc_info)
    return json.dumps(line, ensure_ascii=False, default=str)


def _record(message, args=(), *, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("members.services.orders", logging.INFO, __file__, 1, message, args, exc_info)
    record.__dict__.update(extra)
    return record


def _exc_info():
    try:
        raise ValueError("boom — ليلى")
    except ValueError:
        return sys.exc_info()


@pytest.mark.parametrize(
    "record",
    [
        _record("order recorded program=%s subtotal=%s points=%s", ("bench", "42.50", 85), request_id="req-1"),
        _record('ليلى \x00 \ud800 "quoted" \\ \n tab\t', request_id="r"),
        _record("no request id on the record"),
        _record("an object message %r", (object,), request_id=None),
        _record("crashed", exc_info=_exc_info(), request_id="req-2"),
        _record("at a whole second", request_id="r", created=1_795_000_000.0),
        _record("just before a second", request_id="r", created=1_795_000_000.9999996),
        _record("before the epoch", request_id="r", created=-1.0000004),
        _record("an integer request id", request_id=42),
        _record("an object request id", request_id=object()),
        _record("a str subclass", request_id=type("Id", (str,), {})('sub\u00e9"')),
        _record("a number name", name=7, levelname=None),
        _record("crashed without an id", exc_info=_exc_info()),
    ],
)
def test_a_log_line_is_the_same_json_as_before(record):
    # given the formatter production uses
    formatter = JsonFormatter()
    token = _current.set("from-the-context")
    try:
        # when / then: the same text, and it is one JSON object
        assert formatter.format(record) == reference_line(record, formatter)
        assert json.loads(formatter.format(record))["logger"] == record.name
    finally:
        _current.reset(token)


def test_the_time_is_datetimes_for_any_moment():
    # given moments around whole seconds, half-microseconds and milliseconds, and random ones
    rng = random.Random(7)
    moments = [rng.uniform(0, 4e9) for _ in range(20_000)] + [rng.uniform(-1e5, 1e5) for _ in range(2_000)]
    moments += [
        second + offset
        for second in (0, 1_795_000_000, 1_795_000_001, -3)
        for offset in (0, 1e-7, 4e-7, 5e-7, 6e-7, 0.0005, 0.0009995, 0.9994999, 0.9995, 0.9999994, 0.9999995, 0.9999996)
    ]
    for moment in moments:
        # then the formatter's time is datetime's text
        expected = datetime.fromtimestamp(moment, tz=UTC).isoformat(timespec="milliseconds")
        assert _iso_milliseconds(moment) == expected, moment
