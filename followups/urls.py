from django.urls import path, re_path

from followups import views
from followups.loader.views import ConflictListView
from followups.occurrences import DeadlineOccurrenceView

app_name = "followups"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("commitments/", views.CommitmentListView.as_view(), name="commitment_list"),
    re_path(r"^commitments/export\.(?P<fmt>csv|xlsx)$", views.CommitmentExportView.as_view(), name="commitment_export"),
    path("commitments/<str:ref>/", views.CommitmentDetailView.as_view(), name="commitment_detail"),
    path("deadlines/", views.DeadlineListView.as_view(), name="deadline_list"),
    re_path(r"^deadlines/export\.(?P<fmt>csv|xlsx)$", views.DeadlineExportView.as_view(), name="deadline_export"),
    path("deadlines/<str:ref>/extend/", views.DeadlineExtendView.as_view(), name="deadline_extend"),
    path("deadlines/<str:ref>/occurrence/", DeadlineOccurrenceView.as_view(), name="deadline_occurrence"),
    path("projects/", views.ProjectListView.as_view(), name="project_list"),
    re_path(r"^projects/export\.(?P<fmt>csv|xlsx)$", views.ProjectExportView.as_view(), name="project_export"),
    path("projects/<str:ref>/", views.ProjectDetailView.as_view(), name="project_detail"),
    path("imports/conflicts/", ConflictListView.as_view(), name="import_conflicts"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("calendar/timeline/", views.TimelineView.as_view(), name="timeline"),
    path("calendar/feed/<str:token>.ics", views.CalendarFeedView.as_view(), name="calendar_feed"),
]
