"""What each notification says: subject and body lines per kind, translated with the "email" context.
The layout (branding, greeting, button, unsubscribe link) is in templates/emails/notification.{html,txt}."""

from django.utils.translation import pgettext_lazy

from members.job_models import NotificationKind

SUBJECTS = {
    NotificationKind.POINTS_EARNED: pgettext_lazy("email", "You earned %(points)s %(points_name)s"),
    "tier_up": pgettext_lazy("email", "Welcome to %(tier)s"),
    "tier_down": pgettext_lazy("email", "Your tier is now %(tier)s"),
    NotificationKind.EXPIRY_WARNING: pgettext_lazy("email", "%(points)s %(points_name)s expire on %(date)s"),
    NotificationKind.POINTS_EXPIRED: pgettext_lazy("email", "%(points)s %(points_name)s expired"),
    NotificationKind.BIRTHDAY: pgettext_lazy("email", "Happy birthday! %(points)s %(points_name)s for you"),
    NotificationKind.REFERRAL_REWARD: pgettext_lazy("email", "Your referral reward from %(program)s"),
    NotificationKind.CODE_ISSUED: pgettext_lazy("email", "Your code for %(reward)s"),
    NotificationKind.MEMBERSHIP_ENDED: pgettext_lazy("email", "Your %(plan)s membership has ended"),
    NotificationKind.CHALLENGE_COMPLETED: pgettext_lazy("email", "Challenge complete: %(challenge)s"),
}

BODIES = {
    NotificationKind.POINTS_EARNED: pgettext_lazy(
        "email", "You earned %(points)s %(points_name)s at %(program)s. Your balance is now %(balance)s."
    ),
    "tier_up": pgettext_lazy("email", "You have reached the %(tier)s tier at %(program)s."),
    "tier_down": pgettext_lazy("email", "Your tier at %(program)s is now %(tier)s. Keep earning to move up again."),
    NotificationKind.EXPIRY_WARNING: pgettext_lazy(
        "email", "%(points)s of your %(points_name)s at %(program)s expire on %(date)s. Spend them before then."
    ),
    NotificationKind.POINTS_EXPIRED: pgettext_lazy("email", "%(points)s %(points_name)s at %(program)s have expired."),
    NotificationKind.BIRTHDAY: pgettext_lazy(
        "email", "Happy birthday from %(program)s! We added %(points)s %(points_name)s to your balance."
    ),
    NotificationKind.REFERRAL_REWARD: pgettext_lazy(
        "email", "Thank you for referring a friend to %(program)s! Your reward: %(reward)s."
    ),
    NotificationKind.CODE_ISSUED: pgettext_lazy("email", "Here is your code for %(reward)s: %(code)s"),
    NotificationKind.MEMBERSHIP_ENDED: pgettext_lazy(
        "email", "Your paid %(plan)s membership at %(program)s has ended. Your tier is now %(tier)s."
    ),
    NotificationKind.CHALLENGE_COMPLETED: pgettext_lazy(
        "email", "You completed the challenge “%(challenge)s” at %(program)s. Your reward: %(reward)s."
    ),
}
