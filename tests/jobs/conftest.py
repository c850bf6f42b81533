"""Helpers of the job and notification tests: members and points through the real services, at chosen times, and a
local HTTP server (127.0.0.1 only, in a thread) that records what it receives and answers with the statuses it is
told to, for the outbound webhook tests."""

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction

from loyalty.choices import ExpiryPolicy
from members.choices import TransactionKind, TransactionSource
from members.services.ledger import member_lock, points_post
from members.services.members import member_upsert

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def fixed_program(program):
    program.expiry_policy = ExpiryPolicy.FIXED
    program.expiry_days = 30
    program.expiry_warn_days_before = 7
    program.save()
    return program


@pytest.fixture
def inactivity_program(program):
    program.expiry_policy = ExpiryPolicy.INACTIVITY
    program.expiry_days = 365
    program.expiry_warn_days_before = 30
    program.save()
    return program


@pytest.fixture
def make_member():
    def make(program, customer_id: str, **profile):
        profile.setdefault("email", f"{customer_id}@example.com")
        member, _ = member_upsert(program=program, customer_id=customer_id, **profile)
        return member

    return make


def post(member, points: int, at: datetime, key: str, kind: str = TransactionKind.EARN):
    """Credit or debit `points` at `at` through the ledger service (a credit is a lot under `fixed`)."""
    source = TransactionSource.ADJUSTMENT
    with transaction.atomic():
        locked = member_lock(member.pk)
        return points_post(member=locked, points=points, kind=kind, source=source, idempotency_key=key, at=at)


class Receiver:
    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []  # answers to give, in order; 200 once exhausted

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def receiver():
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield receiver
    server.shutdown()
    server.server_close()
