"""People: the points of contact who receive reminders, and staff profiles (language, time zone, preferences)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agreements.models.organisations import Organisation
from agreements.models.sources import ref_validator, validate_time_zone
from config.history import TrackedHistory


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Español"
    FRENCH = "fr", "Français"


class Contact(models.Model):
    """A person at an organisation: a point of contact who gets reminders, optionally with a staff login."""

    ref = models.CharField(verbose_name=_("ref"), max_length=40, unique=True, validators=[ref_validator])
    name = models.CharField(verbose_name=_("name"), max_length=200)
    email = models.EmailField(verbose_name=_("email"))
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="contacts"
    )
    title = models.CharField(verbose_name=pgettext_lazy("person", "title"), max_length=200, blank=True)
    language = models.CharField(
        verbose_name=_("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    time_zone = models.CharField(
        verbose_name=_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact",
    )
    is_active = models.BooleanField(verbose_name=_("is active"), default=True)
    illustrative = models.BooleanField(
        verbose_name=_("illustrative"), default=False, help_text=_("A made-up demo contact.")
    )

    history = TrackedHistory()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "email"], name="contact_email_unique_per_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class StaffProfile(models.Model):
    """A staff user's preferences and desk officer's portfolio (the countries and bodies they follow)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="staff_profile"
    )
    portfolio = models.ManyToManyField(
        Organisation, verbose_name=_("portfolio"), blank=True, related_name="desk_officers"
    )
    language = models.CharField(
        verbose_name=_("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    time_zone = models.CharField(
        verbose_name=_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    # Secret of the personal iCal feed URL; blank when revoked or never issued. Stored hashed (sha256 hex).
    calendar_token_hash = models.CharField(
        verbose_name=_("calendar token hash"), max_length=64, blank=True, db_index=True
    )
    reminder_digest = models.BooleanField(
        verbose_name=_("reminder digest"),
        default=False,
        help_text=_("One weekly digest instead of single reminder messages."),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"Profile of {self.user}"


# Models kept in modules of their own, registered with this app (partner API keys and webhooks).
