"""Admin for partners' webhooks: endpoints with their deliveries, the delivery outbox, resend FAILED deliveries.

Staff may register an endpoint for a partner here: the secret is generated and shown once, in the message after
saving, and never displayed again.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from agreements.admin import HistoryAdmin
from followups.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from followups.outbox_admin import OutboxAdmin
from followups.webhooks.endpoints import webhook_endpoint_register, webhook_endpoint_update, webhook_url_problem
from followups.webhooks.sending import webhook_delivery_resend


class WebhookEndpointForm(forms.ModelForm):
    # Declared here (checkboxes), so it names itself as the model field does.
    events = forms.MultipleChoiceField(
        label=_("events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["organisation", "url", "events", "description", "is_active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        problem = webhook_url_problem(url)
        if problem:
            raise ValidationError(problem)
        return url


# Shown and read-only alike (a tuple: the admin's two attributes are typed differently).
_DELIVERY_COLUMNS = (
    "event",
    "event_id",
    "status",
    "attempts",
    "response_status",
    "last_error",
    "next_attempt_at",
    "sent_at",
)


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = _DELIVERY_COLUMNS
    readonly_fields = _DELIVERY_COLUMNS
    ordering = ["-created_at"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        # The newest few; the delivery list has them all, with filters.
        return super().get_queryset(request).order_by("-created_at")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(HistoryAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "organisation", "events", "is_active", "created_at", "created_by"]
    list_filter = ["is_active"]
    search_fields = ["url", "organisation__ref", "organisation__name", "description"]
    list_select_related = ["organisation"]
    raw_id_fields = ["organisation"]
    readonly_fields = ["uuid", "created_at", "created_by", "updated_at"]
    inlines = [WebhookDeliveryInline]

    def get_readonly_fields(self, request, obj=None):
        # An endpoint stays with the organisation it was registered for.
        return [*self.readonly_fields, "organisation"] if obj else self.readonly_fields

    def save_model(self, request, obj: WebhookEndpoint, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            webhook_endpoint_update(
                endpoint=obj,
                url=data["url"],
                events=data["events"],
                description=data.get("description", ""),
                is_active=data["is_active"],
            )
            obj.refresh_from_db()
            return
        endpoint, secret = webhook_endpoint_register(
            organisation=data["organisation"],
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            actor=f"user {request.user.get_username()}",
        )
        if not data["is_active"]:
            webhook_endpoint_update(endpoint=endpoint, is_active=False)
        obj.pk = endpoint.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            f"The endpoint's signing secret, shown this once; give it to the partner: {secret}",
            messages.WARNING,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OutboxAdmin):
    list_display = ["id", "endpoint", "event", "commitment", "status", "attempts", "response_status", "sent_at"]
    list_filter = ["status", "event"]
    search_fields = ["event_id", "endpoint__url", "endpoint__organisation__ref", "commitment__ref"]
    list_select_related = ["endpoint", "commitment"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields if f.name != "claim_token"]
    exclude = ["claim_token"]

    def resend_row(self, row: WebhookDelivery) -> None:
        webhook_delivery_resend(delivery=row)
