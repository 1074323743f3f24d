"""Error pages that answer in the caller's language: JSON under /api/ (partners' programs read it), HTML elsewhere.

DRF turns the errors it knows into JSON itself; these catch what reaches Django: an unknown API address, and an
unexpected exception (whose details stay in the server log, never in the answer).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Server error: the request was not applied. Try again later."}, status=500)
    return defaults.server_error(request)
