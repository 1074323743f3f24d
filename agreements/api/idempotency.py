"""Safe retries: a POST with an `Idempotency-Key` header is applied once.

The same key and the same request (method, path, JSON body) within IDEMPOTENCY_WINDOW answer the first answer
again, with `Idempotent-Replayed: true` and no second effect; the same key with another request is a 409
`idempotency_key_reused`. Only answers that applied something (2xx) are kept: a refused request changed
nothing, so its retry simply runs again. Keys belong to one caller (an API key, or a staff user).

The request's effect and the stored answer are written in one transaction: of two concurrent requests with one
key, the second waits on the key's unique index, is rolled back, and answers the first one's answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from agreements.api.auth import partner_of
from agreements.models import IdempotencyKey
from config.error_views import ApiError

HEADER = "Idempotency-Key"
IDEMPOTENCY_WINDOW = timedelta(hours=24)
# Printable ASCII without spaces, as UUIDs and most clients' keys are.
_SANE_KEY = re.compile(r"^[!-~]{1,255}$")


def _caller(request: Request) -> str:
    partner = partner_of(request)
    return f"key:{partner.api_key.pk}" if partner is not None else f"user:{request.user.pk}"


def _fingerprint(request: Request) -> str:
    canonical = json.dumps([request.method, request.path, request.data], sort_keys=True, cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        raise ApiError(
            code="idempotency_key_reused",
            message=_("This Idempotency-Key was used for another request in the last 24 hours; use a new key."),
            status_code=409,
            fields={HEADER: [_("Already used for another request.")]},
        )
    return Response(stored.response_body, status=stored.status_code, headers={"Idempotent-Replayed": "true"})


def idempotent_create(request: Request, apply: Callable[[], Response]) -> Response:
    """Run `apply` (a view's POST) once per Idempotency-Key, or at every call when the header is absent."""
    key = request.headers.get(HEADER)
    if key is None:
        return apply()
    if not _SANE_KEY.match(key):
        message = _("Give 1 to 255 printable ASCII characters without spaces, e.g. a UUID.")
        raise ApiError(code="invalid_idempotency_key", message=message, fields={HEADER: [message]})
    caller, fingerprint, now = _caller(request), _fingerprint(request), timezone.now()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.filter(caller=caller, created_at__lte=now - IDEMPOTENCY_WINDOW).delete()
            stored = IdempotencyKey.objects.select_for_update().filter(caller=caller, key=key).first()
            if stored is not None:
                return _replay(stored, fingerprint)
            response = apply()
            if 200 <= response.status_code < 300:
                IdempotencyKey.objects.create(
                    caller=caller,
                    key=key,
                    fingerprint=fingerprint,
                    status_code=response.status_code,
                    response_body=json.loads(json.dumps(response.data, cls=DjangoJSONEncoder)),
                    created_at=now,
                )
            return response
    except IntegrityError:
        # A concurrent request with this key committed first; this one's effect was rolled back with it.
        stored = IdempotencyKey.objects.filter(caller=caller, key=key).first()
        if stored is None:
            raise
        return _replay(stored, fingerprint)
