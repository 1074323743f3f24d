"""The admin's deadline rule as a clerk enters it: an anchor, a number and a unit, "repeat every", a preview of
the next due dates, and a reference proposed from the convention. It saves what the loader saves."""

from datetime import date

import pytest
from django.urls import reverse

from agreements.models import Framework
from followups.models import Commitment, Deadline
from tests.agreements.test_admin import form_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(ministerial, client, data_clerk):
    """A data clerk in the admin, on the dataset as the loader loaded it."""
    client.force_login(data_clerk)
    return client


# What makes two deadlines the same rule (and the same dates).
RULE = ["anchor_kind", "anchor_framework_id", "anchor_date", "anchor_estimated", "offset", "recurrence"]
DATES = ["original_due_on", "due_on"]


def rule_of(deadline: Deadline) -> dict:
    return {field: getattr(deadline, field) for field in RULE + DATES}


def six_months_after_us_au(**extra) -> dict:
    return {
        "anchor_kind": "framework_signed",
        "anchor_framework": str(Framework.objects.get(ref="FW-US-AU").pk),
        "offset_0": "6",
        "offset_1": "months",
        **extra,
    }


def add_deadline(client, commitment: Commitment, **entered):
    """Post the add form as the browser would: what the page offers (its reference proposed), and the rule."""
    add = reverse("admin:followups_deadline_add")
    data = form_of(client, f"{add}?commitment={commitment.pk}")
    data.update({key: [value] for key, value in entered.items()})
    return client.post(add, data)


def preview(client, **params) -> dict:
    response = client.get(reverse("admin:followups_deadline_rule_preview"), params)
    assert response.status_code == 200
    return response.json()


def test_six_months_after_the_us_au_signature_previews_and_saves_the_loaders_rule(clerk_client):
    loaded = Deadline.objects.get(ref="DL-AU-01")  # the loader's: framework_signed FW-US-AU + P6M
    data = preview(clerk_client, **six_months_after_us_au())
    assert data["errors"] == {}
    assert [d["iso"] for d in data["dates"]] == ["2026-04-20"]
    assert data["dates"][0]["text"] == "20 April 2026"
    assert data["rule"] == "6 months after the signature of FW-US-AU (20 October 2025)"

    commitment = Commitment.objects.get(ref="CMT-AU-01")
    page = form_of(clerk_client, f"{reverse('admin:followups_deadline_add')}?commitment={commitment.pk}")
    assert page["ref"] == ["DL-AU-01-2"]  # DL-AU-01 is taken: the next reference by the convention
    response = add_deadline(clerk_client, commitment, basis="text", **six_months_after_us_au())
    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Deadline.objects.get(ref="DL-AU-01-2")
    assert rule_of(saved) == rule_of(loaded)
    assert (saved.offset, saved.recurrence, saved.due_on) == ("P6M", "", date(2026, 4, 20))


def test_the_change_form_shows_the_stored_rule_as_a_number_and_a_unit(clerk_client):
    deadline = Deadline.objects.get(ref="DL-AU-01")
    data = form_of(clerk_client, reverse("admin:followups_deadline_change", args=[deadline.pk]))
    assert (data["offset_0"], data["offset_1"]) == (["6"], ["months"])
    assert "offset" not in data and data["recurrence_0"] == [""]  # no ISO box; "repeat every" left empty
    page = clerk_client.get(reverse("admin:followups_deadline_change", args=[deadline.pk])).content.decode()
    assert '<time datetime="2026-04-20">20 April 2026</time>' in page  # the preview, before any change


def test_repeat_every_three_months_is_stored_as_the_loaders_rrule(clerk_client):
    data = preview(clerk_client, **six_months_after_us_au(recurrence_0="3", recurrence_1="months"))
    assert [d["iso"] for d in data["dates"]] == ["2026-04-20", "2026-07-20", "2026-10-20"]
    assert data["rule"].endswith("then every 3 months")
    commitment = Commitment.objects.get(ref="CMT-AU-03")
    add_deadline(clerk_client, commitment, **six_months_after_us_au(recurrence_0="3", recurrence_1="months"))
    saved = Deadline.objects.get(commitment=commitment, ref__startswith="DL-AU-03")
    assert (saved.offset, saved.recurrence) == ("P6M", "FREQ=MONTHLY;INTERVAL=3")


@pytest.mark.parametrize(
    ("entered", "field", "message"),
    [
        ({"offset_0": "0"}, "offset", "Enter a number of 1 or more (0 was entered)."),
        ({"offset_0": "-3"}, "offset", "Enter a number of 1 or more (-3 was entered)."),
        ({"offset_1": ""}, "offset", "Choose days, weeks, months or years."),
        ({"offset_0": "six"}, "offset", "Enter a whole number, such as 6."),
        ({"offset_0": ""}, "offset", "Enter how many months."),
        ({"recurrence_0": "0", "recurrence_1": "months"}, "recurrence", "Enter a number of 1 or more (0 was entered)."),
        ({"recurrence_0": "2"}, "recurrence", "Choose days, weeks, months or years."),
    ],
)
def test_a_bad_number_or_a_missing_unit_is_said_beside_its_field(clerk_client, entered, field, message):
    label = {"offset": "Due after the anchor", "recurrence": "Repeat every"}[field]
    assert preview(clerk_client, **six_months_after_us_au(**entered))["errors"] == {field: [message]}
    response = add_deadline(clerk_client, Commitment.objects.get(ref="CMT-AU-01"), **six_months_after_us_au(**entered))
    assert response.status_code == 200  # the form again, nothing saved
    assert response.context["adminform"].form.errors == {field: [message]}
    # Summed up at the top too, with a link to the number box.
    assert response.context["error_summary"] == [{"target": f"id_{field}_0", "label": label, "message": message}]
    assert not Deadline.objects.filter(ref="DL-AU-01-2").exists()


def test_an_anchor_without_a_date_is_said_beside_the_anchor(clerk_client):
    draft = Framework.objects.get(ref="FW-DRAFT-FACMSP")  # not signed
    data = preview(clerk_client, **six_months_after_us_au(anchor_framework=str(draft.pk)))
    assert list(data["errors"]) == ["anchor_framework"]
    assert "This rule gives no due date" in data["errors"]["anchor_framework"][0]
    assert "has no date yet" in data["errors"]["anchor_framework"][0]
    missing = preview(clerk_client, **six_months_after_us_au(anchor_framework=""))
    assert missing["errors"] == {"anchor_framework": ["Required when the anchor is 'Framework signed'."]}


def test_the_reference_is_proposed_under_a_commitment_and_filled_in_when_left_empty(clerk_client):
    commitment = Commitment.objects.get(ref="CMT-AU-02")
    url = reverse("admin:followups_commitment_change", args=[commitment.pk])
    assert form_of(clerk_client, url)["deadlines-__prefix__-ref"] == ["DL-AU-02-2"]  # "Add another Deadline"
    page = clerk_client.get(url).content.decode()
    assert "the usual reference: DL- and the commitment" in page  # the hint beside the field


def test_the_preview_is_for_staff_only(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("admin:followups_deadline_rule_preview"), {"anchor_kind": "fixed"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
