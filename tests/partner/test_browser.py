"""A partner contact on a phone walks from the reminder e-mail through reporting and their reminder settings, in
headless Chromium, with axe-core finding nothing serious on any page (issue 11)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agreements.models import Language
from agreements.roles import Role
from followups.models import AnchorKind, CommitmentOwner, Completion, Reminder, ReminderStatus, Status, StatusUpdate
from followups.reminders.sending import reminders_tick
from tests import factories as f
from tests.browser.conftest import VIEWPORT, assert_accessible, login, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="es-AR", timezone_id="America/Argentina/Buenos_Aires")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def test_a_partner_contact_reports_from_the_email_and_manages_reminders_on_a_phone(phone, live_server, tmp_path):
    argentina = f.OrganisationFactory(ref="ORG-T-AR", name="Argentina")
    contact = f.ContactFactory(
        ref="CON-T-AR", name="Lucía Pérez", organisation=argentina, language=Language.SPANISH, email="lucia@ex.org"
    )
    commitment = f.CommitmentFactory(owners=[argentina], contacts=[contact])
    f.DeadlineFactory(
        commitment=commitment,
        anchor_kind=AnchorKind.FIXED,
        anchor_date=timezone.localdate() + timedelta(days=8),
        offset="",
        title="MoU",
    )
    # The reminders of the next day are due (the tick is told it is tomorrow); links are issued as of now.
    reminders_tick(now=timezone.now() + timedelta(days=1), inline=True)
    [message] = [m for m in mail.outbox if m.to == [contact.email]]
    path = re.search(r"http://127\.0\.0\.1:8000(/partner/report/\S+/)", message.body).group(1)

    phone.goto(f"{live_server.url}{path}")
    phone.get_by_role("heading", name=f"Informar del avance de {commitment.ref}").wait_for()
    assert phone.locator("html").get_attribute("lang") == "es"
    assert "iniciar sesión" not in phone.content().lower()
    phone.screenshot(path=str(screenshot_path("partner-report-es")), full_page=True)
    assert_accessible(phone)

    evidence = tmp_path / "acta.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    phone.get_by_label("Estado de su parte").select_option(Status.COMPLETED)
    phone.get_by_label("Nota").fill("MoU firmado el martes.")
    phone.get_by_label("Enlace de respaldo").fill("https://example.org/mou")
    phone.locator("input[type=file]").set_input_files(str(evidence))
    phone.get_by_role("button", name="Enviar la actualización").click()
    phone.get_by_text("Gracias: su actualización ha quedado registrada.").wait_for()
    phone.get_by_text("Informado como completado, pendiente de verificación").first.wait_for()
    phone.screenshot(path=str(screenshot_path("partner-report-sent-es")), full_page=True)
    assert_accessible(phone)

    update = StatusUpdate.objects.get(commitment=commitment)
    assert update.completion == Completion.REPORTED and update.actor == "contact CON-T-AR (signed link)"
    assert update.evidence_file and update.evidence_url == "https://example.org/mou"
    assert CommitmentOwner.objects.get(commitment=commitment).awaiting_verification

    # The settings link at the foot of the e-mail: stop everything, then undo it.
    prefs = re.search(r"http://127\.0\.0\.1:8000(/partner/preferences/\S+/)", message.body).group(1)
    phone.goto(f"{live_server.url}{prefs}")
    phone.get_by_role("heading", name="Ajustes de sus recordatorios").wait_for()
    assert_accessible(phone)
    phone.get_by_role("button", name="Detener todos mis recordatorios").click()
    phone.get_by_text("Todos los recordatorios están detenidos.").wait_for()
    phone.get_by_role("button", name="Deshacer").first.click()
    phone.get_by_text("Los recordatorios están activos.").wait_for()
    phone.screenshot(path=str(screenshot_path("partner-preferences-es")), full_page=True)
    assert_accessible(phone)
    assert not Reminder.objects.filter(contact=contact, status=ReminderStatus.SENDING).exists()


def test_a_desk_officer_accepts_a_reported_completion_from_the_commitment_page(browser, live_server):
    from config.history import ActorKind
    from followups import services

    argentina = f.OrganisationFactory(ref="ORG-T-AR", name="Argentina")
    contact = f.ContactFactory(ref="CON-T-AR", organisation=argentina, language=Language.SPANISH)
    commitment = f.CommitmentFactory(owners=[argentina], contacts=[contact])
    deadline = f.DeadlineFactory(commitment=commitment)
    desk = f.UserFactory(role=Role.DESK_OFFICER, username="desk-browser")
    f.StaffProfileFactory(user=desk, portfolio=[argentina])
    services.commitment_update_status(  # as the contact's signed link (its door) does
        commitment=commitment,
        status=Status.COMPLETED,
        owner=argentina,
        actor="contact CON-T-AR (signed link)",
        actor_kind=ActorKind.SIGNED_LINK,
    )
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    try:
        login(page, live_server, "desk-browser")
        page.get_by_text("1 commitment reported complete by a partner, awaiting verification").click()
        page.get_by_role("link", name=commitment.ref).first.click()
        page.get_by_role("heading", name="Awaiting verification: Argentina").wait_for()
        page.screenshot(path=str(screenshot_path("staff-claim-awaiting")), full_page=True)
        assert_accessible(page)
        page.get_by_role("button", name="Accept the completion").click()
        page.get_by_text(f"Completion of {commitment.ref} by Argentina accepted.").wait_for()
        assert_accessible(page)
    finally:
        context.close()
    deadline.refresh_from_db()
    assert deadline.completed_on is not None
    # Its deadline (six months after the February signing) had passed on the day it was reported.
    assert CommitmentOwner.objects.get(commitment=commitment).status == Status.COMPLETED_LATE
