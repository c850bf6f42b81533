from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "loyalty"

    def ready(self):
        from loyalty.program_config import connect_signals

        connect_signals()  # cached program configuration is dropped when it is saved
