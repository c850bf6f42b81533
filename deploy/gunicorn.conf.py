"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Graceful shutdown: on SIGTERM gunicorn stops accepting connections and gives in-flight requests
`graceful_timeout` seconds to finish before killing the workers. Every write is one database transaction,
so a request killed after that either committed or wrote nothing; clients retry with the same ids."""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
keepalive = 5
# Recycle workers now and then (jitter so they do not all restart at once).
max_requests = 2000
max_requests_jitter = 200
# Behind a proxy that terminates TLS and sets X-Forwarded-Proto; restrict to its address in your network.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Application logs are JSON (config/settings/production.py); gunicorn's own go to stderr beside them.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
