"""Evidence files, served only to those who may see them: no public media URL exists (settings, MEDIA_URL).

- `/evidence/<id>/`: staff with a role (who may read every commitment on the staff pages); anyone else is sent
  to the login page or refused.
- `/api/v1/status-updates/<id>/evidence/`: a partner's key of an organisation that owns the commitment (or
  staff with their session); for any other key the update does not exist (404), as everywhere in the API.
The file is streamed from the configured storage (a volume or an S3-compatible bucket) with the Content-Type
found from its content (followups.evidence), as an attachment, so that no browser renders it on our origin.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from agreements.api.auth import partner_of
from agreements.roles import can_read_staff_pages
from followups.evidence import evidence_kind
from followups.models import Commitment, StatusUpdate


def _serve(update: StatusUpdate) -> FileResponse:
    if not update.evidence_file.name:  # what the file's truth value tests
        raise Http404("This update has no evidence file.")
    stored = update.evidence_file.open("rb")
    name = PurePosixPath(update.evidence_file.name).name
    kind = evidence_kind(stored, name)
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=name,
        content_type=kind.content_type if kind else "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def evidence_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A status update's evidence file, for staff with a role."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_read_staff_pages(request.user):
        raise PermissionDenied
    return _serve(get_object_or_404(StatusUpdate, pk=pk))


class EvidenceApiDownload(APIView):
    """A status update's evidence file through the partner API (owning organisations' keys, and staff)."""

    @extend_schema(
        operation_id="status_updates_evidence",
        summary="Download a status update's evidence file",
        description="The file as uploaded, with its Content-Type; only for commitments your organisation owns.",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            404: OpenApiResponse(description="No such update, not yours, or it has no file."),
        },
        tags=["status-updates"],
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        partner = partner_of(request)
        commitments = Commitment.objects.reportable_by(partner.organisation if partner else None)
        update = get_object_or_404(StatusUpdate, pk=pk, commitment__in=commitments.values("pk"))
        return _serve(update)
