"""The reminder e-mails: plain text and HTML in the recipient's language, with the deadline as .ics.

The wording lives in the gettext catalogues (locale/), like every other string; each message is rendered under
`translation.override(<recipient's language>)`, so a worker writes it in its recipient's language whatever the
process's own locale.

Links follow the reader: a point of contact (a partner official without an account) gets signed links to the
one-commitment report page and to their reminder preferences, and a one-click unsubscribe header (RFC 8058); staff
get links to the staff pages.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from followups.models import Commitment, Reminder
from followups.reminders.ics import deadline_ics


def _recipient(row: Reminder) -> tuple[str, str, str, str]:
    """(name, address, language, time zone) of a row's recipient."""
    c = row.contact
    if c is not None:
        return c.name, c.email, c.language, c.time_zone
    user = row.user
    if user is None:  # ruled out by the check constraint reminder_one_recipient
        raise ValueError(f"reminder {row.pk} has no recipient")
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


def _when(days: int) -> str:
    if days > 0:
        return ngettext("%(days)s day left", "%(days)s days left", days) % {"days": days}
    if days == 0:
        return _("due today")
    return ngettext("%(days)s day overdue", "%(days)s days overdue", -days) % {"days": -days}


def _commitment_of(row: Reminder) -> Commitment:
    """The commitment a row is about: its deadline's, or (a quiet-commitment nudge) its own."""
    commitment = row.deadline.commitment if row.deadline is not None else row.commitment
    if commitment is None:  # ruled out by reminder_about_something; the sender cancels such a row first
        raise ValueError(f"reminder {row.pk} is about nothing")
    return commitment


def _item(row: Reminder, today: date, partner_urls: dict[int, str]) -> dict:
    deadline = row.deadline
    # A quiet-commitment nudge (followups.reminders.quiet) is about the commitment, without a deadline.
    commitment = _commitment_of(row)
    days = (deadline.due_on - today).days if deadline is not None else None
    # A point of contact has no account: their link opens the one-commitment report page, never a staff login.
    url = partner_urls[commitment.pk] if row.contact_id else _commitment_url(commitment.ref)
    return {
        "row": row,
        "framework": commitment.framework.title,
        "commitment_ref": commitment.ref,
        "commitment": commitment.title,
        "deadline": deadline.title if deadline is not None else "",
        "due": deadline.due_on.isoformat() if deadline is not None else "",
        "days": days,
        "when": _when(days) if days is not None else "",
        "url": url,
        "ack_url": _ack_url(row),
    }


def _subject_and_intro(rows: list[Reminder], first: dict) -> tuple[str, str]:
    if len(rows) > 1:
        subject = ngettext(
            "Your weekly follow-up digest: %(count)s deadline",
            "Your weekly follow-up digest: %(count)s deadlines",
            len(rows),
        ) % {"count": len(rows)}
        return subject, _("These deadlines of commitments you follow need attention this week.")
    if first["days"] is None:
        subject = _("%(ref)s: no update for a while. How is it going?") % {"ref": first["commitment_ref"]}
        return subject, _("A commitment you follow has had no status update for a while.")
    values = {"ref": first["commitment_ref"], "due": first["due"], "days": abs(first["days"])}
    if first["days"] >= 0:
        subject = ngettext(
            "Reminder: %(ref)s due on %(due)s (%(days)s day left)",
            "Reminder: %(ref)s due on %(due)s (%(days)s days left)",
            values["days"],
        )
        return subject % values, _("A commitment you follow is due soon.")
    subject = ngettext(
        "Overdue: %(ref)s was due on %(due)s (%(days)s day ago)",
        "Overdue: %(ref)s was due on %(due)s (%(days)s days ago)",
        values["days"],
    )
    if rows[0].escalation:
        return subject % values, _("Nobody has acknowledged this overdue commitment yet; it is escalated to you.")
    return subject % values, _("A commitment you follow is overdue.")


# Placeholders for what differs between recipients of the same message (their name and their signed links): the
# templates are rendered once per distinct message and these are put in per recipient (escaped for the HTML part,
# as the template would have; escaping is character by character, so the result is the same).
_NAME = "\x00name\x00"
_PREFERENCES = "\x00preferences\x00"


def _url_mark(i: int) -> str:
    return f"\x00url{i}\x00"


def _ack_mark(i: int) -> str:
    return f"\x00ack{i}\x00"


