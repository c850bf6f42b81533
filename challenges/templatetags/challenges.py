"""Words of the challenge pages: the challenge's text in the active language, its progress and its reward."""

from django import template
from django.utils.translation import pgettext

from challenges.choices import ChallengeMetric
from members.templatetags.portal import num

register = template.Library()


@register.filter
def challenge_text(challenge, field: str) -> str:
    return challenge.text(field)


@register.filter
def progress_words(card) -> str:
    """ "2 of 3 orders", "120.00 of 200.00 USD spent", "1 of 2 done"."""
    words = {"value": num(card.shown_value), "target": num(card.shown_target)}
    metric = card.challenge.metric
    if metric == ChallengeMetric.ORDERS:
        return pgettext("portal", "%(value)s of %(target)s orders") % words
    if metric == ChallengeMetric.SPEND:
        words["currency"] = card.challenge.program.currency
        return pgettext("portal", "%(value)s of %(target)s %(currency)s spent") % words
    return pgettext("portal", "%(value)s of %(target)s done") % words


@register.filter
def reward_words(challenge) -> str:
    """ "100 Points", "5 off", or "100 Points + 5 off"."""
    parts = []
    if challenge.reward_points:
        program = challenge.program
        parts.append(f"{num(challenge.reward_points)} {program.points_label(challenge.reward_points)}")
    if challenge.reward_id:
        parts.append(challenge.reward.name)
    return " + ".join(parts)
