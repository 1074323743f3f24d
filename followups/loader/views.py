"""The staff page listing the loader's conflicts: values changed both in a loaded file and in the tracker since the
load before, where the tracker's value was kept (followups.loader.merge). For coordinators and data clerks, who
settle them (by correcting the tracker, or the file)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from agreements.lists import StaffMixin
from agreements.roles import Role, user_has_role
from followups.loader.models import LoadBaseline


class ConflictListView(StaffMixin, TemplateView):
    template_name = "followups/import_conflicts.html"

    def get(self, request, *args, **kwargs):
        if not user_has_role(request.user, Role.COORDINATOR, Role.DATA_CLERK):
            raise PermissionDenied(_("Only coordinators and data clerks see the conflicts of a load."))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        baselines = LoadBaseline.objects.exclude(conflicts={}).order_by("kind", "ref")
        context["conflicts"] = [
            {"kind": b.kind, "ref": b.ref, "field": name, "when": b.loaded_at, **values}
            for b in baselines
            for name, values in sorted(b.conflicts.items())
        ]
        context["last_load"] = LoadBaseline.objects.order_by("-loaded_at").values_list("loaded_at", flat=True).first()
        return context
