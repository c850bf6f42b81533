"""The outbound events the services announce, each built from objects the caller already holds (no query) and
recorded only when an endpoint of the program takes it (`webhook_subscribed`, cached: no query otherwise).

Every function here runs inside the caller's transaction, right after the fact was written, so a rollback queues
nothing and the sending starts after commit. Event ids are derived from the rows that make the fact unique
(the ledger row, the member, the redemption, the referral), so a replayed request, which writes no new row,
announces nothing new. Payloads are documented in docs/jobs.md."""

from members.choices import TransactionKind, TransactionSource
from members.job_models import WebhookEvent
from members.models import Member, Transaction
from members.webhooks.delivery import webhook_events_record, webhook_subscribed

# Credits announced as `points.earned` (refunds of points are corrections, not earnings) and debits announced as
# `points.spent` (a redemption or a donation; manual removals and order refunds are not spending).
EARNED_KINDS = (
    TransactionKind.EARN,
    TransactionKind.BONUS,
    TransactionKind.REFERRAL,
    TransactionKind.CHALLENGE,
    TransactionKind.ADJUST,
)
SPENT_KINDS = (TransactionKind.REDEEM, TransactionKind.DONATE)

# Why the points came, as merchants name it (`birthday` is announced by the birthday job itself).
REASONS = {TransactionSource.RULE: "bonus"}


def points_rows_announce(rows: list[Transaction]) -> None:
    """`points.earned` for credits, `points.spent` for redemptions and donations, of ledger rows written in one
    transaction (`points_post`'s one row, a batch's credits): one INSERT of deliveries per program and event.
    Each row's `member` is the locked member its counters were moved on."""
    by_event: dict[tuple[int, str], list] = {}
    subscribed: dict[tuple[int, str], bool] = {}  # asked once per program and event, not once per row
    for row in rows:
        event = _points_event(row)
        if event is None:
            continue
        key = (row.program_id, event)
        if key not in subscribed:
            subscribed[key] = webhook_subscribed(program=row.program_id, event=event)
        if subscribed[key]:
            by_event.setdefault(key, []).append(row)
    for (_program_id, event), announced in by_event.items():
        program, at = announced[0].member.program, announced[0].created_at
        webhook_events_record(
            program=program, event=event, events=[(f"{event}:txn:{r.pk}", _points_data(r)) for r in announced], at=at
        )


def _points_event(row: Transaction) -> str | None:
    if row.points > 0 and row.kind in EARNED_KINDS:
        return WebhookEvent.POINTS_EARNED
    if row.points < 0 and row.kind in SPENT_KINDS:
        return WebhookEvent.POINTS_SPENT
    return None


def _points_data(row: Transaction) -> dict:
    data = {
        "customer_id": row.member.customer_id,
        "points": abs(row.points),
        "reason": REASONS.get(row.source, row.source),
        "status": row.status,
        "balance": row.balance_after,
        "pending_points": row.member.pending_points,
        "description": row.description,
        "transaction_id": row.pk,
    }
    if row.activates_at:
        data["available_at"] = row.activates_at
    if row.order_id:
        data["order_id"] = row.order.order_id
    if row.event_id:
        data["event_id"] = row.event.event_id
    return data


def member_created_announce(*, member: Member) -> None:
    """`member.created`, once per member (event id from the member's id)."""
    if not webhook_subscribed(program=member.program_id, event=WebhookEvent.MEMBER_CREATED):
        return
    data = {
        "customer_id": member.customer_id,
        "email": member.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "birthday": member.birthday,
        "referral_code": member.referral_code,
        "tier": member.tier.key if member.tier_id else None,
        "points_balance": member.points_balance,
        "created_at": member.created_at,
    }
    _announce(member.program, WebhookEvent.MEMBER_CREATED, member.pk, data, member.created_at)


def reward_redeemed_announce(*, member: Member, redemption, voucher) -> None:
    """`reward.redeemed`, once per redemption, with the code issued (the merchant's email tool may send it)."""
    if not webhook_subscribed(program=member.program_id, event=WebhookEvent.REWARD_REDEEMED):
        return
    reward = redemption.reward
    data = {
        "customer_id": member.customer_id,
        "redemption_id": redemption.pk,
        "reward": {"key": reward.key, "name": reward.name, "type": reward.type},
        "points_spent": redemption.points_spent,
        "value": redemption.value,
        "code": voucher.code if voucher else None,
        "code_expires_at": voucher.expires_at if voucher else None,
        "balance": member.points_balance,
    }
    _announce(member.program, WebhookEvent.REWARD_REDEEMED, redemption.pk, data, redemption.created_at)


def referral_completed_announce(*, referral, referrer: Member, order) -> None:
    """`referral.completed`, once per referral: the friend's first qualifying order converted it."""
    if not webhook_subscribed(program=referral.program_id, event=WebhookEvent.REFERRAL_COMPLETED):
        return
    voucher = referral.referrer_voucher
    data = {
        "referral_id": referral.pk,
        "referrer_customer_id": referrer.customer_id,
        "friend_customer_id": order.member.customer_id,
        "order_id": order.order_id,
        "referrer_reward": {
            "points": referral.referrer_points,
            "points_pending_until": referral.reward_pending_until,
            "code": voucher.code if voucher else None,
        },
    }
    _announce(referral.program, WebhookEvent.REFERRAL_COMPLETED, referral.pk, data, referral.converted_at)


def _announce(program, event: str, fact, data: dict, at) -> None:
    """One event, its id `<event>:<fact>` (the row that makes the fact unique: stable across replays)."""
    webhook_events_record(program=program, event=event, events=[(f"{event}:{fact}", data)], at=at)
