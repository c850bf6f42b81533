"""The job tests' fixtures, shared: members, programs with expiry policies, the local HTTP server."""

from tests.jobs.conftest import fixed_program, inactivity_program, make_member, receiver  # noqa: F401