class Rendered:
    """Text and HTML bodies rendered once per distinct message (language, items, their days): a batch of reminders
    about one deadline renders its templates once per language, not once per recipient."""

    def __init__(self) -> None:
        self._bodies: dict[tuple, tuple[str, str]] = {}

    def bodies(self, key: tuple, context: dict) -> tuple[str, str]:
        if key not in self._bodies:
            self._bodies[key] = (
                render_to_string("emails/reminder.txt", context),
                render_to_string("emails/reminder.html", context),
            )
        return self._bodies[key]


def links_wanted(rows: list[Reminder]) -> tuple | None:
    """(contact, commitments, with a reply token) for partner_links_issue, or None for a staff recipient."""
    if not rows[0].contact_id:
        return None
    commitments = [_commitment_of(row) for row in rows]
    return rows[0].contact, commitments, bool(settings.REPLY_DOMAIN) and len({c.pk for c in commitments}) == 1


def _fill(text: str, values: dict[str, str], escape_value) -> str:
    for mark, value in values.items():
        text = text.replace(mark, escape_value(value))
    return text


def _today(zone: str) -> date:
    from zoneinfo import ZoneInfo

    try:
        return timezone.now().astimezone(ZoneInfo(zone)).date()
    except (ValueError, KeyError):
        return timezone.now().date()


def reminder_message(
    *, rows: list[Reminder], links: tuple[dict[int, str], str, str] | None = None, rendered: Rendered | None = None
) -> EmailMultiAlternatives:
    """The e-mail for one reminder, or one recipient's digest of several. Rows share their recipient.

    `links` are the contact's signed links issued beforehand (partner_links_issue, for a whole batch); without
    them they are issued here. `rendered` reuses bodies already rendered for other recipients.
    """
    from django.utils.html import escape

    name, address, language, zone = _recipient(rows[0])
    partner_urls: dict[int, str] = {}
    preferences_url = reply_token = ""
    wanted = links_wanted(rows)
    if wanted is not None:
        from followups.partner_links.links import partner_links_issue

        partner_urls, preferences_url, reply_token = links or partner_links_issue(wanted=[wanted])[0]
    with translation.override(language):
        today = _today(zone)
        items = [_item(row, today, partner_urls) for row in rows]
        subject, intro = _subject_and_intro(rows, items[0])
        values = {_NAME: name, _PREFERENCES: preferences_url}
        marked = []
        for i, item in enumerate(items):
            values[_url_mark(i)], values[_ack_mark(i)] = item["url"], item["ack_url"]
            marked.append({**item, "url": _url_mark(i), "ack_url": _ack_mark(i)})
        context = {
            "hello": _("Hello %(name)s,") % {"name": _NAME},
            "intro": intro,
            "items": marked,
            "language": language,
            "partner": wanted is not None,
            **({"preferences_url": _PREFERENCES} if preferences_url else {}),
        }
        key: tuple = (language, wanted is not None, bool(preferences_url), len(rows), rows[0].escalation)
        key += tuple(
            (row.deadline_id, _commitment_of(row).pk, item["days"]) for row, item in zip(rows, items, strict=True)
        )
        body, html = (rendered or Rendered()).bodies(key, context)
        message = EmailMultiAlternatives(
            subject=subject,
            body=_fill(body, values, str),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers=_headers(rows, language, preferences_url, reply_token),
        )
        message.attach_alternative(_fill(html, values, escape), "text/html")
        for item in items:
            deadline = item["row"].deadline
            if deadline is None:
                continue
            ics = deadline_ics(
                deadline=deadline, summary=f"{item['commitment_ref']}: {item['commitment']}", url=item["url"]
            )
            message.attach(f"{deadline.ref}.ics", ics, "text/calendar")
    return message


def _headers(rows: list[Reminder], language: str, preferences_url: str, reply_token: str) -> dict[str, str]:
    headers = {
        "Message-ID": message_id_for(rows),
        "Content-Language": language,
        "Auto-Submitted": "auto-generated",
    }
    if reply_token:
        # A reply lands on this commitment's timeline, awaiting review (followups.partner_links.inbound).
        from followups.partner_links.inbound import reply_address

        headers["Reply-To"] = reply_address(reply_token)
    if preferences_url:
        # RFC 8058: a POST to this address (no login, no confirmation page) stops the contact's reminders.
        headers["List-Unsubscribe"] = f"<{preferences_url}unsubscribe/>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers
