"""Admin for contacts' signed links (revoke them; never create or edit: only e-mails carry the token) and for the
partner-message outbox (read only; resend FAILED ones) and contacts' own preference changes (read only)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from followups.models import ContactPreferenceChange, PartnerLink, PartnerMessage
from followups.outbox_admin import OutboxAdmin
from followups.partner_links.links import partner_link_revoke
from followups.partner_links.outbox import partner_message_resend


@admin.register(PartnerLink)
class PartnerLinkAdmin(admin.ModelAdmin):
    list_display = ["prefix", "purpose", "contact", "commitment", "created_at", "expires_at", "state"]
    list_filter = ["purpose", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "contact__ref", "contact__email", "commitment__ref"]
    list_select_related = ["contact", "commitment"]
    date_hierarchy = "created_at"
    actions = ["revoke"]
    readonly_fields = [f.name for f in PartnerLink._meta.fields if f.name != "token_hash"]
    exclude = ["token_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # links are issued with the e-mail that carries them

    @admin.display(description=_("state"))
    def state(self, obj: PartnerLink) -> str:
        if obj.revoked_at:
            return gettext("revoked %(date)s") % {"date": f"{obj.revoked_at:%Y-%m-%d}"}
        return gettext("expired") if obj.expires_at <= timezone.now() else gettext("valid")

    @admin.action(description=_("Revoke the selected links (they stop working at once)"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[PartnerLink]) -> None:
        count = 0
        for link in queryset.filter(revoked_at__isnull=True):
            partner_link_revoke(link=link, by_user=request.user if request.user.is_authenticated else None)
            count += 1
        text = ngettext("%(count)d link revoked.", "%(count)d links revoked.", count) % {"count": count}
        self.message_user(request, text, messages.SUCCESS)


@admin.register(PartnerMessage)
class PartnerMessageAdmin(OutboxAdmin):
    list_display = ["id", "status", "kind", "contact", "commitment", "created_at", "sent_at", "attempts"]
    list_filter = ["status", "kind"]
    search_fields = ["contact__email", "commitment__ref"]
    list_select_related = ["contact", "commitment"]
    readonly_fields = [f.name for f in PartnerMessage._meta.fields if f.name != "claim_token"]
    exclude = ["claim_token"]

    def resend_row(self, row: PartnerMessage) -> None:
        partner_message_resend(message=row)


@admin.register(ContactPreferenceChange)
class ContactPreferenceChangeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "contact", "summary", "commitment", "undone_at"]
    search_fields = ["contact__email", "contact__ref", "summary"]
    list_select_related = ["contact", "commitment"]
    readonly_fields = [f.name for f in ContactPreferenceChange._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ContactPreferenceChange | None = None) -> bool:
        return False
