"""Staff answer a partner's reported completion: accept it (the deadline closes) or return it with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from agreements.lists import StaffMixin
from agreements.models import Organisation
from agreements.roles import can_update_status, signed_in_user
from followups.models import Commitment, InboundReply
from followups.services import commitment_completion_accept, commitment_completion_return


class CommitmentCompletionView(StaffMixin, View):
    """POST decision=accept, or decision=return with a reason; back to the commitment's page."""

    def post(self, request: HttpRequest, ref: str, org: str) -> HttpResponse:
        if not can_update_status(request.user):
            raise PermissionDenied(_("Only coordinators and desk officers verify a reported completion."))
        commitment = get_object_or_404(Commitment, ref=ref)
        owner = get_object_or_404(Organisation, ref=org)
        values = {"ref": commitment.ref, "org": owner.name}
        try:
            if request.POST.get("decision") == "accept":
                commitment_completion_accept(commitment=commitment, owner=owner, by_user=signed_in_user(request.user))
                messages.success(request, _("Completion of %(ref)s by %(org)s accepted.") % values)
            elif request.POST.get("decision") == "return":
                reason = request.POST.get("reason", "")[:2000]
                commitment_completion_return(
                    commitment=commitment, owner=owner, by_user=signed_in_user(request.user), reason=reason
                )
                messages.success(
                    request, _("Completion of %(ref)s by %(org)s returned; the contact is told why.") % values
                )
            else:
                return HttpResponse(status=400)
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        return redirect(reverse("followups:commitment_detail", args=[commitment.ref]) + "#owners")


class InboundReplyReviewView(StaffMixin, View):
    """POST decision=accept (the reply becomes a timeline note from the contact) or decision=dismiss."""

    def post(self, request: HttpRequest, ref: str, pk: int) -> HttpResponse:
        from followups.partner_links.inbound import inbound_reply_accept, inbound_reply_dismiss

        if not can_update_status(request.user):
            raise PermissionDenied(_("Only coordinators and desk officers review replies."))
        reply = get_object_or_404(InboundReply, pk=pk, commitment__ref=ref)
        try:
            if request.POST.get("decision") == "accept":
                inbound_reply_accept(reply=reply, by_user=signed_in_user(request.user))
                messages.success(request, _("The reply is on the timeline."))
            elif request.POST.get("decision") == "dismiss":
                inbound_reply_dismiss(reply=reply, by_user=signed_in_user(request.user))
                messages.success(request, _("The reply is dismissed."))
            else:
                return HttpResponse(status=400)
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        return redirect(reverse("followups:commitment_detail", args=[ref]) + "#timeline")
