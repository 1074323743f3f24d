"""The partner REST API, included at /api/: the resources under v1/, the OpenAPI schema and its docs.

The router is the list of endpoints: tests/api/test_access_matrix.py walks it, so a resource added here is
checked against another partner's objects without anyone remembering to.
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from agreements.api.resources import FrameworkViewSet, OrganisationViewSet, WorkingGroupViewSet
from config.error_views import api_error_response
from followups.api import CommitmentViewSet, DeadlineViewSet, StatusUpdateViewSet
from followups.sync.api import SyncChangeViewSet
from followups.webhooks.api import WebhookDeliveryViewSet, WebhookEndpointViewSet

router = DefaultRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("frameworks", FrameworkViewSet, basename="framework")
router.register("working-groups", WorkingGroupViewSet, basename="working-group")
router.register("commitments", CommitmentViewSet, basename="commitment")
router.register("deadlines", DeadlineViewSet, basename="deadline")
router.register("status-updates", StatusUpdateViewSet, basename="status-update")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("changes", SyncChangeViewSet, basename="change")


def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other address under /api/ answers the error envelope too, not the staff pages' HTML 404."""
    return api_error_response(request, 404)


app_name = "api"
urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from its own address: no inline script under the CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Redoc writes its styles into <style> elements at run time and cannot be given a nonce, and searches in a
    # worker made from a blob: this page alone allows inline style and blob workers (never inline script).
    path(
        "redoc/",
        csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api:schema")
        ),
        name="redoc",
    ),
    re_path(r"^(?P<rest>.*)$", api_not_found),
]
