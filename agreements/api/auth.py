"""Who is calling the REST API, what they may see, and how often they may call.

Two kinds of caller: a partner organisation with an API key (`Authorization: Bearer <key>`), and staff with
their session. A key is looked up on every request, with its organisation, so that revocation, expiry and a
deactivated organisation take effect at once (nothing about a key's validity is cached).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from agreements.models import (
    ApiKey,
    Framework,
    Organisation,
    WorkingGroup,
    api_key_hash,
)
from agreements.roles import can_read_staff_pages, can_update_status
from followups.sync.scope import audience_track

log = logging.getLogger(__name__)

# last_used_at is refreshed at most this often, so that reads do not each cost a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class Partner:
    """The principal of a request made with an API key: an organisation, not a Django user."""

    api_key: ApiKey

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    @property
    def organisation(self) -> Organisation:
        return self.api_key.organisation

    @property
    def actor(self) -> str:
        return self.api_key.actor_label

    def get_username(self) -> str:
        return self.actor

    def __str__(self) -> str:
        return self.actor


def partner_of(request: Request) -> Partner | None:
    """The partner behind a request, or None for staff."""
    user = getattr(request, "user", None)
    return user if isinstance(user, Partner) else None


def _refusal_reason(key: ApiKey | None, *, now) -> str:
    if key is None:
        return "unknown key"
    if key.revoked_at is not None:
        return "revoked key"
    if key.expires_at <= now:
        return "expired key"
    if not key.organisation.is_active:
        return "organisation deactivated"
    return "key not usable"


def api_refused_record(request: Request, *, reason: str, key: ApiKey | None = None, presented: str = "") -> None:
    """Keep a security record of a refused API request: key prefix, organisation, address, reason."""
    from agreements.security import SecurityEventKind, security_event_record

    prefix = key.prefix if key is not None else "_".join(presented.split("_")[:2])[:20]
    security_event_record(
        kind=SecurityEventKind.API_REFUSED,
        request=getattr(request, "_request", request),
        api_key_prefix=prefix,
        organisation=key.organisation if key is not None else None,
        reason=reason,
    )


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`; the key is checked against the database on every request."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Partner, ApiKey] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            api_refused_record(request, reason="malformed Authorization header")
            raise exceptions.AuthenticationFailed("Send the key as 'Authorization: Bearer <key>'.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as exc:
            api_refused_record(request, reason="key not UTF-8")
            raise exceptions.AuthenticationFailed("The key is not valid.") from exc
        now = timezone.now()
        key = (
            ApiKey.objects.select_related("organisation", "organisation__sync_audience")
            .filter(key_hash=api_key_hash(raw))
            .first()
        )
        # One message for unknown, revoked and expired keys and inactive organisations: no oracle for guessing.
        if key is None or not key.is_usable(now=now):
            api_refused_record(request, key=key, presented=raw, reason=_refusal_reason(key, now=now))
            raise exceptions.AuthenticationFailed("The key is not valid, has expired or has been revoked.")
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        if not hasattr(key.organisation, "sync_audience"):
            # The organisation's first request: its scope is followed from now on, for the changes feed.
            audience_track(key.organisation)
        return Partner(api_key=key), key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a missing or bad key.
        return f'{self.keyword} realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "partnerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A partner organisation's API key, issued by the coordinating office.",
        }


class SessionAuthentication(authentication.SessionAuthentication):
    """Staff's session (with CSRF on writes). Answers 401 with a Bearer challenge when nobody is logged in."""

    def authenticate_header(self, request: Request) -> str:
        return f'{ApiKeyAuthentication.keyword} realm="api"'


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = SessionAuthentication
    name = "staffSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}


# --- Permissions -------------------------------------------------------------------------------------------


class PartnerOrStaff(permissions.BasePermission):
    """Partners and staff read; partners and staff who update statuses may create status updates.

    Everything else (changing or deleting any record) is refused by the viewsets not offering it.
    """

    message = "Your account has no role that may use the API."

    def has_permission(self, request: Request, view) -> bool:
        if partner_of(request) is not None:
            return True
        user = request.user
        if not can_read_staff_pages(user):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_update_status(user)


class DocsAccess(permissions.BasePermission):
    """Who may read /api/schema/, /api/docs/ and /api/redoc/: anyone when API_DOCS_PUBLIC is on (development's
    default), else staff or a valid key (production's default: the schema is the contract, not an advertisement)."""

    message = "The API documentation is for partners with a key and for staff."

    def has_permission(self, request: Request, view) -> bool:
        if settings.API_DOCS_PUBLIC:
            return True
        return partner_of(request) is not None or can_read_staff_pages(request.user)


