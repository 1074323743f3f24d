"""People: the points of contact who receive reminders, and staff profiles (language, time zone, preferences)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from agreements.models.organisations import Organisation
from agreements.models.sources import ref_validator, validate_time_zone
from config.history import TrackedHistory


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Español"
    FRENCH = "fr", "Français"


class Contact(models.Model):
    """A person at an organisation: a point of contact who gets reminders, optionally with a staff login."""

    ref = models.CharField(max_length=40, unique=True, validators=[ref_validator])
    name = models.CharField(max_length=200)
    email = models.EmailField()
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="contacts")
    title = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contact"
    )
    is_active = models.BooleanField(default=True)
    illustrative = models.BooleanField(default=False, help_text=_("A made-up demo contact."))

    history = TrackedHistory()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "email"], name="contact_email_unique_per_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class StaffProfile(models.Model):
    """A staff user's preferences and desk officer's portfolio (the countries and bodies they follow)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    portfolio = models.ManyToManyField(Organisation, blank=True, related_name="desk_officers")
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Secret of the personal iCal feed URL; blank when revoked or never issued. Stored hashed (sha256 hex).
    calendar_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    reminder_digest = models.BooleanField(
        default=False, help_text=_("One weekly digest instead of single reminder messages.")
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"


# Models kept in modules of their own, registered with this app (partner API keys and webhooks).
