"""`{% donation_invite program %}`: a dashboard card inviting the member to give points, when the program has causes."""

from django import template

from donations.models import Cause

register = template.Library()


@register.inclusion_tag("donations/dashboard_invite.html")
def donation_invite(program):
    """One query; renders nothing when the program lists no active cause."""
    return {"program": program, "has_causes": Cause.objects.filter(program=program, active=True).exists()}
