"""Remembering the IPs, devices and shipping addresses the storefront reports for a member."""

from dataclasses import dataclass

from django.db.models import Q

from members.models import Member
from referrals.choices import SignalKind
from referrals.models import MemberSignal
from referrals.services.identity import address_normalize, signal_hash


@dataclass(frozen=True)
class Signals:
    """What the storefront sent with one request; every part optional."""

    ip_address: str | None = None
    device_fingerprint: str = ""
    shipping_address: str = ""

    def hashes(self) -> dict[str, str]:
        values = {
            SignalKind.IP: (self.ip_address or "").strip(),
            SignalKind.DEVICE: (self.device_fingerprint or "").strip(),
            SignalKind.ADDRESS: address_normalize(self.shipping_address),
        }
        return {kind: signal_hash(kind, value) for kind, value in values.items() if value}


NO_SIGNALS = Signals()


def member_signals_record(*, member: Member, signals: Signals) -> None:
    """Keep each new signal once (the unique constraint drops repeats)."""
    rows = [
        MemberSignal(program_id=member.program_id, member=member, kind=kind, value_hash=value_hash)
        for kind, value_hash in signals.hashes().items()
    ]
    if rows:
        MemberSignal.objects.bulk_create(rows, ignore_conflicts=True)


def signals_shared(*, referrer: Member, friend: Member | None, signals: Signals) -> set[str]:
    """The kinds of signal the friend (this request's, or any recorded for the friend) shares with the referrer."""
    friend_hashes = set(signals.hashes().items())
    if friend is not None:
        friend_hashes |= set(MemberSignal.objects.filter(member=friend).values_list("kind", "value_hash"))
    if not friend_hashes:
        return set()
    matches = Q()
    for kind, value_hash in friend_hashes:
        matches |= Q(kind=kind, value_hash=value_hash)
    return set(MemberSignal.objects.filter(matches, member=referrer).values_list("kind", flat=True))


SIGNAL_FIELDS = ("ip_address", "device_fingerprint", "shipping_address")


def signals_pop(data: dict) -> Signals:
    """Take the storefront's optional signals out of validated API input (the rest goes to the service)."""
    values = {name: data.pop(name) for name in SIGNAL_FIELDS if data.get(name) is not None}
    if "ip_address" in values and not values["ip_address"]:
        values["ip_address"] = None
    for name in SIGNAL_FIELDS:
        data.pop(name, None)
    return Signals(**values)
