"""Deadline rules: an anchor date plus an ISO-8601 offset, and the recurrence of repeating obligations.

Pure functions on dates, no database: the models and services call these, and Hypothesis tests them
(tests/followups/test_deadline_arithmetic.py).

- Calendar months and years clamp the day to the end of the target month: 31 Aug + P6M = 28 Feb (29 in a
  leap year). "Six months" and "180 days" are different rules and give different dates.
- Days are days; weeks are seven days.
- A recurrence is an RFC 5545 RRULE (`FREQ=MONTHLY;INTERVAL=3`) whose first occurrence is the rule's due
  date; month-based recurrences clamp like offsets do (an obligation due on the 31st falls on the 30th in
  a 30-day month, never skipped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext, gettext_lazy, ngettext

_OFFSET_RE = re.compile(r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?$")


class RuleError(ValueError):
    """A deadline rule that cannot be read; the message says what is wrong."""


@dataclass(frozen=True)
class Offset:
    """A calendar offset: years and months (clamped to the month's end), then weeks and days."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str | None) -> Offset:
        """Read an ISO-8601 date duration such as P6M, P180D, P1Y, P2W or P1Y6M; blank means no offset."""
        if text is None or text.strip() == "":
            return cls()
        match = _OFFSET_RE.match(text.strip().upper())
        if not match:
            raise RuleError(
                f"offset {text!r} is not an ISO-8601 date duration such as P6M, P180D, P1Y or P2W "
                "(times of day are not allowed)"
            )
        parts = {key: int(value) for key, value in match.groupdict().items() if value is not None}
        return cls(**parts)

    def __str__(self) -> str:
        text = "P"
        for value, unit in ((self.years, "Y"), (self.months, "M"), (self.weeks, "W"), (self.days, "D")):
            if value:
                text += f"{value}{unit}"
        return text if text != "P" else "P0D"

    @property
    def semantics(self) -> str:
        """How the offset counts, in the dataset's words: calendar_months_clamped, calendar_years or days."""
        if self.months:
            return "calendar_months_clamped"
        if self.years:
            return "calendar_years"
        return "days"

    def after(self, anchor: date) -> date:
        """The date this offset after `anchor`. Months first (clamped to month end), then days."""
        # relativedelta clamps the day of month: date(2025, 8, 31) + relativedelta(months=6) == 2026-02-28.
        moved = anchor + relativedelta(years=self.years, months=self.months)
        return moved + timedelta(weeks=self.weeks, days=self.days)


def compute_due_date(anchor: date, offset: str | None) -> date:
    """The due date of a rule: its anchor date plus its offset."""
    return Offset.parse(offset).after(anchor)


_RRULE_RE = re.compile(r"^FREQ=(?P<freq>DAILY|WEEKLY|MONTHLY|YEARLY)(?:;INTERVAL=(?P<interval>[1-9]\d*))?$")
_FREQ_OFFSET = {
    "DAILY": Offset(days=1),
    "WEEKLY": Offset(weeks=1),
    "MONTHLY": Offset(months=1),
    "YEARLY": Offset(years=1),
}


@dataclass(frozen=True)
class Recurrence:
    """A repeating obligation: every INTERVAL days, weeks, months or years from the first due date."""

    freq: str
    interval: int = 1

    @classmethod
    def parse(cls, text: str) -> Recurrence:
        """Read `FREQ=MONTHLY;INTERVAL=3` (the RRULE subset that obligations use), or P3M as a shorthand."""
        text = text.strip().upper()
        if text.startswith("RRULE:"):
            text = text[len("RRULE:") :]
        if text.startswith("P"):
            offset = Offset.parse(text)
            for freq, count in (
                ("YEARLY", offset.years),
                ("MONTHLY", offset.months),
                ("WEEKLY", offset.weeks),
                ("DAILY", offset.days),
            ):
                if count and offset == Offset(**{_unit(freq): count}):
                    return cls(freq=freq, interval=count)
            raise RuleError(f"recurrence {text!r} must be a single unit such as P3M or P1Y")
        match = _RRULE_RE.match(text)
        if not match:
            raise RuleError(
                f"recurrence {text!r} is not supported: use FREQ=DAILY|WEEKLY|MONTHLY|YEARLY with an optional "
                ";INTERVAL=N"
            )
        return cls(freq=match["freq"], interval=int(match["interval"] or 1))

    def __str__(self) -> str:
        return f"FREQ={self.freq}" + (f";INTERVAL={self.interval}" if self.interval != 1 else "")

    def occurrence(self, first: date, index: int) -> date:
        """The index-th occurrence (0 is `first`), each computed from `first` so clamping never drifts."""
        step = _FREQ_OFFSET[self.freq]
        n = self.interval * index
        return Offset(years=step.years * n, months=step.months * n, weeks=step.weeks * n, days=step.days * n).after(
            first
        )

    def next_on_or_after(self, first: date, on_or_after: date) -> date:
        """The first occurrence on or after a given date (`first` itself when that is not yet past)."""
        if on_or_after <= first:
            return first
        # Jump close with an estimate from the average length of a step, then walk.
        approx_days = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 30.436875, "YEARLY": 365.2425}[self.freq] * self.interval
        index = max(0, int((on_or_after - first).days / approx_days) - 1)
        while self.occurrence(first, index) < on_or_after:
            index += 1
        while index > 0 and self.occurrence(first, index - 1) >= on_or_after:
            index -= 1
        return self.occurrence(first, index)

    def next_after(self, first: date, after: date) -> date:
        """The first occurrence strictly after a given date."""
        return self.next_on_or_after(first, after + timedelta(days=1))


