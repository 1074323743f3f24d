from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = "Agreements"

    def ready(self) -> None:
        # The role groups exist wherever the tracker is migrated, production included. Connected to the last
        # of our apps so that every model's permissions exist by then.
        post_migrate.connect(_ensure_role_groups, sender=self.apps.get_app_config("followups"))


def _ensure_role_groups(**kwargs) -> None:
    from agreements.roles import role_groups_ensure

    role_groups_ensure()
