"""Partner access to the REST API: API keys bound to one organisation. Imported by models.py.

A key is a high-entropy random token shown once when issued; only its sha256 is stored (a slow password hash
buys nothing against 256 random bits, and a fast one lets every request be checked against the database, so
that revocation, expiry and a deactivated organisation take effect on the very next request).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.history import TrackedHistory

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from agreements.models import Organisation

__all__ = ["ApiKey", "ApiKeyQuerySet", "IdempotencyKey", "api_key_issue", "api_key_revoke", "api_key_hash"]

# Keys look like "fut_<prefix>_<secret>": the prefix identifies a key in lists and logs without revealing it.
KEY_SCHEME = "fut"
PREFIX_LENGTH = 8
DEFAULT_LIFETIME_DAYS = 365


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def usable(self, *, now: datetime | None = None) -> Self:
        """Keys that authenticate now: not revoked, not expired, their organisation active."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, organisation__is_active=True)


class ApiKey(models.Model):
    """A partner organisation's key to the REST API. The raw key is never stored; see `api_key_issue`."""

    organisation = models.ForeignKey(
        "agreements.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(
        verbose_name=_("name"), max_length=100, help_text=_("What the key is for, e.g. 'sync from our ERP'.")
    )
    prefix = models.CharField(
        verbose_name=_("prefix"), max_length=20, editable=False, help_text=_("The start of the key, to recognise it.")
    )
    # sha256 hex of the whole raw key; the authentication looks a key up by it (unique index).
    key_hash = models.CharField(verbose_name=_("key hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    expires_at = models.DateTimeField(
        verbose_name=_("expires at"), help_text=_("The key stops working at this instant.")
    )
    revoked_at = models.DateTimeField(verbose_name=_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Refreshed at most every few minutes (agreements.api.auth), so that reads do not each cost a write.
    last_used_at = models.DateTimeField(verbose_name=_("last used at"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    # Who issued, renamed or revoked it; the hash and the last use are not history.
    history = TrackedHistory(excluded_fields=["key_hash", "last_used_at"])

    class Meta:
        verbose_name_plural = _("API keys")
        verbose_name = _("API key")
        ordering = ["organisation__name", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="api_key_name_unique_per_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name}, {self.organisation.ref})"

    @property
    def actor_label(self) -> str:
        """How changes made with this key are recorded in the history and on the timeline."""
        return f"API key '{self.name}' of {self.organisation.ref}"

    def is_usable(self, *, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now and self.organisation.is_active


def _new_raw_key() -> tuple[str, str]:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}", f"{KEY_SCHEME}_{prefix}"


@transaction.atomic
def api_key_issue(
    *,
    organisation: Organisation,
    name: str,
    expires_in_days: int = DEFAULT_LIFETIME_DAYS,
    expires_at: datetime | None = None,
    by_user: User | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for `organisation` and return it with the raw key, which is shown once and never stored.

    Not idempotent: each call issues a new key (a second key with the same name is refused).
    """
    from django.core.exceptions import ValidationError

    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the key a name that says what it is for."})
    if expires_at is None:
        if expires_in_days < 1:
            raise ValidationError({"expires_at": "A key must be valid for at least one day."})
        expires_at = timezone.now() + timedelta(days=expires_in_days)
    if ApiKey.objects.filter(organisation=organisation, name=name).exists():
        raise ValidationError({"name": f"{organisation.ref} already has a key named {name!r}."})
    raw, prefix = _new_raw_key()
    key = ApiKey.objects.create(
        organisation=organisation,
        name=name,
        prefix=prefix,
        key_hash=api_key_hash(raw),
        expires_at=expires_at,
        created_by=by_user,
    )
    return key, raw


def api_key_revoke(*, api_key: ApiKey, by_user: User | None = None) -> ApiKey:
    """Revoke a key; it fails on the next request. Safe to run twice (the first revocation time is kept)."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_by=by_user)
    api_key.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return api_key


class IdempotencyKey(models.Model):
    """A POST made with an `Idempotency-Key` header and the answer it got (agreements.api.idempotency).

    A retry with the same key and body within IDEMPOTENCY_WINDOW gets this answer again without a second effect;
    the same key with another body is a 409. Keys belong to one caller: an API key, or a staff user.
    """

    caller = models.CharField(max_length=40, help_text=_("key:<API key id> or user:<user id>."))
    key = models.CharField(max_length=255)
    # sha256 of the method, the path and the canonical JSON body: a retry must send the same request.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("idempotency key")
        constraints = [
            # Looked up by agreements.api.idempotency on every POST that carries a key; also its lock.
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_key_unique_per_caller"),
        ]
        indexes = [
            # Expired rows are deleted by caller (agreements.api.idempotency.idempotent_create).
            models.Index(fields=["caller", "created_at"], name="idempotency_key_caller_age"),
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