# --- Throttling --------------------------------------------------------------------------------------------


class PerKeyThrottle(throttling.SimpleRateThrottle):
    """A request budget per API key (per user for staff sessions), answered with 429 and Retry-After.

    The rate is read from settings on each request (API_THROTTLE_RATE, e.g. "600/min"); counts live in the
    cache named by API_THROTTLE_CACHE, which must be shared (Redis) when several web processes serve the API.

    The API never depends on that store: when it cannot be reached (Redis down or slow, past the short socket
    timeouts set in settings), the request is counted in this process's memory instead (API_THROTTLE_FALLBACK)
    and answered; a partner's write is never lost to the throttle (issue 9).
    """

    scope = "api_key"
    # Set by SimpleRateThrottle.__init__ from the rate (None without one); the stubs do not declare them.
    num_requests: int | None
    duration: int | None

    def __init__(self) -> None:
        self.cache = caches[getattr(settings, "API_THROTTLE_CACHE", "default")]
        super().__init__()

    def allow_request(self, request: Request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # whatever the shared store raises, the API keeps answering
            log.warning("API throttle store unavailable, counting in this process: %s: %s", type(exc).__name__, exc)
            self.cache = caches[getattr(settings, "API_THROTTLE_FALLBACK", "default")]
            return super().allow_request(request, view)

    def get_rate(self) -> str | None:
        return getattr(settings, "API_THROTTLE_RATE", "600/min")

    def get_cache_key(self, request: Request, view) -> str | None:
        self._request = request  # where throttle_success/failure leave the budget for the headers
        partner = partner_of(request)
        if partner is not None:
            return f"throttle_{self.scope}_{partner.api_key.pk}"
        if request.user.is_authenticated:
            return f"throttle_{self.scope}_user_{request.user.pk}"
        return None

    def throttle_success(self) -> bool:
        allowed = super().throttle_success()
        self._record_budget()
        return allowed

    def throttle_failure(self) -> bool:
        self._record_budget()
        request = getattr(self, "_request", None)
        partner = partner_of(request) if request is not None else None
        # One record per key and minute while it is refused: a flood of 429s is not a flood of rows.
        if (
            request is not None
            and partner is not None
            and caches[getattr(settings, "API_THROTTLE_FALLBACK", "default")].add(
                f"security-throttled-{partner.api_key.pk}", 1, timeout=60
            )
        ):
            api_refused_record(request, key=partner.api_key, reason=f"throttled: over {self.rate}")
        return super().throttle_failure()

    def _record_budget(self) -> None:
        """Leave (limit, remaining, seconds until a request frees up) on the request, for the RateLimit headers."""
        request = getattr(self, "_request", None)
        if request is None or self.num_requests is None or self.duration is None:
            return  # no request, or no rate (DRF then lets every request through without counting)
        remaining = max(0, self.num_requests - len(self.history))
        oldest = self.history[-1] if self.history else self.now
        reset = max(0, math.ceil(self.duration - (self.now - oldest)))
        request._request.rate_limit = (self.num_requests, remaining, reset)


def add_rate_limit_headers(request: Request, response) -> None:
    """RateLimit-Limit, -Remaining and -Reset (the IETF draft's names) on every answer to a counted caller."""
    budget = getattr(getattr(request, "_request", request), "rate_limit", None)
    if budget is None:
        return
    limit, remaining, reset = budget
    response.headers.setdefault("RateLimit-Limit", str(limit))
    response.headers.setdefault("RateLimit-Remaining", str(remaining))
    response.headers.setdefault("RateLimit-Reset", str(reset))


# --- Scope: what a caller may see --------------------------------------------------------------------------


def organisation_of(request: Request) -> Organisation | None:
    """The partner organisation a request speaks for, or None for staff (who see everything)."""
    partner = partner_of(request)
    return partner.organisation if partner is not None else None


# The scope rules live on the querysets (`visible_to`); these read the caller from the request.


def frameworks_visible_to(request: Request) -> QuerySet[Framework]:
    return Framework.objects.visible_to(organisation_of(request))


def organisations_visible_to(request: Request) -> QuerySet[Organisation]:
    return Organisation.objects.visible_to(organisation_of(request))


def working_groups_visible_to(request: Request) -> QuerySet[WorkingGroup]:
    return WorkingGroup.objects.visible_to(organisation_of(request))
