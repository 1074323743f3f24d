"""The data clerk's admin, used as a clerk uses it: pages load, forms submit, due dates follow their rule."""

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from agreements.models import Framework, Organisation
from agreements.roles import Role, role_groups_ensure
from followups.models import Commitment, Deadline

pytestmark = pytest.mark.django_db


class _FormFields(HTMLParser):
    """The values a browser would submit from the admin's change form."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.setdefault(name, []).append(a.get("value", "on"))
            else:
                self.fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][0] += data


def form_of(client, url: str) -> dict[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    parser = _FormFields()
    parser.feed(response.content.decode())
    return {k: v for k, v in parser.fields.items() if v}


@pytest.fixture
def clerk_client(ministerial, db, client):
    groups = role_groups_ensure()
    clerk = get_user_model().objects.create_user("clerk-admin", password="pw-for-tests-1", is_staff=True)
    clerk.groups.add(groups[Role.DATA_CLERK])
    client.force_login(clerk)
    client.user = clerk
    return client


def test_every_model_has_a_working_list_and_add_page(clerk_client):
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("agreements", "followups"):
            continue
        opts = model._meta
        listing = clerk_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        if opts.label == "agreements.SecurityEvent":
            assert listing.status_code == 403  # the security records are for coordinators only
            continue
        assert listing.status_code == 200, opts.label
        if model_admin.search_fields:
            assert clerk_client.get(listing.request["PATH_INFO"], {"q": "AU"}).status_code == 200, opts.label
        if model_admin.has_add_permission(listing.wsgi_request):
            assert clerk_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200


def test_the_commitment_page_shows_owners_deadlines_and_the_computed_due_date(clerk_client):
    commitment = Commitment.objects.get(ref="CMT-AU-01")
    page = clerk_client.get(reverse("admin:followups_commitment_change", args=[commitment.pk])).content.decode()
    assert "2026-04-20" in page  # the computed due date ...
    assert "Framework signed FW-US-AU (2025-10-20) + P6M" in page  # ... beside its rule
    assert "Australia" in page and "United States" in page


def test_correcting_a_signature_date_in_the_admin_moves_the_due_dates_and_says_so(clerk_client):
    australia = Framework.objects.get(ref="FW-US-AU")
    url = reverse("admin:agreements_framework_change", args=[australia.pk])
    data = form_of(clerk_client, url)
    data["signed_on"] = ["2025-08-31"]
    response = clerk_client.post(url, data, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "dependent due dates recomputed" in text
    assert "DL-AU-01: 2026-04-20 → 2026-02-28" in text
    assert Deadline.objects.get(ref="DL-AU-01").due_on == date(2026, 2, 28)
    history = clerk_client.get(
        reverse("admin:followups_deadline_history", args=[Deadline.objects.get(ref="DL-AU-01").pk])
    )
    assert "clerk-admin" in history.content.decode()


def test_a_deadline_rule_that_gives_no_date_is_a_form_error(clerk_client):
    deadline = Deadline.objects.get(ref="DL-AU-01")
    url = reverse("admin:followups_deadline_change", args=[deadline.pk])
    data = form_of(clerk_client, url)
    data["offset_0"] = ["six"]  # the rule is a number and a unit (tests/followups/test_admin_rule.py)
    response = clerk_client.post(url, data)
    assert response.status_code == 200
    assert "Enter a whole number, such as 6." in response.content.decode()
    data["offset_0"] = ["6"]
    data["anchor_kind"] = ["fixed"]
    data["anchor_date"] = [""]
    response = clerk_client.post(url, data)
    assert "Required when the anchor is" in response.content.decode()
    deadline.refresh_from_db()
    assert (deadline.anchor_kind, deadline.offset, deadline.due_on) == ("framework_signed", "P6M", date(2026, 4, 20))


def test_a_deadline_added_under_a_commitment_gets_its_due_date(clerk_client):
    commitment = Commitment.objects.get(ref="CMT-AU-02")
    url = reverse("admin:followups_commitment_change", args=[commitment.pk])
    data = form_of(clerk_client, url)
    prefix = "deadlines"
    total = int(data[f"{prefix}-TOTAL_FORMS"][0])
    new = f"{prefix}-{total}"
    data[f"{prefix}-TOTAL_FORMS"] = [str(total + 1)]
    data.update(
        {
            f"{new}-ref": [""],  # left empty: the convention's DL-AU-02-2 (DL-AU-02 is taken)
            f"{new}-anchor_kind": ["fixed"],
            f"{new}-anchor_date": ["2026-01-31"],
            f"{new}-offset_0": ["1"],
            f"{new}-offset_1": ["months"],
        }
    )
    response = clerk_client.post(url, data, follow=True)
    assert response.status_code == 200, response.content.decode()[:500]
    added = Deadline.objects.get(ref="DL-AU-02-2")
    assert (added.offset, added.due_on) == ("P1M", date(2026, 2, 28))


def test_a_status_changed_in_the_admin_is_on_the_timeline_with_its_author(clerk_client):
    commitment = Commitment.objects.get(ref="CMT-AU-02")
    url = reverse("admin:followups_commitment_change", args=[commitment.pk])
    data = form_of(clerk_client, url)
    data["status"] = ["at_risk"]
    clerk_client.post(url, data, follow=True)
    commitment.refresh_from_db()
    assert commitment.status == "at_risk"
    update = commitment.status_updates.get()
    assert (update.new_status, update.by_user.username) == ("at_risk", "clerk-admin")
    assert (
        "clerk-admin"
        in clerk_client.get(reverse("admin:followups_commitment_history", args=[commitment.pk])).content.decode()
    )


def test_a_contact_assigned_in_the_admin_gets_the_commitments_reminders(clerk_client):
    from agreements.models import Contact
    from followups.models import Reminder, ReminderStatus

    commitment = Commitment.objects.get(ref="CMT-CD-05")  # due in December 2028: its reminders are all ahead
    contact = Contact.objects.create(
        ref="CON-TEST-01",
        name="A. Tester",
        email="a.tester@example.org",
        organisation=commitment.framework.parties.first().organisation,
    )
    url = reverse("admin:followups_commitment_change", args=[commitment.pk])
    data = form_of(clerk_client, url)
    data["contacts"] = [str(contact.pk)]
    clerk_client.post(url, data, follow=True)
    assert Reminder.objects.filter(contact=contact, status=ReminderStatus.PENDING).exists()

    # Taken off again: the pending ones are cancelled, not left to go out.
    data["contacts"] = []
    clerk_client.post(url, data, follow=True)
    assert not Reminder.objects.filter(contact=contact, status=ReminderStatus.PENDING).exists()


def _in(client, language: str):
    client.cookies["django_language"] = language
    return client


def test_illustrative_fields_are_boxes_to_tick_and_an_unchanged_save_keeps_the_same_json(clerk_client):
    australia = Organisation.objects.get(ref="ORG-AU")
    assert australia.illustrative_fields == ["forge_membership"]
    url = reverse("admin:agreements_organisation_change", args=[australia.pk])
    data = form_of(clerk_client, url)
    assert data["illustrative_fields"] == ["forge_membership"]  # a ticked box, not the text ["forge_membership"]
    page = clerk_client.get(url).content.decode()
    assert 'type="checkbox" name="illustrative_fields" value="notes"' in page  # the record's own fields to tick
    assert "[&quot;forge_membership&quot;]" not in page

    assert clerk_client.post(url, data).status_code == 302
    australia.refresh_from_db()
    assert australia.illustrative_fields == ["forge_membership"]

    data["illustrative_fields"] = ["notes", "forge_membership"]
    assert clerk_client.post(url, data).status_code == 302
    australia.refresh_from_db()
    assert australia.illustrative_fields == ["forge_membership", "notes"]  # the stored order first

    data["illustrative_fields"] = ["forge_membership", "capital_city"]
    response = clerk_client.post(url, data)
    assert response.status_code == 200
    assert "“capital_city” is not a field of this record: tick only the fields listed." in response.content.decode()
    australia.refresh_from_db()
    assert australia.illustrative_fields == ["forge_membership", "notes"]


def test_an_empty_list_of_illustrative_fields_saves_as_an_empty_list(clerk_client):
    commitment = Commitment.objects.get(ref="CMT-AU-01")
    assert commitment.illustrative_fields == []
    url = reverse("admin:followups_commitment_change", args=[commitment.pk])
    assert clerk_client.post(url, form_of(clerk_client, url)).status_code == 302
    commitment.refresh_from_db()
    assert commitment.illustrative_fields == []


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_admin_dates_are_written_as_on_the_staff_pages(clerk_client, language):
    _in(clerk_client, language)
    frameworks = clerk_client.get(reverse("admin:agreements_framework_changelist"), {"q": "FW-US-AU"})
    assert "2025-10-20" in frameworks.content.decode()  # signed on, not "Oct. 20, 2025" or "20 octobre 2025"
    deadline = Deadline.objects.get(ref="DL-AU-01")
    page = clerk_client.get(reverse("admin:followups_deadline_change", args=[deadline.pk])).content.decode()
    assert "<strong>2026-04-20</strong> = " in page  # the computed due date
    assert re.search(r'<div class="readonly">\d{4}-\d\d-\d\d \d\d:\d\d</div>', page)  # updated at


@pytest.mark.parametrize(
    ("language", "words", "english"),
    [
        ("es", ["Fecha límite calculada", "vencido", "Próximo vencimiento"], ["computed due date", ">overdue<"]),
        ("fr", ["Échéance calculée", "dépassée", "Prochaine échéance"], ["computed due date", ">overdue<"]),
    ],
)
def test_the_admins_own_labels_are_in_the_clerks_language(clerk_client, language, words, english):
    _in(clerk_client, language)
    overdue = next(d for d in Deadline.objects.select_related("commitment") if d.is_overdue())
    page = clerk_client.get(reverse("admin:followups_deadline_change", args=[overdue.pk])).content.decode()
    commitments = clerk_client.get(reverse("admin:followups_commitment_changelist")).content.decode()
    for word in words:
        assert word in page + commitments, word
    for word in english:
        assert word not in page, word


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("en", "One thing to correct before saving"),
        ("es", "Una cosa que corregir antes de guardar"),
        ("fr", "1 point à corriger avant d’enregistrer"),
    ],
)
def test_a_form_with_errors_says_so_first_in_a_heading_read_aloud(clerk_client, language, heading):
    commitment = Commitment.objects.get(ref="CMT-AU-01")
    url = reverse("admin:followups_commitment_change", args=[commitment.pk])
    data = form_of(clerk_client, url)
    data["title"] = [""]
    page = _in(clerk_client, language).post(url, data).content.decode()
    summary = page[page.index('id="error-summary"') - 60 :]
    assert 'role="alert"' in summary[:200]
    assert f'<h2 id="error-summary-title">{heading}</h2>' in summary
    assert summary.index("error-summary-title") < summary.index('href="#id_title"')


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("es", ["Último error", "Destinatario", "Reenviar los"]),
        ("fr", ["Dernière erreur", "Destinataire", "Renvoyer les"]),
    ],
)
def test_the_outbox_pages_are_in_the_clerks_language(clerk_client, language, words):
    from agreements.models import Contact

    commitment = Commitment.objects.get(ref="CMT-CD-05")  # a contact assigned in the admin: reminders planned
    contact = Contact.objects.create(
        ref="CON-TEST-02",
        name="B. Tester",
        email="b.tester@example.org",
        organisation=commitment.framework.parties.first().organisation,
    )
    url = reverse("admin:followups_commitment_change", args=[commitment.pk])
    data = form_of(clerk_client, url)
    data["contacts"] = [str(contact.pk)]
    clerk_client.post(url, data, follow=True)
    page = _in(clerk_client, language).get(reverse("admin:followups_reminder_changelist")).content.decode()
    for word in words:
        assert word in page, word
    assert "last error" not in page.lower() and "Resend the selected" not in page
