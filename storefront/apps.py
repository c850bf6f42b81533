from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    """The storefront channels: the widget API, Shopify webhooks, the in-store (POS) API and the demo shop."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "storefront"

    def ready(self):
        from storefront import (  # noqa: F401  (connect their signal receivers)
            catalog,  # the catalog token the widget's cached answers are keyed on
            cors,  # the per-program CORS check
        )
