"""Addresses of the signed-link pages (included at the site's root by config.urls)."""

from django.urls import path

from followups.partner_links import views

urlpatterns = [
    path("partner/report/<str:token>/", views.partner_report, name="partner_report"),
    path("partner/preferences/<str:token>/", views.partner_preferences, name="partner_preferences"),
    path("partner/preferences/<str:token>/unsubscribe/", views.partner_unsubscribe, name="partner_unsubscribe"),
    path("partner/fresh-link/<str:token>/", views.partner_fresh_link, name="partner_fresh_link"),
]
