"""Production plumbing: request ids, JSON logs, the health and metrics endpoints, the CSP header."""
