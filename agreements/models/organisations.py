"""Governments, agencies, banks and companies, and their membership of frameworks (with its state)."""

from __future__ import annotations

from typing import Self

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agreements.models.frameworks import Party, WorkingGroupMember, framework_ids_visible_to
from agreements.models.memberships import Membership, MembershipState
from agreements.models.sources import Sourced, ref_validator
from config.history import TrackedHistory


class OrganisationKind(models.TextChoices):
    COUNTRY = "country", _("Country")
    SUPRANATIONAL_BODY = "supranational_body", _("Supranational body")
    GOVERNMENT_AGENCY = "government_agency", _("Government agency")
    MINISTRY = "ministry", _("Ministry")
    PLURILATERAL_FORUM = "plurilateral_forum", _("Plurilateral forum")
    PLURILATERAL_PARTNERSHIP = "plurilateral_partnership", _("Plurilateral partnership")
    MULTILATERAL_INITIATIVE = "multilateral_initiative", _("Multilateral initiative")
    FINANCE_NETWORK = "finance_network", _("Finance network")
    INTERNATIONAL_ORGANISATION = "international_organisation", _("International organisation")
    EXPORT_CREDIT_AGENCY = "export_credit_agency", _("Export-credit agency")
    DEVELOPMENT_FINANCE_INSTITUTION = "development_finance_institution", _("Development-finance institution")
    COMPANY = "company", _("Company")


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def countries(self) -> Self:
        return self.filter(kind=OrganisationKind.COUNTRY)

    def active(self) -> Self:
        return self.filter(is_active=True)

    def visible_to(self, organisation: Organisation | None) -> Self:
        """What a partner organisation may read (None: staff, everything): itself, the bodies it belongs to, the
        parties and working-group members of the frameworks it can see, and its co-owners of commitments."""
        if organisation is None:
            return self.all()
        frameworks = framework_ids_visible_to(organisation)
        return self.filter(
            Q(pk=organisation.pk)
            | Q(
                pk__in=Membership.objects.filter(
                    member=organisation, state=MembershipState.CONFIRMED, illustrative=False
                ).values("body")
            )
            | Q(pk__in=Party.objects.filter(framework__in=frameworks).values("organisation"))
            | Q(
                pk__in=WorkingGroupMember.objects.filter(working_group__framework__in=frameworks).values("organisation")
            )
            | Q(
                pk__in=self.model.objects.filter(ownerships__commitment__ownerships__organisation=organisation).values(
                    "pk"
                )
            )
        )


class Organisation(Sourced):
    """A country (by ISO 3166-1 alpha-2 code) or a body: a ministry, an agency, a forum, a finance network."""

    ref = models.CharField(verbose_name=_("ref"), max_length=40, unique=True, validators=[ref_validator])
    name = models.CharField(verbose_name=_("name"), max_length=200)
    kind = models.CharField(verbose_name=_("kind"), max_length=40, choices=OrganisationKind.choices)
    iso_alpha2 = models.CharField(
        _("ISO 3166-1 alpha-2"),
        max_length=2,
        null=True,
        blank=True,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Two capital letters, such as AR."))],
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("e.g. a ministry's country"),
    )
    # Bodies an organisation belongs to (MSP partners, FORGE members): a partner sees the frameworks its
    # bodies are party to.
    member_of = models.ManyToManyField(
        "self", verbose_name=_("member of"), through="Membership", symmetrical=False, related_name="members", blank=True
    )
    roles = models.JSONField(
        verbose_name=_("roles"), default=list, blank=True, help_text=_("Roles as of the dataset's status date.")
    )
    roles_later = models.JSONField(
        verbose_name=_("roles later"), default=list, blank=True, help_text=_("Roles acquired after that date.")
    )
    delegation_head = models.CharField(_("ministerial delegation head"), max_length=200, blank=True)
    notes = models.TextField(verbose_name=_("notes"), blank=True)
    is_active = models.BooleanField(
        verbose_name=_("is active"), default=True, help_text=_("Inactive organisations' API keys stop working.")
    )

    objects = OrganisationQuerySet.as_manager()

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="country") | Q(iso_alpha2__isnull=False),
                name="organisation_country_has_iso_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name
