"""The acknowledge link of a reminder e-mail: signed, works without login, stops that recipient's reminders.

Opening the link (GET) changes nothing: mail filters and link previews fetch links on their own. The page it
opens posts itself at once (the reader's one click is enough), with a button where scripts do not run.
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from followups.models import Commitment
from followups.reminders.acks import reminder_ack_commitment, reminder_ack_language, reminder_acknowledge

BAD_LINK = (signing.BadSignature, Commitment.DoesNotExist, KeyError, TypeError)


@never_cache
@csrf_exempt  # the signed token in the URL is the credential; there is no session to forge requests from
@require_http_methods(["GET", "POST"])
def reminder_ack(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the confirmation form, sent by itself. POST: record the acknowledgement (safe twice) and say so."""
    # The page speaks its reader's language (a contact's, or the staff user's profile), whatever the browser says.
    with translation.override(reminder_ack_language(token=token) or translation.get_language()):
        try:
            if request.method == "GET":
                commitment = reminder_ack_commitment(token=token)
                return render(request, "emails/ack_confirm.html", {"commitment": commitment})
            ack = reminder_acknowledge(token=token)
        except BAD_LINK:
            return render(request, "emails/ack_invalid.html", status=400)
        return render(request, "emails/ack_done.html", {"commitment": ack.commitment})
