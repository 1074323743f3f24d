"""Addresses of the signed-link pages, and of staff's answer to a reported completion or an e-mail reply (included
at the site's root by config.urls)."""

from django.urls import path

from followups.partner_links import views
from followups.partner_links.staff_views import CommitmentCompletionView, InboundReplyReviewView

urlpatterns = [
    path("partner/report/<str:token>/", views.partner_report, name="partner_report"),
    path("partner/preferences/<str:token>/", views.partner_preferences, name="partner_preferences"),
    path("partner/preferences/<str:token>/unsubscribe/", views.partner_unsubscribe, name="partner_unsubscribe"),
    path("partner/fresh-link/<str:token>/", views.partner_fresh_link, name="partner_fresh_link"),
    path(
        "commitments/<str:ref>/completion/<str:org>/", CommitmentCompletionView.as_view(), name="commitment_completion"
    ),
    path("commitments/<str:ref>/replies/<int:pk>/", InboundReplyReviewView.as_view(), name="inbound_reply_review"),
]
