"""The staff pages' shared machinery, used by every app's list and detail pages: who may enter (StaffMixin),
the filtered, sortable, paginated list with its filter in the URL (StaffListView) and its CSV/Excel export
(StaffExportView, export_view_for)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import django_filters
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from agreements.roles import Role, can_change_anchor, can_read_staff_pages, can_update_status, can_use_admin, user_roles
from followups import exports

PAGE_SIZES = (25, 50, 100, 500)

# The roles in the reader's language (the role's value names its group, so the choices stay as they are).
ROLE_LABELS = {
    Role.COORDINATOR: gettext_lazy("Coordinator"),
    Role.DESK_OFFICER: gettext_lazy("Desk officer"),
    Role.DATA_CLERK: gettext_lazy("Data clerk"),
    Role.VIEWER: gettext_lazy("Viewer"),
}


class StaffMixin(LoginRequiredMixin):
    """Logged-in staff with a role; puts what the user may do into every template's context."""

    request: HttpRequest  # set by the View it is mixed into

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        # One query for the user's groups, reused by every role check of this request.
        prefetch_related_objects([request.user], "groups")
        if not can_read_staff_pages(request.user):
            raise PermissionDenied(_("Your account has no staff role. Ask a coordinator to give you one."))
        return super().dispatch(request, *args, **kwargs)

    def staff_context(self) -> dict:
        user = self.request.user
        roles = user_roles(user)
        return {
            "can_update": can_update_status(user),
            "can_anchor": can_change_anchor(user),
            "can_admin": can_use_admin(user),
            "role_labels": [ROLE_LABELS.get(Role(r), Role(r).label) for r in sorted(roles)],
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["staff"] = self.staff_context()
        return context


class StaffListView(StaffMixin, TemplateView):
    """A filtered, sortable, paginated list; the filter is in the URL so a view can be bookmarked."""

    filterset_class: type[django_filters.FilterSet] | None = None
    default_page_size = 50
    sort_keys: tuple[str, ...] = ()
    export_name = ""  # URL name of the CSV/Excel export of this list, if any

    def get_queryset(self):
        raise NotImplementedError

    def page_rows(self, rows: QuerySet) -> QuerySet:
        """One page of the filtered rows (a sliced queryset) as the page reads them: a list may read only its cells
        here, e.g. as values. The count and the export read the filtered rows as they are."""
        return rows

    def filtered(self):
        """The filterset and its rows; a filter value that cannot be read gives no rows (and says why), never
        every row as if there were no filter."""
        filterset = self.filterset_class(self.request.GET or None, queryset=self.get_queryset(), request=self.request)
        if not filterset.is_bound:
            return filterset, filterset.queryset
        if not filterset.is_valid():
            return filterset, filterset.queryset.none()
        return filterset, filterset.qs

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # Empty fields of the filter form are dropped from the address, so that a filtered view reads well
        # and can be bookmarked or shared (?status=at_risk, not ?q=&framework=&status=at_risk&...).
        if any("" in request.GET.getlist(key) for key in request.GET):
            query = request.GET.copy()
            for key in list(query):
                values = [v for v in query.getlist(key) if v != ""]
                if values:
                    query.setlist(key, values)
                else:
                    del query[key]
            return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)
        return super().get(request, *args, **kwargs)

    def page_size(self) -> int:
        try:
            size = int(self.request.GET.get("page_size", self.default_page_size))
        except ValueError:
            size = self.default_page_size
        return size if size in PAGE_SIZES else self.default_page_size

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset, qs = self.filtered()
        paginator = Paginator(qs, self.page_size())
        page = paginator.get_page(self.request.GET.get("page"))
        page.object_list = self.page_rows(page.object_list)
        current = self.request.GET.get("sort", "")
        sorting = {}
        for key in self.sort_keys:
            if current == key:
                sorting[key] = {"next": f"-{key}", "aria": "ascending"}
            elif current == f"-{key}":
                sorting[key] = {"next": key, "aria": "descending"}
            else:
                sorting[key] = {"next": key, "aria": ""}
        active = [
            name for name, value in self.request.GET.items() if value and name not in {"page", "page_size", "sort"}
        ]
        context.update(
            filter=filterset,
            filter_errors=filter_error_messages(filterset) if filterset.is_bound else [],
            page_obj=page,
            # A window of page numbers (1 2 … 7 8 9 … 2000): rendering every page number is slow at 100,000 rows.
            page_range=list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
            object_list=page.object_list,
            paginator=paginator,
            sorting=sorting,
            page_sizes=PAGE_SIZES,
            filters_active=len(active),
            export_name=self.export_name,
        )
        return context


def filter_error_messages(filterset) -> list[str]:
    """The filter's errors as sentences that name the field: "Framework: Select a valid choice. ..."."""
    if filterset.is_valid():
        return []
    messages_ = []
    for name, errors in filterset.form.errors.items():
        label = filterset.form.fields[name].label if name in filterset.form.fields else ""
        for error in errors:
            messages_.append(f"{label}: {error}" if label else str(error))
    return messages_


def invalid_filter_response(filterset) -> HttpResponse:
    """An export asked with a filter it cannot read: a 400 that says why, never every row."""
    text = (
        _("The export was not made: the filter could not be read.") + "\n" + "\n".join(filter_error_messages(filterset))
    )
    return HttpResponse(text + "\n", status=400, content_type="text/plain; charset=utf-8")


class StaffExportView(StaffMixin, View):
    """The list's filter applied to every row (not one page), as CSV or Excel."""

    list_view: type[StaffListView]
    columns: list = []
    stem = ""
    title = ""

    def get(self, request: HttpRequest, fmt: str) -> HttpResponse:
        view = self.list_view(request=request)
        filterset, rows = view.filtered()
        if filterset.is_bound and not filterset.is_valid():
            return invalid_filter_response(filterset)
        if fmt == "csv":
            return exports.export_csv(self.export_rows(rows), self.columns, stem=self.stem)
        return exports.export_xlsx(self.export_rows(rows), self.columns, stem=self.stem, title=self.title)

    def export_rows(self, rows: QuerySet) -> Iterable[Any]:
        """Rows in chunks (each chunk's related rows in one query): never every model of a large export at once."""
        return rows.iterator(chunk_size=2000)


def export_view_for(view: type[StaffListView], columns_name: str, stem: str, title: str) -> type[StaffExportView]:
    """The export view of a list: its filter, every row, the named columns of followups.exports."""
    return type(
        f"{view.__name__}Export",
        (StaffExportView,),
        {"list_view": view, "columns": getattr(exports, columns_name), "stem": stem, "title": title},
    )
