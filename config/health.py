"""Health and readiness, for load balancers, container runtimes and monitoring.

`/healthz`: the process answers (nothing else is touched). `/readyz`: the database answers, every migration is
applied, the broker accepts a connection, and the outboxes move: the oldest reminder and webhook delivery that
are due have not waited longer than READY_MAX_QUEUE_AGE_MINUTES (else the workers or beat are down). FAILED
rows are counted for monitoring but do not make the process unready: a restart would not send them.
`/readyz?only=database,migrations` checks only those: what a load balancer should ask, since the web tier keeps
answering (and keeps every write) while the broker is down.

Both are answered by a middleware placed before Django's host and HTTPS checks: the callers are machines that
address the process by its own address and over plain HTTP. The JSON names the checks and their state, never an
error's text (which may carry host names).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from config.observability import response_mark_logged

logger = logging.getLogger(__name__)

CHECKS = ("database", "migrations", "broker", "reminders", "webhooks")
_migrations_applied = False  # once true, stays true for the life of the process (migrations are not undone live)


def check_database() -> dict[str, Any]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def check_migrations() -> dict[str, Any]:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            return {"ok": False, "unapplied": len(plan)}
        _migrations_applied = True
    return {"ok": True, "unapplied": 0}


def check_broker() -> dict[str, Any]:
    from kombu import Connection

    timeout = settings.READY_CHECK_TIMEOUT_SECONDS
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=timeout,
        transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
    ) as connection:
        connection.ensure_connection(max_retries=1, timeout=timeout)
    return {"ok": True}


def _outbox(model: Any, failed: str) -> dict[str, Any]:
    """The age of the oldest due PENDING row, and how many rows are FAILED."""
    now = timezone.now()
    oldest = (
        model.objects.filter(status="pending", next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    waited = (now - oldest) if oldest else timedelta(0)
    limit = timedelta(minutes=settings.READY_MAX_QUEUE_AGE_MINUTES)
    return {
        "ok": waited <= limit,
        "oldest_due_minutes": round(waited.total_seconds() / 60, 1),
        "limit_minutes": settings.READY_MAX_QUEUE_AGE_MINUTES,
        "failed": model.objects.filter(status=failed).count(),
    }


def check_reminders() -> dict[str, Any]:
    from followups.models import Reminder, ReminderStatus

    return _outbox(Reminder, ReminderStatus.FAILED)


def check_webhooks() -> dict[str, Any]:
    from followups.models import WebhookDelivery, WebhookDeliveryStatus

    return _outbox(WebhookDelivery, WebhookDeliveryStatus.FAILED)


_CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "database": check_database,
    "migrations": check_migrations,
    "broker": check_broker,
    "reminders": check_reminders,
    "webhooks": check_webhooks,
}


def readiness(only: list[str] | None = None) -> tuple[bool, dict[str, Any]]:
    """Run the checks (all, or `only`); a check that raises is failed with the exception's class name."""
    results: dict[str, Any] = {}
    database_down = False
    for name in only or CHECKS:
        if database_down and name in ("migrations", "reminders", "webhooks"):
            results[name] = {"ok": False, "error": "database unreachable"}
            continue
        started = time.monotonic()
        try:
            results[name] = _CHECKS[name]()
        except Exception as exc:  # any failure of a dependency is "not ready", and logged
            logger.warning("readiness check %s failed: %s", name, exc, extra={"check": name})
            results[name] = {"ok": False, "error": type(exc).__name__}
            database_down = database_down or name == "database"
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    return all(r["ok"] for r in results.values()), results


def _answer(payload: dict[str, Any], status: int) -> JsonResponse:
    response = JsonResponse(payload, status=status)
    response["Cache-Control"] = "no-store"
    response_mark_logged(response)  # the failed checks are logged above; Django need not add "Service Unavailable"
    return response


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before the host, HTTPS and session machinery (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return _answer({"status": "ok"}, 200)
        if request.path == "/readyz":
            only = [name for name in request.GET.get("only", "").split(",") if name in _CHECKS] or None
            ready, checks = readiness(only)
            return _answer({"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503)
        return self.get_response(request)
