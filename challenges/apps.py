from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "challenges"
    verbose_name = "Challenges & leaderboards"

    def ready(self):
        from challenges import signals  # noqa: F401  (cache invalidation receivers)
