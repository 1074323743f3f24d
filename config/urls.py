from django.contrib import admin
from django.urls import include, path

from config.evidence import EvidenceApiDownload, evidence_download
from ops.views import ActivityView

admin.site.site_header = "Follow-up tracker: data entry"
admin.site.site_title = "Follow-up tracker"
admin.site.index_title = "Critical Minerals Ministerial follow-up"
# The lists need the width: the app menu stays on the admin's home page and in the breadcrumbs.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("admin/", admin.site.urls),
    # Evidence files only through these permission-checked views: there is no public media URL (config.evidence).
    path("evidence/<int:pk>/", evidence_download, name="evidence_download"),
    # Coordinators: every change to every record, by actor, record and date (ops.activity).
    path("activity/", ActivityView.as_view(), name="activity"),
    path("api/v1/status-updates/<int:pk>/evidence/", EvidenceApiDownload.as_view(), name="api_evidence_download"),
    path("api/", include("config.api_router")),
    path("", include("agreements.urls")),
    path("", include("followups.urls")),
    path("", include("followups.reminders.urls")),  # the signed acknowledge link of reminder e-mails (issue 3)
    path("", include("followups.partner_links.urls")),  # points of contact's signed-link pages (issue 11)
]

handler404 = "config.error_views.page_not_found"
handler500 = "config.error_views.server_error"
