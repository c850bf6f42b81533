"""Sending queued notifications through Django's email backend (`EMAIL_URL`): at most once.

Claim, then send: a notification is claimed before it is sent, by one conditional UPDATE queued → sending that
stamps `claimed_at`, so two workers, a retried task or a task the broker redelivers after a worker died
(`acks_late`) never send the same row. A send that raises puts it back to queued for the retry (the mail server
refused it). A worker that dies between the send and recording it leaves the row `sending`: whether the email left
is unknown, so it is never sent again; `notifications_reap` marks such stale claims `failed` for the admin.
Each email carries a Message-ID derived from the notification, the same on every attempt, so a mail system that
deduplicates on it drops a copy."""

import hashlib
import logging
from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from members.job_models import Notification, NotificationKind, NotificationStatus
from members.notifications.messages import BODIES, SUBJECTS
from members.portal.links import unsubscribe_token

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def notifications_send(*, notification_ids: list[int]) -> list[int]:
    """Send these notifications (those still queued). Returns the ids that failed and should be retried."""
    failed = []
    rows = Notification.objects.filter(pk__in=notification_ids, status=NotificationStatus.QUEUED).select_related(
        "program", "member"
    )
    for notification in rows.order_by("pk"):
        if not _claim(notification):
            continue
        member = notification.member
        if not member.emails_allowed or not member.email:
            _finish(notification, NotificationStatus.SKIPPED)
            continue
        try:
            notification_message(notification).send()
        except Exception as exc:  # any transport error: retried with backoff by the task
            attempts = notification.attempts + 1
            status = NotificationStatus.FAILED if attempts >= MAX_ATTEMPTS else NotificationStatus.QUEUED
            Notification.objects.filter(pk=notification.pk).update(status=status, last_error=str(exc)[:500])
            logger.warning("notification not sent id=%s attempts=%s error=%s", notification.pk, attempts, exc)
            if status == NotificationStatus.QUEUED:
                failed.append(notification.pk)
            continue
        _finish(notification, NotificationStatus.SENT)
        logger.info("notification sent id=%s kind=%s member=%s", notification.pk, notification.kind, member.pk)
    return failed


def _claim(notification: Notification) -> bool:
    """queued → sending in one conditional UPDATE: only the worker whose UPDATE matched the row sends it."""
    return bool(
        Notification.objects.filter(pk=notification.pk, status=NotificationStatus.QUEUED).update(
            status=NotificationStatus.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
        )
    )


def _finish(notification: Notification, status: str) -> None:
    Notification.objects.filter(pk=notification.pk).update(status=status, sent_at=timezone.now(), last_error="")


def notification_message(notification: Notification) -> EmailMultiAlternatives:
    """The email (text + HTML) in the program's language and colours, with a working unsubscribe link."""
    program, member = notification.program, notification.member
    with translation.override(program.locale or settings.LANGUAGE_CODE):
        variant = _variant(notification)
        words = _words(notification)
        context = {
            "program": program,
            "member": member,
            "subject": str(SUBJECTS[variant]) % words,
            "body": str(BODIES[variant]) % words,
            "code": notification.context.get("code", ""),
            "primary_color": program.primary_color,
            "portal_url": settings.SITE_URL + reverse("portal:landing", kwargs={"slug": program.slug}),
            "unsubscribe_url": settings.SITE_URL + unsubscribe_path(member),
        }
        text = render_to_string("emails/notification.txt", context)
        html = render_to_string("emails/notification.html", context)
    message = EmailMultiAlternatives(
        context["subject"],
        text,
        settings.DEFAULT_FROM_EMAIL,
        [member.email],
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "X-Loyalty-Notification": notification.key,
            "Message-ID": notification_message_id(notification),
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def notification_message_id(notification: Notification) -> str:
    """The same Message-ID on every attempt of one notification (RFC 5322: unique, with the sender's domain)."""
    digest = hashlib.sha256(f"{notification.program_id}:{notification.key}".encode()).hexdigest()[:24]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    return f"<notification.{notification.pk}.{digest}@{domain}>"


def unsubscribe_path(member) -> str:
    return reverse("portal:unsubscribe", kwargs={"slug": member.program.slug, "token": unsubscribe_token(member)})


def _variant(notification: Notification) -> str:
    if notification.kind == NotificationKind.TIER_CHANGED:
        return "tier_up" if notification.context.get("up") else "tier_down"
    return notification.kind


def _words(notification: Notification) -> dict:
    program, ctx = notification.program, notification.context
    points = int(ctx.get("points", 0))
    words = {
        "program": program.name,
        "points": formats.number_format(points, force_grouping=True),
        "points_name": program.points_label(points),
        "balance": formats.number_format(ctx.get("balance", notification.member.points_balance), force_grouping=True),
        "tier": ctx.get("tier", ""),
        "plan": ctx.get("plan", ""),
        "challenge": ctx.get("challenge", ""),
        "reward": ctx.get("reward", ""),
        "code": ctx.get("code", ""),
        "date": "",
    }
    if ctx.get("date"):
        words["date"] = formats.date_format(date.fromisoformat(ctx["date"]), "DATE_FORMAT")
    return words
