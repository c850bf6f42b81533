"""`{% membership_card member %}`: the portal dashboard's paid-membership card (plan, perks, paid until)."""

from django import template

from memberships.selectors import membership_live

register = template.Library()


@register.inclusion_tag("memberships/dashboard_card.html", takes_context=True)
def membership_card(context, member):
    """One query; renders nothing for members without a live membership."""
    return {"membership": membership_live(member=member) if member else None, "program": context.get("program")}
