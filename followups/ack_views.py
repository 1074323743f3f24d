"""The acknowledge link of a reminder e-mail: signed, works without login, stops that recipient's reminders."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from followups.models import Commitment
from followups.reminders import reminder_acknowledge


@never_cache
def reminder_ack(request: HttpRequest, token: str) -> HttpResponse:
    """One click from the e-mail: record the acknowledgement (safe to click twice) and say so."""
    try:
        ack = reminder_acknowledge(token=token)
    except (signing.BadSignature, Commitment.DoesNotExist, KeyError, TypeError):
        return render(request, "emails/ack_invalid.html", status=400)
    return render(request, "emails/ack_done.html", {"commitment": ack.commitment})
