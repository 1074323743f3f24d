from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "Follow-ups"

    def ready(self) -> None:
        # Registers the reminder planner in followups.services.deadline_change_hooks (issue 3), and partners'
        # webhooks in services.status_change_hooks and deadline_change_hooks (issue 5 item 6).
        from followups import reminders, webhooks  # noqa: F401
