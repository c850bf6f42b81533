"""JSON log lines (one object a line) carrying the request id, for log shippers."""

import json
import logging
from datetime import UTC, datetime

from loyalty.observability.request_id import request_id_get

# One encoder for every line: `json.dumps` with any option builds a new encoder per call, which cost more than
# the encoding. Same options, same output (`default=str` for whatever a handler's caller puts on a record).
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_get()
        return True


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id"}` and `exc_info` when there is one. Every order
    writes a line, so this stays lean: no settings read, one shared encoder."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = record.request_id if hasattr(record, "request_id") else request_id_get()
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id,
        }
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return _encode(line)
