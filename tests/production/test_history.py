"""History on the records people change, each entry with the kind of actor: a user, a partner key, a loader run
or a system task; the admin's history list names it instead of "None"."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.test import Client

from agreements.models import Contact, Organisation
from agreements.partner_access import api_key_issue
from agreements.roles import Role
from config.history import actor_of
from followups import services
from followups.models import ContactReminderPreference, Status, WebhookEndpoint
from tests.factories import CommitmentFactory, ContactFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def superuser_client() -> tuple[Client, object]:
    user = UserFactory(is_staff=True, is_superuser=True, first_name="Ada", last_name="Clerk")
    client = Client()
    client.force_login(user)
    return client, user


def test_a_change_in_the_admin_is_recorded_with_the_user():
    client, user = superuser_client()
    contact = ContactFactory(name="Old Name")
    data = {k: ("" if v is None else v) for k, v in model_to_dict(contact).items()}
    data["name"] = "New Name"

    answer = client.post(f"/admin/agreements/contact/{contact.pk}/change/", data)

    assert answer.status_code == 302, answer.content.decode()[:2000]
    latest = contact.history.latest()
    assert latest.name == "New Name"
    assert actor_of(latest) == ("user", "Ada Clerk")
    page = client.get(f"/admin/agreements/contact/{contact.pk}/history/").content.decode()
    assert "<strong>User</strong>: Ada Clerk" in page


def test_a_partner_key_is_recorded_as_such_and_shown_so_in_the_admin():
    organisation = OrganisationFactory(ref="ORG-HIS")
    commitment = CommitmentFactory(owners=[organisation])
    api_key, raw = api_key_issue(organisation=organisation, name="erp sync")
    partner = Client(headers={"Authorization": f"Bearer {raw}"})

    hook = partner.post(
        "/api/v1/webhooks/",
        json.dumps({"url": "https://hooks.example.org/t", "events": ["commitment.status_changed"]}),
        content_type="application/json",
    )
    assert hook.status_code == 201, hook.content
    endpoint = WebhookEndpoint.objects.get(organisation=organisation)
    kind, label = actor_of(endpoint.history.latest())
    assert kind == "partner_key" and organisation.ref in label
    assert "secret" not in {f.name for f in endpoint.history.model._meta.fields}  # never copied into history

    update = partner.post(
        "/api/v1/status-updates/",
        json.dumps({"commitment": commitment.ref, "status": Status.IN_PROGRESS, "note": "Started."}),
        content_type="application/json",
    )
    assert update.status_code == 201, update.content
    assert actor_of(commitment.history.latest())[0] == "partner_key"
    client, _ = superuser_client()
    page = client.get(f"/admin/followups/commitment/{commitment.pk}/history/").content.decode()
    assert "<strong>Partner key</strong>" in page
    assert ">None<" not in page.replace(" ", "").replace("\n", "")


def test_the_loader_and_system_tasks_are_recorded_as_such():
    organisation = Organisation(ref="ORG-LOADED", name="Loaded", kind="country", iso_alpha2="ZZ")
    services.save_with_history(organisation, by_user=None, actor="load_ministerial")  # what the loader calls
    assert actor_of(organisation.history.latest()) == ("loader", "load_ministerial")

    contact = ContactFactory()
    preference = ContactReminderPreference.objects.create(contact=contact, digest=True)  # a task, no request
    assert actor_of(preference.history.latest()) == ("system", "")


def test_roles_given_to_a_user_are_in_the_users_history():
    client, _ = superuser_client()
    desk = UserFactory()
    group, _ = Group.objects.get_or_create(name=Role.DESK_OFFICER.value)

    desk.groups.add(group)

    records = desk.history.order_by("history_date")
    assert [g.group_id for g in records.last().groups.all()] == [group.pk]
    assert "password" not in {f.name for f in desk.history.model._meta.fields}


def test_every_record_a_person_changes_has_history():
    from agreements.models import ApiKey, Membership, WorkingGroup, WorkingGroupMember
    from followups.models import Project, ReminderPolicy

    for model in (
        Organisation,
        Contact,
        Membership,
        WorkingGroup,
        WorkingGroupMember,
        ApiKey,
        Project,
        ReminderPolicy,
        ContactReminderPreference,
        WebhookEndpoint,
    ):
        assert hasattr(model, "history"), model.__name__


def test_coordinators_see_all_activity_filtered_by_actor_record_and_date():
    organisation = OrganisationFactory(ref="ORG-ACT", name="Activity Land")
    commitment = CommitmentFactory(owners=[organisation])
    raw = api_key_issue(organisation=organisation, name="erp")[1]
    Client(headers={"Authorization": f"Bearer {raw}"}).post(
        "/api/v1/status-updates/",
        json.dumps({"commitment": commitment.ref, "status": Status.IN_PROGRESS, "note": "Started."}),
        content_type="application/json",
    )
    staff = UserFactory(role=Role.COORDINATOR)
    ContactFactory(name="Zoe Contact")  # no request: a system task
    coordinator = Client()
    coordinator.force_login(staff)

    everything = coordinator.get("/activity/").content.decode()
    assert "Partner key" in everything and "System task" in everything and "Zoe Contact" in everything

    keys_only = coordinator.get("/activity/", {"actor_kind": "partner_key"}).content.decode()
    assert commitment.ref in keys_only and "Zoe Contact" not in keys_only
    contacts = coordinator.get("/activity/", {"record_type": "agreements.contact"}).content.decode()
    assert "Zoe Contact" in contacts and commitment.ref not in contacts
    future = coordinator.get("/activity/", {"since": "2099-01-01"}).content.decode()
    assert "No change matches this filter." in future

    desk = Client()
    desk.force_login(UserFactory(role=Role.DESK_OFFICER))
    assert desk.get("/activity/").status_code == 403
    assert Client().get("/activity/").status_code == 302


def test_a_change_through_a_signed_link_is_recorded_with_the_contact():
    from urllib.parse import urlparse

    from followups.partner_links.links import partner_link_urls

    contact = ContactFactory(name="Lina Contact")
    commitment = CommitmentFactory(owners=[contact.organisation])
    _reports, preferences = partner_link_urls(contact=contact, commitments=[commitment])

    answer = Client().post(urlparse(preferences).path + "unsubscribe/")

    assert answer.status_code in (200, 302), answer.content[:300]
    preference = ContactReminderPreference.objects.get(contact=contact)
    assert preference.muted
    kind, label = actor_of(preference.history.latest())
    assert kind == "signed_link" and contact.ref in label


def test_a_loader_run_is_recorded_as_such():
    from django.core.management import call_command

    call_command("load_ministerial", verbosity=0)

    loaded = Organisation.objects.order_by("pk").first()
    assert actor_of(loaded.history.earliest())[0] == "loader"
    from agreements.models import WorkingGroup

    groups = WorkingGroup.history.all()
    assert groups.exists() and {actor_of(record)[0] for record in groups} == {"loader"}
