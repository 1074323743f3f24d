from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Agreements")

    def ready(self) -> None:
        # The role groups exist wherever the tracker is migrated, production included. Connected to the last
        # of our apps so that every model's permissions exist by then.
        post_migrate.connect(_ensure_role_groups, sender=apps.get_app_config("followups"))
        _connect_security_records()


def _connect_security_records() -> None:
    """Logins, failed logins, logouts and lockouts are kept as security records (agreements.security)."""
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    from agreements import security

    user_logged_in.connect(security.on_logged_in, dispatch_uid="security-login")
    user_logged_out.connect(security.on_logged_out, dispatch_uid="security-logout")
    user_login_failed.connect(security.on_login_failed, dispatch_uid="security-login-failed")
    user_locked_out.connect(security.on_locked_out, dispatch_uid="security-lockout")


def _ensure_role_groups(**kwargs) -> None:
    from agreements.roles import role_groups_ensure

    role_groups_ensure()
