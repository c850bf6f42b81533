"""The JSON log formatter writes exactly the line it always wrote (a shipper parses it), whatever the record."""

import json
import logging
import sys
from datetime import UTC, datetime

import pytest

from loyalty.observability.logs import JsonFormatter
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
    ],
)
def test_a_log_line_is_the_same_json_as_before(record):
    # given the formatter production uses
    formatter = JsonFormatter()
    token = _current.set("from-the-context")
    try:
        # when / then: the same text, and it is one JSON object
        assert formatter.format(record) == reference_line(record, formatter)
        assert json.loads(formatter.format(record))["logger"] == "members.services.orders"
    finally:
        _current.reset(token)
