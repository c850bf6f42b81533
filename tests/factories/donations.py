"""Causes to give points to (donations themselves are made through `points_donate`, never written here)."""

import itertools

from donations.models import Cause

_numbers = itertools.count(1)


def cause(program, **fields) -> Cause:
    number = next(_numbers)
    defaults = {"name": f"Cause {number}", "description": "Clean water for schools.", "position": number}
    return Cause.objects.create(program=program, **{**defaults, **fields})
