"""The admin of an outbox (reminders, webhook deliveries, partner messages; followups.outbox): the rows are written by
the changes that call for them, never by hand, and FAILED ones can be put back in the queue."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from followups.outbox import FAILED


class OutboxAdmin(admin.ModelAdmin):
    """A subclass names its capability's resend service in `resend_row`."""

    actions = ["resend"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows are written by the changes that call for them, never by hand

    def resend_row(self, row: Any) -> None:
        raise NotImplementedError

    @admin.action(description=_("Resend the selected failed %(verbose_name_plural)s"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Model]) -> None:
        failed = list(queryset.filter(status=FAILED))
        for row in failed:
            self.resend_row(row)
        skipped = queryset.count() - len(failed)
        queued = gettext("%(count)d %(items)s queued again.") % {
            "count": len(failed),
            "items": self.opts.verbose_name_plural,
        }
        self.message_user(request, queued, messages.SUCCESS)
        if skipped:
            left = ngettext(
                "%(count)d was not failed and was left alone.",
                "%(count)d were not failed and were left alone.",
                skipped,
            )
            self.message_user(request, left % {"count": skipped}, messages.WARNING)
