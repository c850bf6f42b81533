"""JSON log lines (one object a line) carrying the request id, for log shippers."""

import functools
import json
import logging
import math
import time
from json.encoder import encode_basestring

from loyalty.observability.request_id import request_id_get

# One encoder for every line: `json.dumps` with any option builds a new encoder per call, which cost more than
# the encoding. Same options, same output (`default=str` for whatever a handler's caller puts on a record).
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
_MISSING = object()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_get()
        return True


@functools.lru_cache(maxsize=4)
def _second(seconds: float) -> str:
    """`2026-12-07T22:13:02` of a whole UTC second: log lines come in order, so one or two seconds are in use."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def _iso_milliseconds(created: float) -> str:
    """`datetime.fromtimestamp(created, tz=UTC).isoformat(timespec="milliseconds")`, without the datetime: the
    microseconds rounded half-even as datetime rounds them (into the next second too), then cut to milliseconds."""
    fraction, seconds = math.modf(created)
    micro = round(fraction * 1e6)
    if micro >= 1_000_000:
        seconds, micro = seconds + 1, micro - 1_000_000
    elif micro < 0:
        seconds, micro = seconds - 1, micro + 1_000_000
    return f"{_second(seconds)}.{micro // 1000:03d}+00:00"


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id"}` and `exc_info` when there is one. Every order
    writes a line, so this stays lean: no settings read, the line put together from its JSON-escaped strings
    (what the shared encoder writes for them) and the dictionary encoded only for a value that is not a string."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = record.__dict__.get("request_id", _MISSING)
        if request_id is _MISSING:
            request_id = request_id_get()
        level, name, message = record.levelname, record.name, record.getMessage()  # a message is always a str
        exc_info = self.formatException(record.exc_info) if record.exc_info else None
        if not (isinstance(request_id, str) and isinstance(level, str) and isinstance(name, str)):
            return _encode(_line(record.created, level, name, message, request_id, exc_info))
        text = (
            f'{{"time": "{_iso_milliseconds(record.created)}", "level": {encode_basestring(level)}, '
            f'"logger": {encode_basestring(name)}, "message": {encode_basestring(message)}, '
            f'"request_id": {encode_basestring(request_id)}'
        )
        return f'{text}, "exc_info": {encode_basestring(exc_info)}}}' if exc_info is not None else text + "}"


def _line(created: float, level, name, message: str, request_id, exc_info: str | None) -> dict:
    """The line as a dictionary, for the encoder: a value that is not a string (`default=str` for objects)."""
    line = {
        "time": _iso_milliseconds(created),
        "level": level,
        "logger": name,
        "message": message,
        "request_id": request_id,
    }
    if exc_info is not None:
        line["exc_info"] = exc_info
    return line
