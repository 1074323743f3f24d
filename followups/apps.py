from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "Follow-ups"

    def ready(self) -> None:
        # Registers the reminder planner in followups.services.deadline_change_hooks (issue 3).
        from followups import reminders  # noqa: F401
