"""{{ record|history_actor }}: who made a historical record, by kind (templates/simple_history/)."""

from django import template
from django.utils.html import format_html

from config.history import ACTOR_KINDS, actor_of

register = template.Library()


@register.filter
def history_actor(record) -> str:
    kind, label = actor_of(record)
    if not label:
        return format_html("<strong>{}</strong>", ACTOR_KINDS[kind])
    return format_html("<strong>{}</strong>: {}", ACTOR_KINDS[kind], label)
