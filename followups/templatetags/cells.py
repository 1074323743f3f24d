"""Template helpers for the cells of long lists (issue 15: a page of 50 to 500 rows must not render a template
per row and per cell)."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any, cast

from django import template
from django.forms.widgets import Input
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.html import conditional_escape, escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext

from agreements.labels import labels_of
from agreements.models import Basis
from followups.models import Priority, Status

register = template.Library()

# A record's basis (Sourced.provenance) from its `illustrative` flag.
_BASIS = {True: Basis.ILLUSTRATIVE.value, False: Basis.SOURCED.value}


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


def _url_of(name: str) -> Callable[[str], str]:
    """The URL of `name` with one reference, by a prefix reversed once per page: references are letters, digits
    and hyphens (ref_validator), written as they are; anything else is reversed as usual."""
    prefix, suffix = reverse(name, args=["REF0"]).split("REF0")

    def url(ref: str) -> str:
        return f"{prefix}{ref}{suffix}" if _PLAIN_REF.fullmatch(ref) else reverse(name, args=[ref])

    return url


_PLAIN_REF = re.compile(r"[A-Za-z0-9-]+")


def _title(text: str) -> str:
    # Truncator.chars(140) normalises (NFC) and counts; a short title is only normalised.
    text = unicodedata.normalize("NFC", text)
    return text if len(text) <= 140 else Truncator(text).chars(140)


@register.simple_tag(takes_context=True)
def commitment_rows(context: template.Context, rows: list, today: date, can_update: bool) -> SafeString:
    """The rows of the commitments list, written in Python (issue 15: rendering ~40 template nodes per row was
    most of the page), from the named tuples of selectors.COMMITMENT_ROW_FIELDS. The status and basis tags still come
    from their templates, once per distinct value."""
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
    detail_url, framework_url = _url_of("followups:commitment_detail"), _url_of("framework_detail")
    # Labels from one dictionary per language: get_FOO_display() translates every choice on each call.
    statuses, priorities = labels_of(Status), labels_of(Priority)
    esc = html.escape  # Django's escape is html.escape behind a lazy-string wrapper: the plain one, per cell
    out = []
    for c in rows:
        detail = esc(detail_url(c.ref))
        ref = esc(c.ref)
        if next_due := c.next_due_on:
            due = f'<span class="tracker-nowrap">{next_due:%Y-%m-%d}</span>' + (overdue if next_due < today else "")
        else:
            due = '<span class="text-base">—</span>'
        quick = ""
        if can_update:
            options = status_options(c.status)
            quick = _QUICK.format(ref=ref, detail=detail, csrf=csrf, back=back, pk=c.pk, options=options, **words)
        status = c.status
        out.append(
            _ROW.format(
                ref=ref,
                detail=detail,
                title=esc(_title(c.title)),
                basis=once(context, "includes/basis_tag.html", basis=_BASIS[c.illustrative]),
                framework_url=esc(framework_url(c.framework__ref)),
                framework=esc(c.framework__ref),
                owners=esc(c.owner_names),
                status=once(context, "includes/status_tag.html", status=status, label=statuses.get(status, status)),
                status_note=illustrative if c.status_basis == "illustrative" and not c.illustrative else "",
                priority=esc(priorities.get(c.priority, c.priority)),
                due=due,
                quick=quick,
                **words,
            )
        )
    return mark_safe("".join(out))  # noqa: S308 - every value is escaped above


# --- The filter form of a list, written in Python (the markup of includes/field.html) -----------------------------


@register.simple_tag
def filter_fields(form: Any) -> SafeString:
    """Every field of a list's filter form but `sort`, with the markup includes/field.html gives it: the template
    per field (and Django's widget templates per input) were a fifth of the commitments list (issue 15)."""
    return mark_safe("".join(_filter_field(field) for field in form if field.name != "sort"))  # noqa: S308


def _errors(field: Any) -> str:
    return " ".join(conditional_escape(e) for e in field.errors)


def _filter_field(field: Any) -> str:
    widget_type = field.widget_type
    if widget_type == "hidden":
        return str(field)
    label = conditional_escape(field.label)
    errors = _errors(field)
    if widget_type == "checkboxselectmultiple":
        help_text = f'\n  <div class="usa-hint">{conditional_escape(field.help_text)}</div>' if field.help_text else ""
        error = f'\n  <span class="usa-error-message" role="alert">{errors}</span>' if field.errors else ""
        boxes = "".join(
            _CHECKBOX.format(
                id=conditional_escape(choice.id_for_label),
                name=conditional_escape(field.html_name),
                value=conditional_escape(choice.data["value"]),
                checked=" checked" if choice.data["selected"] else "",
                label=conditional_escape(choice.choice_label),
            )
            for choice in field
        )
        legend = f'<legend class="usa-legend">{label}</legend>'
        return f'\n<fieldset class="usa-fieldset tracker-field">\n  {legend}{help_text}{error}{boxes}\n</fieldset>\n'
    group = "usa-form-group tracker-field" + (" usa-form-group--error" if field.errors else "")
    if widget_type == "checkbox":
        error = f'\n  <span class="usa-error-message" role="alert">{errors}</span>' if field.errors else ""
        for_ = conditional_escape(field.id_for_label)
        return (
            f'\n<div class="{group}">{error}\n  <div class="usa-checkbox">{_widget(field)}'
            f'<label class="usa-checkbox__label" for="{for_}">{label}</label></div>\n</div>\n'
        )
    # A filter has no file field: the drag-and-drop words of field.html's file branch are not needed here.
    required = (
        f' <abbr title="{escape(gettext("required"))}" class="usa-hint usa-hint--required">*</abbr>'
        if field.field.required
        else ""
    )
    label_class = "usa-label" + (" usa-label--error" if field.errors else "")
    auto_id = conditional_escape(field.auto_id)
    help_text = (
        f'\n  <div class="usa-hint" id="{auto_id}_helptext">{conditional_escape(field.help_text)}</div>'
        if field.help_text
        else ""
    )
    error = (
        f'\n  <span class="usa-error-message" id="{auto_id}_error" role="alert">{errors}</span>' if field.errors else ""
    )
    return (
        f'\n<div class="{group}">\n  <label class="{label_class}" for="{conditional_escape(field.id_for_label)}">'
        f"{label}{required}</label>{help_text}{error}\n  {_widget(field)}\n</div>\n"
    )


_CHECKBOX = (
    '\n  <div class="usa-checkbox">\n    <input class="usa-checkbox__input" type="checkbox" name="{name}" id="{id}" '
    'value="{value}"{checked}>\n    <label class="usa-checkbox__label" for="{id}">{label}</label>\n  </div>\n  '
)


def _widget(field: Any) -> str:
    """The field's widget; an <input> written as Django's input.html and attrs.html write it."""
    widget = field.field.widget
    plain = isinstance(widget, Input) and widget.template_name == f"django/forms/widgets/{widget.input_type}.html"
    if not plain or field.field.localize:  # another template, or localized values: as Django renders it
        return str(field)
    attrs = field.build_widget_attrs({}, widget)  # as BoundField.as_widget
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    parts = [f'<input type="{conditional_escape(context["type"])}" name="{conditional_escape(context["name"])}"']
    if context["value"] is not None:
        parts.append(f' value="{conditional_escape(str(context["value"]))}"')
    for name, value in context["attrs"].items():
        if value is not False:
            parts.append(f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"')
    parts.append(">")
    return "".join(parts)
