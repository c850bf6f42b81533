"""Database backends of the project (set as ENGINE in config/settings/base.py)."""
