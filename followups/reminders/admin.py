"""Admin for the reminder outbox: every reminder with its status, attempts and error; resend FAILED ones."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from agreements.admin import HistoryAdmin
from followups import services
from followups.models import (
    ContactReminderPreference,
    Reminder,
    ReminderAcknowledgement,
    ReminderPolicy,
)
from followups.outbox_admin import OutboxAdmin
from followups.reminders.sending import reminder_resend


@admin.register(Reminder)
class ReminderAdmin(OutboxAdmin):
    # Beside the filter panel only about six columns fit at 1280px: status and when first; kind is a filter, and
    # attempts and the time sent are on the reminder's page.
    list_display = ["id", "status", "due_at", "deadline", "recipient", "error"]
    list_filter = ["status", "kind", "escalation", "catch_up"]
    search_fields = ["deadline__ref", "deadline__commitment__ref", "contact__email", "user__email", "message_id"]
    list_select_related = ["deadline", "contact", "user"]
    date_hierarchy = "due_at"
    readonly_fields = [f.name for f in Reminder._meta.fields]

    def resend_row(self, row: Reminder) -> None:
        reminder_resend(reminder=row)

    @admin.display(description=_("last error"))
    def error(self, obj: Reminder) -> str:
        return obj.last_error if len(obj.last_error) <= 60 else obj.last_error[:57] + "..."

    @admin.display(description=_("recipient"))
    def recipient(self, obj: Reminder) -> str:
        return obj.recipient_label


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(HistoryAdmin):
    # __str__ names it (RP-MEETING and its name, or its framework or deadline) with its lead and overdue days.
    list_display = ["__str__", "category", "priority", "recurring", "illustrative", "framework", "deadline"]
    list_filter = ["category", "priority", "recurring", "illustrative"]
    search_fields = ["ref", "name"]
    raw_id_fields = ["framework", "deadline"]

    # Through the services: the planned reminders of every deadline under the policy move with it.
    def save_model(self, request, obj: ReminderPolicy, form, change):
        services.reminder_policy_save(policy=obj, by_user=request.user)

    def delete_model(self, request, obj: ReminderPolicy):
        services.reminder_policy_delete(policy=obj, by_user=request.user)

    def delete_queryset(self, request, queryset):
        for policy in queryset:
            services.reminder_policy_delete(policy=policy, by_user=request.user)


@admin.register(ContactReminderPreference)
class ContactReminderPreferenceAdmin(HistoryAdmin):
    list_display = ["contact", "digest", "muted"]
    list_filter = ["muted", "digest"]
    raw_id_fields = ["contact"]

    # Through the service: muting cancels the contact's pending reminders at once.
    def save_model(self, request, obj: ContactReminderPreference, form, change):
        saved = services.contact_reminder_preference_set(
            contact=obj.contact, digest=obj.digest, muted=obj.muted, by_user=request.user
        )
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request, obj: ContactReminderPreference):
        # No preference means single messages, not muted.
        services.contact_reminder_preference_set(contact=obj.contact, digest=False, muted=False, by_user=request.user)
        obj.delete()

    def delete_queryset(self, request, queryset):
        for preference in queryset:
            self.delete_model(request, preference)


@admin.register(ReminderAcknowledgement)
class ReminderAcknowledgementAdmin(admin.ModelAdmin):
    list_display = ["commitment", "contact", "user", "created_at"]
    raw_id_fields = ["commitment", "contact", "user", "reminder"]
