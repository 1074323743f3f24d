"""The reminder e-mails: plain text and HTML in the recipient's language, with the deadline as .ics.

Phrases are kept here per language (en, es, fr) rather than in the gettext catalogues, so that a worker
renders each message in its recipient's language whatever the process's own locale.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from followups.models import Reminder
from followups.reminders.ics import deadline_ics

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "subject_before": "Reminder: {ref} due on {due} ({days} days left)",
        "subject_overdue": "Overdue: {ref} was due on {due} ({days} days ago)",
        "subject_digest": "Your weekly follow-up digest: {count} deadlines",
        "hello": "Hello {name},",
        "intro_before": "A commitment you follow is due soon.",
        "intro_overdue": "A commitment you follow is overdue.",
        "intro_escalation": "Nobody has acknowledged this overdue commitment yet; it is escalated to you.",
        "intro_digest": "These deadlines of commitments you follow need attention this week.",
        "framework": "Framework",
        "commitment": "Commitment",
        "due": "Due date",
        "left": "{days} days left",
        "today": "due today",
        "passed": "{days} days overdue",
        "open": "Open the commitment",
        "ack": "Acknowledge (stops these reminders for this commitment)",
        "footer": "The deadline is attached as a calendar entry (.ics).",
    },
    "es": {
        "subject_before": "Recordatorio: {ref} vence el {due} (quedan {days} días)",
        "subject_overdue": "Vencido: {ref} vencía el {due} (hace {days} días)",
        "subject_digest": "Su resumen semanal de seguimiento: {count} plazos",
        "hello": "Hola, {name}:",
        "intro_before": "Un compromiso que usted sigue vence pronto.",
        "intro_overdue": "Un compromiso que usted sigue está vencido.",
        "intro_escalation": "Nadie ha confirmado todavía este compromiso vencido; se le remite a usted.",
        "intro_digest": "Estos plazos de compromisos que usted sigue requieren atención esta semana.",
        "framework": "Marco",
        "commitment": "Compromiso",
        "due": "Fecha límite",
        "left": "quedan {days} días",
        "today": "vence hoy",
        "passed": "{days} días de retraso",
        "open": "Abrir el compromiso",
        "ack": "Confirmar recepción (detiene estos recordatorios para este compromiso)",
        "footer": "El plazo se adjunta como entrada de calendario (.ics).",
    },
    "fr": {
        "subject_before": "Rappel : {ref} à échéance le {due} ({days} jours restants)",
        "subject_overdue": "En retard : {ref} était dû le {due} (il y a {days} jours)",
        "subject_digest": "Votre récapitulatif hebdomadaire : {count} échéances",
        "hello": "Bonjour {name},",
        "intro_before": "Un engagement que vous suivez arrive bientôt à échéance.",
        "intro_overdue": "Un engagement que vous suivez est en retard.",
        "intro_escalation": "Personne n'a encore accusé réception de cet engagement en retard ; il vous est transmis.",
        "intro_digest": "Ces échéances d'engagements que vous suivez demandent votre attention cette semaine.",
        "framework": "Cadre",
        "commitment": "Engagement",
        "due": "Échéance",
        "left": "{days} jours restants",
        "today": "échéance aujourd'hui",
        "passed": "{days} jours de retard",
        "open": "Ouvrir l'engagement",
        "ack": "Accuser réception (arrête ces rappels pour cet engagement)",
        "footer": "L'échéance est jointe comme entrée de calendrier (.ics).",
    },
}


def _recipient(row: Reminder) -> tuple[str, str, str, str]:
    """(name, address, language, time zone) of a row's recipient."""
    if row.contact_id:
        c = row.contact
        return c.name, c.email, c.language, c.time_zone
    user = row.user
    profile = getattr(user, "staff_profile", None)
    return (
        user.get_full_name() or user.get_username(),
        user.email,
        profile.language if profile else "en",
        profile.time_zone if profile else "UTC",
    )


def message_id_for(rows: list[Reminder]) -> str:
    """A fixed Message-ID per reminder row and due instant: a repeat after a crash carries the same one."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].rstrip(">").strip() or "tracker.invalid"
    first = min(rows, key=lambda r: r.pk)
    suffix = f".{len(rows)}" if len(rows) > 1 else ""
    return f"<reminder.{first.pk}{suffix}.{first.due_at:%Y%m%dT%H%M}@{domain}>"


def _commitment_url(ref: str) -> str:
    try:
        path = reverse("followups:commitment_detail", args=[ref])
    except NoReverseMatch:
        path = f"/commitments/{ref}/"
    return settings.SITE_URL + path


def _ack_url(row: Reminder) -> str:
    from followups.reminders.acks import reminder_ack_token

    token = reminder_ack_token(reminder=row)
    try:
        path = reverse("reminder_ack", args=[token])
    except NoReverseMatch:
        path = f"/reminders/ack/{token}/"
    return settings.SITE_URL + path


def _item(row: Reminder, phrases: dict[str, str], today: date) -> dict:
    deadline = row.deadline
    commitment = deadline.commitment
    days = (deadline.due_on - today).days
    if days > 0:
        when = phrases["left"].format(days=days)
    elif days == 0:
        when = phrases["today"]
    else:
        when = phrases["passed"].format(days=-days)
    return {
        "row": row,
        "framework": commitment.framework.title,
        "commitment_ref": commitment.ref,
        "commitment": commitment.title,
        "deadline": deadline.title,
        "due": deadline.due_on.isoformat(),
        "days": days,
        "when": when,
        "url": _commitment_url(commitment.ref),
        "ack_url": _ack_url(row),
    }


def reminder_message(*, rows: list[Reminder]) -> EmailMultiAlternatives:
    """The e-mail for one reminder, or one recipient's digest of several. Rows share their recipient."""
    from zoneinfo import ZoneInfo

    name, address, language, zone = _recipient(rows[0])
    phrases = PHRASES.get(language, PHRASES["en"])
    try:
        today = timezone.now().astimezone(ZoneInfo(zone)).date()
    except (ValueError, KeyError):
        today = timezone.now().date()
    items = [_item(row, phrases, today) for row in rows]
    first = items[0]
    if len(rows) > 1:
        subject = phrases["subject_digest"].format(count=len(rows))
        intro = phrases["intro_digest"]
    elif first["days"] >= 0:
        subject = phrases["subject_before"].format(ref=first["commitment_ref"], due=first["due"], days=first["days"])
        intro = phrases["intro_before"]
    else:
        subject = phrases["subject_overdue"].format(ref=first["commitment_ref"], due=first["due"], days=-first["days"])
        intro = phrases["intro_escalation"] if rows[0].escalation else phrases["intro_overdue"]
    context = {
        "t": phrases,
        "hello": phrases["hello"].format(name=name),
        "intro": intro,
        "items": items,
        "language": language,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Message-ID": message_id_for(rows), "Content-Language": language, "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string("emails/reminder.html", context), "text/html")
    for item in items:
        deadline = item["row"].deadline
        ics = deadline_ics(
            deadline=deadline, summary=f"{item['commitment_ref']}: {item['commitment']}", url=item["url"]
        )
        message.attach(f"{deadline.ref}.ics", ics, "text/calendar")
    return message
