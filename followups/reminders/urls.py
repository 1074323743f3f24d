from django.urls import path

from followups.reminders.views import reminder_ack

urlpatterns = [
    path("reminders/ack/<str:token>/", reminder_ack, name="reminder_ack"),
]
