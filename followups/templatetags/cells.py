"""Template helpers for the cells of long lists (issue 15: a page of 50 to 500 rows must not render a template
per row and per cell)."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any, cast

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext

from agreements.labels import labels_of
from followups.models import Status

register = template.Library()


@register.simple_tag(takes_context=True)
def once(context: template.Context, template_name: str, **values: Any) -> SafeString:
    """`{% include %}` for a row loop: renders `template_name` with only `values` (and the active language) once
    per distinct set of values during this page's rendering, and reuses the text for every other row with the
    same values: a status tag is rendered six times for a page of 500 rows, not 500 times."""
    memo = cast(dict, context.render_context.setdefault("cells.once", {}))  # type: ignore[arg-type]
    key = (template_name, *sorted(values.items()))
    if key not in memo:
        assert context.template is not None  # noqa: S101 - only while a template renders
        memo[key] = context.template.engine.get_template(template_name).render(context.new(values))
    return memo[key]


@register.simple_tag
def status_options(selected: str) -> SafeString:
    """The <option>s of every status, `selected` chosen, in the reader's language (built once per process,
    language and status; the quick-update form of each row of the commitments list)."""
    return _status_options(selected, get_language())


@cache
def _status_options(selected: str, language: str | None) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in labels_of(Status).items()),
    )


_ROW = (
    '<tr>\n          <td data-label="{l_ref}" class="tracker-nowrap"><a href="{detail}">{ref}</a></td>\n'
    '          <td data-label="{l_commitment}">{title}{basis}</td>\n'
    '          <td data-label="{l_framework}"><a href="{framework_url}">{framework}</a></td>\n'
    '          <td data-label="{l_owners}">{owners}</td>\n'
    '          <td data-label="{l_status}">{status}{status_note}</td>\n'
    '          <td data-label="{l_priority}">{priority}</td>\n'
    '          <td data-label="{l_due}">{due}</td>\n'
    "          {quick}\n        </tr>\n"
)
_QUICK = (
    '<td>\n            <details class="tracker-quick">\n'
    '              <summary class="tracker-nowrap">{l_update}<span class="usa-sr-only"> {ref}</span></summary>\n'
    '              <form method="post" action="{detail}" class="tracker-quick__form">{csrf}\n'
    '                <input type="hidden" name="next" value="{back}">\n'
    '                <label class="usa-label" for="quick-status-{pk}">{l_new_status}</label>\n'
    '                <select class="usa-select" id="quick-status-{pk}" name="status">{options}</select>\n'
    '                <label class="usa-label" for="quick-note-{pk}">{l_note}</label>\n'
    '                <textarea class="usa-textarea" id="quick-note-{pk}" name="note" rows="2"></textarea>\n'
    '                <button type="submit" class="usa-button">{l_record}</button>\n'
    '                <a href="{detail}#update">{l_more}<span class="usa-sr-only"> ({ref})</span></a>\n'
    "              </form>\n            </details>\n          </td>"
)


@register.simple_tag(takes_context=True)
def commitment_rows(context: template.Context, rows: list, today: date, can_update: bool) -> SafeString:
    """The rows of the commitments list, written in Python (issue 15: rendering ~40 template nodes per row was
    most of the page). The status and basis tags still come from their templates, once per distinct value."""
    words = {
        f"l_{key}": escape(gettext(text))
        for key, text in (
            ("ref", "Reference"),
            ("commitment", "Commitment"),
            ("framework", "Framework"),
            ("owners", "Owners"),
            ("status", "Status"),
            ("priority", "Priority"),
            ("due", "Next due"),
            ("update", "Update"),
            ("new_status", "New status"),
            ("note", "Note"),
            ("record", "Record the update"),
            ("more", "More options"),
        )
    }
    overdue = format_html(' <span class="usa-tag tracker-status tracker-status--overdue">{}</span>', gettext("Overdue"))
    illustrative = format_html(" <small>({})</small>", gettext("illustrative status"))
    csrf = CsrfTokenNode().render(context)
    back = escape(context["request"].get_full_path())
    out = []
    for c in rows:
        detail = escape(reverse("followups:commitment_detail", args=[c.ref]))
        ref = escape(c.ref)
        if c.next_due:
            due = f'<span class="tracker-nowrap">{c.next_due:%Y-%m-%d}</span>' + (overdue if c.next_due < today else "")
        else:
            due = '<span class="text-base">—</span>'
        quick = ""
        if can_update:
            quick = _QUICK.format(
                ref=ref, detail=detail, csrf=csrf, back=back, pk=c.pk, options=status_options(c.status), **words
            )
        out.append(
            _ROW.format(
                ref=ref,
                detail=detail,
                title=escape(Truncator(c.title).chars(140)),
                basis=once(context, "includes/basis_tag.html", basis=c.provenance),
                framework_url=escape(reverse("framework_detail", args=[c.framework.ref])),
                framework=escape(c.framework.ref),
                owners=escape(", ".join(o.organisation.name for o in c.ownerships.all())),
                status=once(context, "includes/status_tag.html", status=c.status, label=c.status_label),
                status_note=illustrative if c.status_basis == "illustrative" and not c.illustrative else "",
                priority=escape(c.priority_label),
                due=due,
                quick=quick,
                **words,
            )
        )
    return mark_safe("".join(out))  # noqa: S308 - every value is escaped above
