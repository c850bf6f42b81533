"""Every server API call needs an authenticated program."""

from rest_framework.permissions import BasePermission


class HasProgram(BasePermission):
    def has_permission(self, request, view):
        return getattr(request, "program", None) is not None
