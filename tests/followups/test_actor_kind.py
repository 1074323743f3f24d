"""Who made a timeline entry is a kind set by the door (StatusUpdate.actor_kind), not read back from its words:
partners see a partner's key or link by name and everyone else as the coordinating office; the data migration gives
existing entries the kind their label had under the old rule."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from agreements.roles import Role
from config.history import ActorKind
from followups import services
from followups.models import InboundReply, Status, StatusUpdate
from followups.partner_links.inbound import inbound_reply_accept
from tests import factories as f


def _updates(user):
    """One entry per door, as each door records it."""
    argentina = f.OrganisationFactory(ref="ORG-T-AR", name="Argentina")
    peru = f.OrganisationFactory(ref="ORG-T-PE", name="Peru")
    commitment = f.CommitmentFactory(owners=[argentina, peru])

    def update(**kwargs):
        return services.commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, **kwargs)

    return (
        commitment,
        argentina,
        peru,
        {
            "staff": update(by_user=user, owner=argentina),
            "key": update(owner=argentina, actor="API key 'sync' of ORG-T-AR", actor_kind=ActorKind.PARTNER_KEY),
            "link": update(owner=peru, actor="contact CON-T-PE (signed link)", actor_kind=ActorKind.SIGNED_LINK),
            "loader": update(actor="load_ministerial", actor_kind=ActorKind.LOADER),
            "system": update(actor="review schedule"),
        },
    )


@pytest.mark.django_db
def test_partners_see_a_partners_key_or_link_by_name_and_anyone_else_as_the_coordinating_office():
    user = f.UserFactory(username="clerk", first_name="Chris", last_name="Clerk")
    _commitment, argentina, peru, updates = _updates(user)
    kinds = {name: u.actor_kind for name, u in updates.items()}
    assert kinds == {
        "staff": ActorKind.USER,
        "key": ActorKind.PARTNER_KEY,
        "link": ActorKind.SIGNED_LINK,
        "loader": ActorKind.LOADER,
        "system": ActorKind.SYSTEM,
    }
    seen_by_argentina = {name: u.actor_shown_to(argentina.pk) for name, u in updates.items()}
    assert seen_by_argentina == {
        "staff": "Coordinating office",
        "key": "API key 'sync' of ORG-T-AR",
        "link": "Peru",
        "loader": "Coordinating office",
        "system": "Coordinating office",
    }
    assert updates["link"].actor_shown_to(peru.pk) == "contact CON-T-PE (signed link)"
    assert updates["staff"].actor_shown_to(None) == "user clerk"  # staff see it as recorded


@pytest.mark.django_db
def test_words_that_look_like_a_partners_make_no_partner_without_a_partner_door():
    owner = f.OrganisationFactory(ref="ORG-T-AR", name="Argentina")
    commitment = f.CommitmentFactory(owners=[owner])
    # A system task whose label happens to read like a key's: recorded as the system, and its "completed" is a
    # real completion, not a partner's claim awaiting verification.
    update = services.commitment_update_status(
        commitment=commitment, status=Status.COMPLETED, owner=owner, actor="API key lookalike"
    )
    assert update.actor_kind == ActorKind.SYSTEM and update.completion == ""
    assert update.actor_shown_to(owner.pk) == "Coordinating office"
    assert commitment.ownerships.get().status == Status.COMPLETED


@pytest.mark.django_db
def test_an_accepted_e_mail_reply_is_the_contacts_signed_link():
    contact = f.ContactFactory(ref="CON-T-AR")
    commitment = f.CommitmentFactory(owners=[contact.organisation], contacts=[contact])
    reviewer = f.UserFactory(role=Role.COORDINATOR)
    # As the mail server's pipe keeps it (followups.partner_links.inbound), awaiting review.
    reply = InboundReply.objects.create(
        contact=contact, commitment=commitment, message_id="<r1@example.org>", from_address=contact.email, text="Ok"
    )
    update = inbound_reply_accept(reply=reply, by_user=reviewer)
    assert update.actor_kind == ActorKind.SIGNED_LINK
    assert update.actor_shown_to(contact.organisation.pk) == f"contact {contact.ref} (e-mail reply)"


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_gives_existing_entries_the_kind_their_label_had():
    user = f.UserFactory(username="gone")
    commitment, argentina, _peru, updates = _updates(user)
    reply_contact = f.ContactFactory(ref="CON-T-AR", organisation=argentina)
    updates["reply"] = StatusUpdate.objects.create(
        commitment=commitment,
        owner=argentina,
        new_status=Status.IN_PROGRESS,
        happened_on=updates["staff"].happened_on,
        actor=f"contact {reply_contact.ref} (e-mail reply)",
        actor_kind=ActorKind.SIGNED_LINK,
    )
    user.delete()  # the staff entry keeps its words, "user gone", and loses its user
    expected = {name: StatusUpdate.objects.get(pk=u.pk).actor_kind for name, u in updates.items()}
    assert StatusUpdate.objects.get(pk=updates["staff"].pk).by_user_id is None

    executor = MigrationExecutor(connection)
    executor.migrate([("followups", "0014_sync_changes")])  # before the field: the kinds are gone
    executor = MigrationExecutor(connection)  # a fresh graph, as `migrate` starts with
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert {name: StatusUpdate.objects.get(pk=u.pk).actor_kind for name, u in updates.items()} == expected
    assert expected["staff"] == ActorKind.USER and expected["reply"] == ActorKind.SIGNED_LINK
