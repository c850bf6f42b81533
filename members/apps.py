from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"

    def ready(self):
        from members.webhooks.subscriptions import connect_signals

        connect_signals()
