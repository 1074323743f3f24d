"""The data clerk's admin, used as a clerk uses it: pages load, forms submit, due dates follow their rule."""

from datetime import date
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from agreements.models import Framework
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
    assert "dependent due date(s) recomputed" in text
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
