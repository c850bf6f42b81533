"""Emails to members: one `Notification` row per fact (the idempotency record), sent after commit by
Celery, rendered in the program's language and branding. See docs/jobs.md."""
