"""History with its actor, for every model a person can change.

simple_history records the Django user of a change (history_user) and a free "change reason". The services name
other actors in the reason (followups.services.save_with_history): "API key '...' of ORG", "contact C1 (signed
link)", "load_ministerial" (a loader run), "system" (a task). TrackedHistory fills the gaps where a change is
saved without the service saying who: a partner's key behind the request (the history user stays empty, since a
key is not a Django user), a point of contact's signed link, or no request at all (a task or a command:
"system"). `actor_of` turns a record back into (kind, label), which the admin's history list shows instead of
"None".
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ActorKind(models.TextChoices):
    """Who made a change, by kind: one vocabulary for the timeline (followups StatusUpdate.actor_kind, set by the
    door through the service) and for the history's actors (`actor_of`, the /activity/ filter)."""

    USER = "user", _("User")  # a staff user, signed in
    PARTNER_KEY = "partner_key", _("Partner key")  # a partner's API key
    SIGNED_LINK = "signed_link", _("Signed link")  # a point of contact through a signed link (or its e-mail reply)
    LOADER = "loader", _("Loader run")
    SYSTEM = "system", _("System task")


# The kinds that are a partner rather than the coordinating office.
PARTNER_KINDS = frozenset({ActorKind.PARTNER_KEY, ActorKind.SIGNED_LINK})
ACTOR_KINDS = dict(ActorKind.choices)


def history_user(request: Any = None, **kwargs: Any) -> Any:
    """The Django user behind the request, if a person: a partner's key (agreements.api.auth.Partner) is not one."""
    user = getattr(request, "user", None)
    return user if isinstance(user, get_user_model()) and user.is_authenticated else None


class TrackedHistory(HistoricalRecords):
    """HistoricalRecords that always knows the kind of actor (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("get_user", history_user)
        super().__init__(*args, **kwargs)

    def get_change_reason_for_object(self, instance: Any, history_type: str, using: str | None) -> str | None:
        reason = super().get_change_reason_for_object(instance, history_type, using)
        if reason or getattr(instance, "_history_user", None) is not None:
            return reason
        request = getattr(self.context, "request", None)
        api_key = _partner_key(request)
        if api_key is not None:
            return f"API key {api_key.prefix} of {api_key.organisation.ref}"
        link = _signed_link(request)
        if link is not None:
            return link.actor_label
        user = getattr(request, "user", None)
        if user is None or not getattr(user, "is_authenticated", False):
            return "system"
        return reason  # a staff user: history_user says who


def _partner_key(request: Any) -> Any:
    """The API key a request was authenticated with (DRF keeps its principal on its own Request, not on Django's,
    which is what simple_history's middleware holds): looked up again from the Authorization header."""
    if request is None or not request.path.startswith("/api/"):
        return None
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    api_key = apps.get_model("agreements", "ApiKey")  # by name: the models import this module
    return api_key.objects.select_related("organisation").filter(key_hash=_sha256(raw.strip())).first()


def actor_of(record: Any) -> tuple[str, str]:
    """(kind, label) of a historical record's actor; kind is a key of ACTOR_KINDS."""
    if record.history_user_id is not None and record.history_user is not None:
        user = record.history_user
        return ActorKind.USER, user.get_full_name() or user.get_username()
    label = (record.history_change_reason or "").split(": ", 1)[0].strip()
    if label.startswith("API key"):
        return ActorKind.PARTNER_KEY, label[len("API key") :].strip()
    if label.startswith("contact ") or "signed link" in label:
        return ActorKind.SIGNED_LINK, label
    if label.startswith("load_") or label.startswith("loader"):
        return ActorKind.LOADER, label
    if label.startswith("user "):
        return ActorKind.USER, label[len("user ") :]
    return ActorKind.SYSTEM, "" if label in ("", "system") else label


def _signed_link(request: Any) -> Any:
    """The point of contact's signed link a request came through (followups.partner_links: /partner/.../<token>/)."""
    match = getattr(request, "resolver_match", None)
    token = match.kwargs.get("token") if match is not None else None
    if not token or not request.path.startswith("/partner/"):
        return None
    link = apps.get_model("followups", "PartnerLink")
    return link.objects.select_related("contact").filter(token_hash=_sha256(token)).first()


def _sha256(raw: str) -> str:
    """How keys and link tokens are stored (agreements.partner_access, followups.partner_links.links)."""
    return hashlib.sha256(raw.encode()).hexdigest()
