"""Reference texts from the dataset: the glossary (vocabulary) and the known caveats of the data."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from agreements.models.frameworks import Framework
from agreements.models.organisations import Organisation
from agreements.models.sources import ref_validator


class GlossaryTerm(models.Model):
    """A word of the trade as the dataset defines it ("offtake", "accession"), for the glossary page."""

    # The term in a form usable as a page anchor (`#critical-mineral`); the dataset's terms have no id.
    ref = models.SlugField(verbose_name=_("ref"), max_length=120, unique=True)
    term = models.CharField(verbose_name=_("term"), max_length=200)
    definition = models.TextField(verbose_name=_("definition"))

    class Meta:
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary terms")
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term


class DataCaveat(models.Model):
    """A known caveat of the data (the dataset's open questions): what the sources leave unknown or contradict.

    Linked to the frameworks and organisations it concerns, whose pages point to it.
    """

    # DQ-1, DQ-2, ...: the question's position in the dataset's `open_questions`.
    ref = models.CharField(verbose_name=_("ref"), max_length=20, unique=True, validators=[ref_validator])
    text = models.TextField(verbose_name=_("text"))
    frameworks = models.ManyToManyField(Framework, verbose_name=_("frameworks"), blank=True, related_name="caveats")
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("organisations"), blank=True, related_name="caveats"
    )

    class Meta:
        verbose_name = _("data caveat")
        verbose_name_plural = _("data caveats")
        ordering = ["ref"]

    def __str__(self) -> str:
        return f"{self.ref}: {self.text[:80]}"
