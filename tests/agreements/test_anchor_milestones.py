"""A corrected framework date takes the milestone that records it along (issue 12, item 4): after correcting
FW-US-AU's signature the framework no longer shows "Signed 2025-10-27" beside "2025-10-20 ... signed". A milestone
shared with other frameworks keeps its date, and the page says why and where to correct it."""

import re
from datetime import date

import pytest

from agreements.models import Framework, Milestone

pytestmark = pytest.mark.django_db

FORM = {"field": "signed_on", "reason": "date in the signed text"}


def preview(client, ref: str, new_date: str):
    response = client.post(f"/frameworks/{ref}/dates/", {**FORM, "new_date": new_date, "preview": "1"})
    assert response.status_code == 200
    return response


def test_the_signing_milestone_moves_with_the_corrected_signature(ministerial, coordinator_client):
    shown = preview(coordinator_client, "FW-US-AU", "2025-10-27")
    assert [m.ref for m in shown.context["milestones_moving"]] == ["MS-2025-10-20-AU"]
    page = shown.content.decode()
    assert "The milestone MS-2025-10-20-AU (US-Australia framework signed) records this date" in page
    assert "it moves with it to 2025-10-27" in page
    assert Milestone.objects.get(ref="MS-2025-10-20-AU").date == date(2025, 10, 20)  # nothing saved yet

    token = re.search(r'name="previewed" value="([^"]+)"', page).group(1)
    applied = coordinator_client.post(
        "/frameworks/FW-US-AU/dates/", {**FORM, "new_date": "2025-10-27", "confirm": "1", "previewed": token}
    )
    assert applied.status_code == 302
    assert Framework.objects.get(ref="FW-US-AU").signed_on == date(2025, 10, 27)
    assert Milestone.objects.get(ref="MS-2025-10-20-AU").date == date(2025, 10, 27)
    history = Milestone.objects.get(ref="MS-2025-10-20-AU").history.first()
    assert history.history_change_reason.endswith(": date in the signed text")  # who, and the reason typed


def test_a_milestone_shared_with_other_frameworks_keeps_its_date_and_the_page_says_why(ministerial, coordinator_client):
    shown = preview(coordinator_client, "FW-US-MY", "2025-10-27")
    assert shown.context["milestones_moving"] == []
    assert [m.ref for m in shown.context["milestones_kept"]] == ["MS-2025-10-26-KL"]
    page = shown.content.decode()
    assert "keeps 2025-10-26: it also records FW-US-KH, FW-US-TH." in page
    assert 'href="/milestones/MS-2025-10-26-KL/date/"' in page


def test_a_signature_corrected_in_the_admin_moves_its_milestone_too(ministerial, client, data_clerk):
    from django.urls import reverse

    from tests.agreements.test_admin import form_of

    client.force_login(data_clerk)
    url = reverse("admin:agreements_framework_change", args=[Framework.objects.get(ref="FW-US-AU").pk])
    data = form_of(client, url)
    data["signed_on"] = ["2025-08-31"]
    assert client.post(url, data).status_code == 302
    assert Milestone.objects.get(ref="MS-2025-10-20-AU").date == date(2025, 8, 31)
    assert Milestone.objects.get(ref="MS-2025-10-26-KL").date == date(2025, 10, 26)  # another framework's
