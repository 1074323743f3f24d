"""Every staff page in Spanish and French shows none of the app's own English labels (issue 12): the words come
from the catalogue, not from the code. (The records' own titles are data and stay as entered.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from agreements.roles import Role
from followups.models import ReminderAcknowledgement, Status
from followups.services import commitment_update_status

pytestmark = pytest.mark.django_db

# The app's labels, as an English reader sees them on these pages; none may appear in es or fr.
ENGLISH_LABELS = [
    "Overdue",
    "What is due",
    "Next deadlines",
    "Deadlines per month",
    "Status of commitments by framework",
    "Show the figures as a table",
    "Open, not yet due",
    "Completed or cancelled",
    "Apply filters",
    "Show filters",
    "Hide filters",
    "Rows per page",
    "Status change",
    "added a note",
    "changed the status",
    "recorded commitment",
    "recorded deadline",
    "changed deadline",
    "acknowledged the reminder",
    "Data loader",
    "The tracker",
    "due date",
    "months after",
    "after the signature",
    "Timeline across frameworks",
    "Still open from earlier months",
    "The next deadline",
    "See every overdue deadline",
    "Deadlines by month",
    "Extended to",
    "Reason:",
    "sourced",
    "Any",
    "Late by",
    "Not started",
    "In progress",
    "Coordinator",
]


class _Text(HTMLParser):
    """The text a reader sees, and the tooltips (title attributes) except the rules' ISO form."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


@pytest.fixture
def pages(make_user, commitment_factory):
    casey = make_user("casey", Role.COORDINATOR)
    late = commitment_factory(due_in=-40, status=Status.IN_PROGRESS, title="Lorem ipsum dolor")
    anchored = commitment_factory(anchored=True, title="Sit amet consectetur")
    commitment_update_status(commitment=late, status=Status.AT_RISK, note="Nota", by_user=casey)
    commitment_update_status(commitment=late, status=Status.AT_RISK, note="Nota 2", by_user=casey)
    ReminderAcknowledgement.objects.create(commitment=late, user=casey)
    return casey, [
        "/",
        "/commitments/",
        "/commitments/?framework=FW-NOPE",
        f"/commitments/{late.ref}/",
        f"/commitments/{anchored.ref}/",
        "/deadlines/",
        "/calendar/",
        "/calendar/timeline/",
        "/frameworks/",
        "/accounts/profile/",
    ]


@pytest.mark.parametrize("language", ["es", "fr"])
def test_no_english_label_on_staff_pages(client, pages, language):
    user, urls = pages
    client.force_login(user)
    found = []
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        for label in ENGLISH_LABELS:
            if re.search(rf"(?<![\w-]){re.escape(label)}(?![\w-])", text):
                found.append(f"{url}: {label!r}")
    assert not found, "\n".join(found)


def test_the_same_pages_in_english_do_show_the_labels(client, pages):
    """The check above can fail: in English, the labels are there."""
    user, urls = pages
    client.force_login(user)
    text = " ".join(visible_text(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()) for url in urls)
    missing = [label for label in ENGLISH_LABELS if label not in text]
    assert len(missing) < len(ENGLISH_LABELS) / 4, missing
