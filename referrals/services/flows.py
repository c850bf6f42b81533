"""The orchestrators the API views and the webhooks call: the members service does its part, then the
referral part runs, in the open, top to bottom. Each step is idempotent on its own, so a retried request
(after a crash between the two steps too) completes what the first one left undone and repeats nothing."""

from datetime import date, datetime
from decimal import Decimal

from challenges.services.progress import challenges_progress_after_order
from loyalty.models import Program
from members.models import Member
from members.services.members import member_upsert
from members.services.orders import OrderResult, order_record
from members.services.refunds import RefundResult, refund_record
from referrals.services.referrals import referral_attach, referral_cancel_for_refund, referral_qualify
from referrals.services.signals import NO_SIGNALS, Signals, member_signals_record


def member_join(
    *,
    program: Program,
    customer_id: str,
    email: str = "",
    first_name: str | None = None,
    last_name: str | None = None,
    birthday: date | None = None,
    phone: str | None = None,
    referral_code: str | None = None,
    signals: Signals = NO_SIGNALS,
    at: datetime | None = None,
) -> tuple[Member, bool]:
    """`member_upsert`, then: remember the storefront's signals, and attribute a new member (or one who has
    not been attributed yet) to their referrer, which gives the friend reward."""
    member, created = member_upsert(
        program=program,
        customer_id=customer_id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        birthday=birthday,
        phone=phone,
        referral_code=referral_code,
        at=at,
    )
    member_signals_record(member=member, signals=signals)
    if program.referrals_enabled and (created or referral_code):
        referral_attach(friend=member, referral_code=referral_code or "", signals=signals, at=at)
    return member, created


def order_paid(
    *,
    program: Program,
    order_id: str,
    customer_id: str,
    subtotal: Decimal,
    currency: str,
    email: str = "",
    placed_at: datetime | None = None,
    referral_code: str = "",
    items: list | None = None,
    signals: Signals = NO_SIGNALS,
) -> OrderResult:
    """`order_record`, then: attribute the buyer if the order carries a referral code (or the buyer claimed
    on the landing page), and convert their referral if this is their first qualifying order."""
    result = order_record(
        program=program,
        order_id=order_id,
        customer_id=customer_id,
        subtotal=subtotal,
        currency=currency,
        email=email,
        placed_at=placed_at,
        referral_code=referral_code,
        items=items,
    )
    order_paid_followups(program=program, result=result, signals=signals, referral_code=referral_code)
    return result


def order_paid_followups(*, program: Program, result: OrderResult, signals: Signals, referral_code: str = "") -> None:
    """What follows a recorded (or replayed) order: also called by the batch endpoint for the orders it recorded
    set-based (`members.services.order_batch`), item by item in their order."""
    order, member = result.order, result.member
    member_signals_record(member=member, signals=signals)
    if program.referrals_enabled and member.referred_by_id is None:
        # Not attributed yet: the order's code, or a claim the buyer made on the landing page.
        referral_attach(friend=member, referral_code=referral_code or order.referral_code, signals=signals, order=order)
    if member.referred_by_id is not None:
        referral_qualify(order=order)
    challenges_progress_after_order(member=member, order=order)


def order_refunded(*, program: Program, order_id: str, refund_id: str, amount: Decimal) -> RefundResult:
    """`refund_record`, then: a refund of a referral's qualifying order inside the pending window cancels the
    referrer's reward."""
    result = refund_record(program=program, order_id=order_id, refund_id=refund_id, amount=amount)
    if result.member.referred_by_id is not None:
        referral_cancel_for_refund(order=result.order)
    return result
