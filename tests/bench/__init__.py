"""`make bench`: order ingestion through gunicorn + PostgreSQL, against bare baselines served the same way."""
