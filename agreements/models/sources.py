"""Where a fact comes from: sources, the provenance every record carries (Sourced), and shared validators."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ref_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]*(-[A-Za-z0-9]+)+$", _("A reference looks like ORG-AR, FW-US-AU or CMT-AU-01.")
)


def validate_time_zone(value: str) -> None:
    if value not in _zones():
        raise ValidationError(_("%(value)s is not an IANA time zone such as Europe/Paris."), params={"value": value})


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


_ZONES: set[str] | None = None


class Source(models.Model):
    """A piece of evidence (an official text, a mirror, a news report) that records cite."""

    ref = models.CharField(verbose_name=_("ref"), max_length=20, unique=True)
    title = models.TextField(verbose_name=_("title"))
    # Usually a URL, but some sources are only described ("seed news article").
    url = models.CharField(verbose_name=_("url"), max_length=500, blank=True)
    # Sources give "2026-02-04", "2026-02", "2026" or "n.d.": kept as given.
    published = models.CharField(verbose_name=_("published"), max_length=20, blank=True)
    kind = models.CharField(verbose_name=_("kind"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["ref"]

    def __str__(self) -> str:
        return f"{self.ref}: {self.title[:80]}"


class Basis(models.TextChoices):
    """How far a record can be trusted (issue 10): the one vocabulary of the pages' marks, the exports' Basis
    column, the lists' and the API's `basis` filter and the API's `basis` field. Whether a date is only estimated
    is said beside the date (`date_estimated`, `anchor_estimated`, a party's `joined_precision`)."""

    SOURCED = "sourced", _("Sourced")
    # A deadline rule copied from a sister instrument, not verified for this one (Deadline.provenance).
    TEMPLATE = "template", _("From a template")
    ILLUSTRATIVE = "illustrative", _("Illustrative")

    @classmethod
    def record_choices(cls) -> list[tuple[str, StrOrPromise]]:
        """The bases of a record that is not a deadline rule: sourced or illustrative."""
        return [(value, label) for value, label in cls.choices if value != cls.TEMPLATE]


class Sourced(models.Model):
    """Fields every dataset record shares: its sources and whether it is invented for the demo."""

    sources = models.ManyToManyField(Source, verbose_name=_("sources"), blank=True, related_name="+")
    illustrative = models.BooleanField(
        verbose_name=_("illustrative"),
        default=False,
        help_text=_("Invented-but-plausible demo material, not a sourced fact."),
    )
    illustrative_fields = models.JSONField(
        verbose_name=_("illustrative fields"),
        default=list,
        blank=True,
        help_text=_("Invented fields of a real record."),
    )

    class Meta:
        abstract = True

    @property
    def provenance(self) -> str:
        """The record's basis: illustrative (invented for the demo), else sourced. `provenance_q` in SQL."""
        return Basis.ILLUSTRATIVE.value if self.illustrative else Basis.SOURCED.value

    @classmethod
    def provenance_q(cls, basis: str) -> Q:
        """The rows whose `provenance` is `basis`, as a filter (no template records here: none match)."""
        if basis == Basis.ILLUSTRATIVE:
            return Q(illustrative=True)
        return Q(illustrative=False) if basis == Basis.SOURCED else Q(pk__in=[])