def _unit(freq: str) -> str:
    return {"YEARLY": "years", "MONTHLY": "months", "WEEKLY": "weeks", "DAILY": "days"}[freq]


# --- A rule as a clerk enters it: a number and a unit (the admin's rule widget) -------------------------------

SPAN_UNITS = ("days", "weeks", "months", "years")
_UNIT_FREQ = {"days": "DAILY", "weeks": "WEEKLY", "months": "MONTHLY", "years": "YEARLY"}


def offset_of_span(number: int, unit: str) -> Offset:
    """6, "months" -> P6M. The number is at least 1 and the unit one of SPAN_UNITS."""
    if unit not in SPAN_UNITS:
        raise RuleError(f"unit {unit!r} is not one of {', '.join(SPAN_UNITS)}")
    if number < 1:
        raise RuleError("the number must be at least 1")
    return Offset(**{unit: number})


def span_of_offset(offset: str | None) -> tuple[int, str] | None:
    """P6M -> (6, "months"); blank -> None. An offset of two units is read in the smaller one when that
    gives the same dates (P1Y6M -> 18 months, P1W3D -> 10 days); P1M2D has no single unit and raises RuleError."""
    parsed = Offset.parse(offset)
    if parsed == Offset():
        return None
    if not (parsed.weeks or parsed.days):
        return (parsed.years, "years") if not parsed.months else (parsed.years * 12 + parsed.months, "months")
    if not (parsed.years or parsed.months):
        return (parsed.weeks, "weeks") if not parsed.days else (parsed.weeks * 7 + parsed.days, "days")
    raise RuleError(f"offset {offset!r} mixes months and days: it cannot be entered as one number and unit")


def recurrence_of_span(number: int, unit: str) -> Recurrence:
    """3, "months" -> FREQ=MONTHLY;INTERVAL=3 (the form the loader stores)."""
    offset_of_span(number, unit)  # the same checks
    return Recurrence(freq=_UNIT_FREQ[unit], interval=number)


def span_of_recurrence(recurrence: str | None) -> tuple[int, str] | None:
    """FREQ=MONTHLY;INTERVAL=3 (or P3M) -> (3, "months"); blank -> None."""
    if not recurrence:
        return None
    rule = Recurrence.parse(recurrence)
    return rule.interval, _unit(rule.freq)


def upcoming_due_dates(first: date, recurrence: Recurrence | None, *, start: int = 0, count: int = 3) -> list[date]:
    """The due dates from occurrence `start` on: `count` of them for a recurring rule, else the one date."""
    if recurrence is None:
        return [first]
    return [recurrence.occurrence(first, index) for index in range(start, start + count)]


def local_instant(*, day: date, zone: str, at: time) -> datetime:
    """The UTC instant of the local time `at` on `day` in the IANA zone `zone` (DST included; UTC if unknown).

    Due dates are calendar dates; a reminder goes out in the morning of the recipient's own time zone.
    """
    try:
        tz = ZoneInfo(zone or "UTC")
    except (ValueError, KeyError):
        tz = ZoneInfo("UTC")
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


# --- A rule in words (the staff pages, e-mails and the admin show this; the ISO form goes in a tooltip) -------

