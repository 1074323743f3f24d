from django.urls import path

from followups.ack_views import reminder_ack

urlpatterns = [
    path("reminders/ack/<str:token>/", reminder_ack, name="reminder_ack"),
]
