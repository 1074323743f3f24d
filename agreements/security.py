"""Security records: every staff login, failed login and lockout, and every refused API request, kept for at least
SECURITY_EVENT_RETENTION_DAYS (a year and more) and readable by coordinators in the admin (issue 9).

django-axes keeps its own AccessAttempt rows only until the next successful login (AXES_RESET_ON_SUCCESS), so
these records are ours. Django's and axes' authentication signals are the only places where a login attempt is
seen whichever page it came through, so the receivers below (connected in AgreementsConfig.ready) record them;
the API's refusals are recorded by name in agreements.api.auth.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["SecurityEventKind", "SecurityEvent"]

# Kept at least this long; security_events_purge refuses anything shorter.
MINIMUM_RETENTION_DAYS = 366


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKOUT = "lockout", _("Lockout")
    LOGOUT = "logout", _("Logout")
    API_REFUSED = "api_refused", _("Refused API request")


class SecurityEvent(models.Model):
    """One login, failed login, lockout, logout or refused API request. Written once, never changed."""

    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=SecurityEventKind.choices)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now, db_index=True)
    username = models.CharField(
        verbose_name=_("username"), max_length=150, blank=True, help_text=_("As typed, for a failed login.")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    api_key_prefix = models.CharField(
        verbose_name=_("api key prefix"), max_length=20, blank=True, help_text=_("The start of the key presented.")
    )
    organisation = models.ForeignKey(
        "agreements.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(verbose_name=_("ip address"), null=True, blank=True)
    path = models.CharField(verbose_name=_("path"), max_length=300, blank=True)
    reason = models.CharField(verbose_name=_("reason"), max_length=300, blank=True)
    user_agent = models.CharField(verbose_name=_("user agent"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=SecurityEventKind.values), name="security_event_kind_valid"
            ),
        ]
        indexes = [
            # The admin's filters: one kind over time, one person's attempts.
            models.Index(fields=["kind", "-created_at"], name="security_event_kind_time"),
            models.Index(fields=["username", "-created_at"], name="security_event_username"),
        ]

    def __str__(self) -> str:
        who = self.username or self.api_key_prefix or "-"
        return f"{self.get_kind_display()} {who} from {self.ip_address or '?'} at {self.created_at:%Y-%m-%d %H:%M}"


def _client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(models.GenericIPAddressField().clean(address, None)) if address else None
    except ValidationError:
        return None


def security_event_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    username: str = "",
    user=None,
    api_key_prefix: str = "",
    organisation=None,
    reason: str = "",
) -> SecurityEvent:
    """Keep one security record. Not idempotent: each call is one event. Runs in the caller's transaction (the
    login views and the API do not wrap requests in one, so a refused request's record is kept)."""
    return SecurityEvent.objects.create(
        kind=kind,
        username=(username or (user.get_username() if user is not None else ""))[:150],
        user=user if getattr(user, "pk", None) else None,
        api_key_prefix=api_key_prefix[:20],
        organisation=organisation,
        ip_address=_client_address(request),
        path=(request.path if request is not None else "")[:300],
        reason=reason[:300],
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
    )


def security_events_purge(*, older_than_days: int) -> int:
    """Delete records older than `older_than_days` (never less than a year). Safe to run twice."""
    if older_than_days < MINIMUM_RETENTION_DAYS:
        raise ValidationError(f"Security records are kept at least {MINIMUM_RETENTION_DAYS} days.")
    deleted, _ = SecurityEvent.objects.filter(created_at__lt=timezone.now() - timedelta(days=older_than_days)).delete()
    return deleted


# --- Receivers of the authentication signals (connected in AgreementsConfig.ready) ---------------------------


def on_logged_in(sender, request, user, **kwargs) -> None:
    security_event_record(kind=SecurityEventKind.LOGIN, request=request, user=user)


def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        security_event_record(kind=SecurityEventKind.LOGOUT, request=request, user=user)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    security_event_record(
        kind=SecurityEventKind.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username", "")),
        reason="wrong username or password",
    )


def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    limit = getattr(settings, "AXES_FAILURE_LIMIT", "")
    security_event_record(
        kind=SecurityEventKind.LOCKOUT,
        request=request,
        username=str(username or ""),
        reason=f"locked out after {limit} failed logins",
    )
