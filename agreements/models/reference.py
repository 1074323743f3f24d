"""Reference texts from the dataset: the glossary (vocabulary) and the known caveats of the data."""

from __future__ import annotations

from django.db import models

from agreements.models.frameworks import Framework
from agreements.models.organisations import Organisation
from agreements.models.sources import ref_validator


class GlossaryTerm(models.Model):
    """A word of the trade as the dataset defines it ("offtake", "accession"), for the glossary page."""

    # The term in a form usable as a page anchor (`#critical-mineral`); the dataset's terms have no id.
    ref = models.SlugField(max_length=120, unique=True)
    term = models.CharField(max_length=200)
    definition = models.TextField()

    class Meta:
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term


class DataCaveat(models.Model):
    """A known caveat of the data (the dataset's open questions): what the sources leave unknown or contradict.

    Linked to the frameworks and organisations it concerns, whose pages point to it.
    """

    # DQ-1, DQ-2, ...: the question's position in the dataset's `open_questions`.
    ref = models.CharField(max_length=20, unique=True, validators=[ref_validator])
    text = models.TextField()
    frameworks = models.ManyToManyField(Framework, blank=True, related_name="caveats")
    organisations = models.ManyToManyField(Organisation, blank=True, related_name="caveats")

    class Meta:
        ordering = ["ref"]

    def __str__(self) -> str:
        return f"{self.ref}: {self.text[:80]}"
