"""The signed-link pages of points of contact: report progress on one commitment, and manage one's reminders.

No account: the token in the address is the credential, bound to one contact, one purpose and (for reporting) one
commitment. Opening a page (GET) changes nothing, since mail scanners fetch links; every change is a POST. Pages
speak the contact's language. CSRF protection is off here as on the acknowledge link: there is no session to
forge requests from, and one-click unsubscribe (RFC 8058) is a POST from the mail program itself.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from followups.models import PartnerLink, PartnerLinkPurpose, StatusUpdate
from followups.partner_links import links, services
from followups.partner_links.forms import PartnerLanguageForm, PartnerPauseForm, PartnerReportForm

# Pages of a link are not cached by browsers or proxies, and their address is not sent on as a referrer.
NO_REFERRER = "no-referrer"


def _page(request: HttpRequest, template: str, context: dict, *, language: str | None = None, status: int = 200):
    with translation.override(language or translation.get_language()):
        response = render(request, template, context, status=status)
    response["Referrer-Policy"] = NO_REFERRER
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _resolve(request: HttpRequest, token: str, purpose: str) -> PartnerLink | HttpResponse:
    try:
        return links.partner_link_resolve(raw=token, purpose=purpose)
    except links.LinkNotFound:
        return _page(request, "partner/link_invalid.html", {}, status=404)
    except links.LinkExpired as exc:
        link = exc.link
        return _page(
            request,
            "partner/link_expired.html",
            {"link": link, "token": token},
            language=link.contact.language,
            status=410,
        )


def _public_updates(link: PartnerLink, party_id: int | None) -> list[StatusUpdate]:
    """The latest timeline entries a contact may read: about the commitment as a whole or their own party; notes
    only from their own party's reports and staff answers to them (never another party's)."""
    return list(
        StatusUpdate.objects.filter(commitment=link.commitment)
        .filter(owner__isnull=True)
        .union(StatusUpdate.objects.filter(commitment=link.commitment, owner_id=party_id))
        .order_by("-created_at")[:8]
    )


@never_cache
@csrf_exempt  # the token in the address is the credential (see the module's docstring)
@require_http_methods(["GET", "POST"])
def partner_report(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the commitment, its deadlines, the contact's own party's status and the latest updates, with a form.
    POST: record the party's status, note and evidence (a "completed" awaits staff verification)."""
    link = _resolve(request, token, PartnerLinkPurpose.REPORT)
    if isinstance(link, HttpResponse):
        return link
    contact, commitment = link.contact, link.linked_commitment
    party = links.contact_party(contact=contact, commitment=commitment)
    language = contact.language
    form = None
    if party is not None:
        if request.method == "POST":
            form = PartnerReportForm(request.POST, request.FILES, ownership=party)
            with translation.override(language):
                valid = form.is_valid()
            if valid:
                data = form.cleaned_data
                try:
                    services.partner_report(
                        link=link,
                        status=data["status"],
                        note=data["note"],
                        evidence_url=data["evidence_url"],
                        evidence_file=data["evidence_file"],
                        happened_on=data["happened_on"],
                    )
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    return redirect(f"{request.path}?recorded=1#status")
        else:
            form = PartnerReportForm(ownership=party)
    elif request.method == "POST":
        raise Http404  # nothing to record: no party of theirs owes it
    context = {
        "link": link,
        "contact": contact,
        "commitment": commitment,
        "party": party,
        "deadlines": list(commitment.deadlines.order_by("due_on")),
        "updates": _public_updates(link, party.organisation_id if party else None),
        "form": form,
        "recorded": request.GET.get("recorded") == "1",
        "token": token,
    }
    status = 400 if form is not None and form.is_bound else 200
    return _page(request, "partner/report.html", context, language=language, status=status)


@never_cache
@csrf_exempt
@require_POST
def partner_fresh_link(request: HttpRequest, token: str) -> HttpResponse:
    """From an expired or revoked link's page: queue an e-mail with a fresh link to the same address."""
    for purpose in PartnerLinkPurpose.values:
        try:
            link = links.partner_link_resolve(raw=token, purpose=purpose)
        except links.LinkNotFound:
            continue
        except links.LinkExpired as exc:
            link = exc.link
            links.partner_link_fresh_request(link=link)
        # A link that still opens needs no fresh one: the same answer, so the page reveals nothing more.
        return _page(request, "partner/fresh_sent.html", {"link": link}, language=link.contact.language)
    return _page(request, "partner/link_invalid.html", {}, status=404)