_ANCHOR_PHRASES = {
    # anchor kind -> how the anchor reads after "6 months after ..." (the name is a reference or a title)
    "framework_signed": gettext_lazy("the signature of %(name)s"),
    "framework_effective": gettext_lazy("the entry into force of %(name)s"),
    "milestone": "%(name)s",
    "event": "%(name)s",
    "deadline_due": gettext_lazy("the due date of %(name)s"),
    "deadline_completed": gettext_lazy("the completion of %(name)s"),
    "party_joined": gettext_lazy("the day %(name)s joined"),
}


def describe_offset(offset: str | Offset | None) -> str:
    """P6M -> "6 months", P1Y6M -> "1 year and 6 months", P2W -> "2 weeks", blank -> ""."""
    parsed = offset if isinstance(offset, Offset) else Offset.parse(offset)
    # Each call written out, so that makemessages finds the words.
    parts = []
    if parsed.years:
        parts.append(ngettext("%(n)d year", "%(n)d years", parsed.years) % {"n": parsed.years})
    if parsed.months:
        parts.append(ngettext("%(n)d month", "%(n)d months", parsed.months) % {"n": parsed.months})
    if parsed.weeks:
        parts.append(ngettext("%(n)d week", "%(n)d weeks", parsed.weeks) % {"n": parsed.weeks})
    if parsed.days:
        parts.append(ngettext("%(n)d day", "%(n)d days", parsed.days) % {"n": parsed.days})
    if len(parts) > 1:
        return gettext("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}
    return parts[0] if parts else ""


def describe_recurrence(recurrence: str | Recurrence | None) -> str:
    """FREQ=MONTHLY;INTERVAL=3 (or P3M) -> "every 3 months"; FREQ=YEARLY -> "every year"; blank -> ""."""
    if not recurrence:
        return ""
    rule = recurrence if isinstance(recurrence, Recurrence) else Recurrence.parse(recurrence)
    n = rule.interval
    words = {
        "DAILY": ngettext("every day", "every %(n)d days", n),
        "WEEKLY": ngettext("every week", "every %(n)d weeks", n),
        "MONTHLY": ngettext("every month", "every %(n)d months", n),
        "YEARLY": ngettext("every year", "every %(n)d years", n),
    }[rule.freq]
    return words % {"n": n}


def describe_rule(
    *,
    anchor_kind: str,
    anchor_name: str = "",
    anchor_date: date | None = None,
    offset: str | None = "",
    recurrence: str | None = "",
    first_due: date | None = None,
) -> str:
    """A deadline rule in the reader's language, e.g. "6 months after the signature of FW-US-AU (20 October 2025)",
    "180 days after Critical Minerals Ministerial (4 February 2026), then every 3 months", "on 30 June 2026".

    The one place that puts a rule into words; the caller shows the ISO form (rule_iso) beside it for the
    curious. A rule that cannot be read is returned as written rather than hidden.
    """
    when = _date_words(anchor_date)
    try:
        span = describe_offset(offset)
        repeat = describe_recurrence(recurrence)
    except RuleError:
        return rule_iso(anchor_kind=anchor_kind, anchor_name=anchor_name, offset=offset, recurrence=recurrence)
    phrase = _ANCHOR_PHRASES.get(anchor_kind)
    if phrase is None:  # a fixed date
        text = (
            gettext("%(span)s after %(date)s") % {"span": span, "date": when}
            if span
            else gettext("on %(date)s") % {"date": when}
        )
    else:
        anchor = str(phrase) % {"name": anchor_name or gettext("its anchor")}
        if when:
            anchor = gettext("%(anchor)s (%(date)s)") % {"anchor": anchor, "date": when}
        text = (
            gettext("%(span)s after %(anchor)s") % {"span": span, "anchor": anchor}
            if span
            else gettext("on the day of %(anchor)s") % {"anchor": anchor}
        )
    if repeat:
        if first_due:
            repeat = gettext("%(repeat)s from %(date)s") % {"repeat": repeat, "date": _date_words(first_due)}
        text = gettext("%(rule)s, then %(repeat)s") % {"rule": text, "repeat": repeat}
    return text[:1].upper() + text[1:]


def rule_iso(
    *, anchor_kind: str, anchor_name: str = "", offset: str | None = "", recurrence: str | None = "", **_ignored
) -> str:
    """The rule as stored, for a tooltip: "framework_signed FW-US-AU + P6M; FREQ=MONTHLY;INTERVAL=3"."""
    text = " ".join(part for part in (anchor_kind, anchor_name) if part)
    if offset:
        text += f" + {offset}"
    if recurrence:
        text += f"; {recurrence}"
    return text


def _date_words(day: date | None) -> str:
    if day is None:
        return ""
    from django.utils.formats import date_format

    return date_format(day, "j F Y")
