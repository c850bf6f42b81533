"""Outbound webhooks to a merchant's own systems (email tools, CRMs): signed, retried, logged. See docs/jobs.md."""
