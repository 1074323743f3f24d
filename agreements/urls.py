from django.urls import include, path, re_path

from agreements import reference_views, views

# No namespace: django.contrib.auth.urls (included below) reverses its own names without one.
urlpatterns = [
    path("accounts/login/", views.StaffLoginView.as_view(), name="login"),
    path("accounts/logout/", views.StaffLogoutView.as_view(), name="logout"),
    path("accounts/profile/", views.ProfileView.as_view(), name="profile"),
    path("accounts/calendar-feed/", views.CalendarTokenView.as_view(), name="calendar_token"),
    path("accounts/reminders/", views.ReminderPreferencesView.as_view(), name="reminder_preferences"),
    # logout, password change and reset (templates/registration/); names are the un-namespaced defaults.
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("frameworks/", views.FrameworkListView.as_view(), name="framework_list"),
    re_path(r"^frameworks/export\.(?P<fmt>csv|xlsx)$", views.FrameworkExportView.as_view(), name="framework_export"),
    path("frameworks/<str:ref>/", views.FrameworkDetailView.as_view(), name="framework_detail"),
    path("frameworks/<str:ref>/dates/", views.AnchorChangeView.as_view(), name="anchor_change"),
    path("events/<str:ref>/", reference_views.EventDetailView.as_view(), name="event_detail"),
    path("milestones/", reference_views.MilestoneListView.as_view(), name="milestone_list"),
    path("milestones/<str:ref>/", reference_views.MilestoneDetailView.as_view(), name="milestone_detail"),
    path("glossary/", reference_views.GlossaryView.as_view(), name="glossary"),
    path("data-caveats/", reference_views.CaveatListView.as_view(), name="caveat_list"),
    path("sources/", reference_views.SourceListView.as_view(), name="source_list"),
    path("milestones/<str:ref>/date/", views.MilestoneDateChangeView.as_view(), name="milestone_date_change"),
    path("organisations/", views.OrganisationListView.as_view(), name="organisation_list"),
    re_path(
        r"^organisations/export\.(?P<fmt>csv|xlsx)$", views.OrganisationExportView.as_view(), name="organisation_export"
    ),
    path("organisations/<str:ref>/", views.OrganisationDetailView.as_view(), name="organisation_detail"),
    path("working-groups/", views.WorkingGroupListView.as_view(), name="workinggroup_list"),
    re_path(
        r"^working-groups/export\.(?P<fmt>csv|xlsx)$",
        views.WorkingGroupExportView.as_view(),
        name="workinggroup_export",
    ),
    path("working-groups/<str:ref>/", views.WorkingGroupDetailView.as_view(), name="workinggroup_detail"),
]