# The buttons of the preferences page: action -> (the change's name, the values it sets).
PREFERENCE_ACTIONS: dict[str, tuple[str, dict]] = {
    "digest_on": ("digest", {"digest": True}),
    "digest_off": ("digest", {"digest": False}),
    "resume": ("resume", {"paused_until": None}),
    "stop_all": ("stop_all", {"muted": True}),
    "resume_all": ("resume_all", {"muted": False}),
    "stop_commitment": ("stop_commitment", {"stopped": True}),
    "resume_commitment": ("resume_commitment", {"stopped": False}),
}


def _preferences_post(request: HttpRequest, link: PartnerLink, forms: dict) -> bool:
    """Apply the posted change; False when a form is invalid (the page shows it again with the errors)."""
    contact = link.contact
    action = request.POST.get("action", "")
    if action == "language":
        forms["language_form"] = form = PartnerLanguageForm(request.POST)
        if not form.is_valid():
            return False
        services.contact_preferences_change(contact=contact, change="language", values=form.cleaned_data)
    elif action == "pause":
        forms["pause_form"] = pause_form = PartnerPauseForm(request.POST)
        if not pause_form.is_valid():
            return False
        until = pause_form.cleaned_data["until"].isoformat()
        services.contact_preferences_change(contact=contact, change="pause", values={"paused_until": until})
    elif action in PREFERENCE_ACTIONS:
        change, values = PREFERENCE_ACTIONS[action]
        target = None
        if change.endswith("_commitment"):
            # Only the contact's own commitments; any other reference is unknown here.
            target = contact.commitments.filter(ref=request.POST.get("commitment", "")).first()
            if target is None:
                raise Http404
        services.contact_preferences_change(contact=contact, change=change, values=values, commitment=target)
    elif action == "undo":
        undo = contact.preference_changes.filter(pk=_int(request.POST.get("change"))).first()
        if undo is None:
            raise Http404
        try:
            services.contact_preferences_undo(change=undo)
        except ValidationError:
            return False
    else:
        return False
    return True


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def partner_preferences(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the contact's reminder settings and recent changes (undoable). POST: one change, named by `action`."""
    link = _resolve(request, token, PartnerLinkPurpose.PREFERENCES)
    if isinstance(link, HttpResponse):
        return link
    contact = link.contact
    forms = {
        "language_form": PartnerLanguageForm(initial={"language": contact.language, "time_zone": contact.time_zone}),
        "pause_form": PartnerPauseForm(),
    }
    status = 200
    if request.method == "POST":
        with translation.override(contact.language):
            if _preferences_post(request, link, forms):
                return redirect(f"{request.path}?saved=1")
        status = 400
    contact.refresh_from_db()
    commitments = [
        (c, services.contact_preferences_state(contact=contact, commitment=c)["stopped"])
        for c in contact.commitments.order_by("ref")
    ]
    context = {
        "link": link,
        "contact": contact,
        "state": services.contact_preferences_state(contact=contact),
        "commitments": commitments,
        "changes": list(contact.preference_changes.filter(created_at__gte=services.undo_since())[:10]),
        "saved": request.GET.get("saved") == "1",
        **forms,
    }
    return _page(request, "partner/preferences.html", context, language=contact.language, status=status)


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def partner_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The List-Unsubscribe address. POST (RFC 8058 one-click, or the button): stop all the contact's reminders,
    undoable from the preferences page. GET shows the button and changes nothing."""
    link = _resolve(request, token, PartnerLinkPurpose.PREFERENCES)
    if isinstance(link, HttpResponse):
        return link
    done = False
    if request.method == "POST":
        services.contact_unsubscribe(link=link)
        done = True
    context = {"link": link, "contact": link.contact, "done": done, "token": token}
    return _page(request, "partner/unsubscribe.html", context, language=link.contact.language)
