"""The issue's reliability list, on a real worker and broker (Redis and RabbitMQ) and a real SMTP server."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from agreements.models import Contact
from followups.models import AnchorKind, Reminder, ReminderStatus
from tests import factories as f
from tests.reliability.conftest import CONCURRENCY, wait_for


def due_reminders(n: int, *, per_deadline: int = 50) -> list[str]:
    """`n` reminders due a minute ago, to `n` different contacts; returns their addresses."""
    org = f.OrganisationFactory()
    contacts = Contact.objects.bulk_create(
        Contact(ref=f"CON-R{i:05d}", name=f"Contact {i}", email=f"poc{i}@example.org", organisation=org)
        for i in range(n)
    )
    now = timezone.now()
    rows = []
    for start in range(0, n, per_deadline):
        deadline = f.DeadlineFactory(
            commitment=f.CommitmentFactory(),
            anchor_kind=AnchorKind.FIXED,
            anchor_date=timezone.now().date() + timedelta(days=30),
            offset="",
        )
        for contact in contacts[start : start + per_deadline]:
            due = now - timedelta(minutes=1)
            rows.append(Reminder(deadline=deadline, contact=contact, kind="before_30", due_at=due, next_attempt_at=due))
    Reminder.objects.bulk_create(rows)
    return [c.email for c in contacts]


def statuses() -> Counter:
    return Counter(Reminder.objects.values_list("status", flat=True))


def test_worker_killed_mid_run_loses_nothing_and_repeats_keep_their_message_id(cluster, smtp):
    addresses = due_reminders(1000)
    c = cluster()
    worker = c.worker()
    c.beat()
    wait_for(lambda: smtp.handler.count() >= 300, timeout=120, what="300 mails", interval=0.01, logs=c.logs)
    c.kill(worker)
    at_kill = smtp.handler.count()
    assert at_kill < 1000, "the worker finished before it could be killed; the test proves nothing"
    c.worker()
    wait_for(lambda: statuses().get(ReminderStatus.SENT, 0) == 1000, timeout=180, what="1,000 SENT rows", logs=c.logs)
    received = smtp.handler.snapshot()
    by_address = defaultdict(set)
    for m in received:
        by_address[m.to].add(m.message_id)
    assert set(by_address) == set(addresses)  # 1,000 of 1,000 reached the server
    assert all(len(ids) == 1 for ids in by_address.values())  # any repeat carries the same Message-ID
    repeats = len(received) - 1000
    print(f"kill -9 after {at_kill} of 1,000 mails: {repeats} repeats (concurrency {CONCURRENCY})")
    assert repeats <= CONCURRENCY, f"{repeats} repeats with concurrency {CONCURRENCY}"
    sent_ids = dict(Reminder.objects.values_list("contact__email", "message_id"))
    assert all(sent_ids[a] in by_address[a] for a in addresses)


def test_smtp_down_for_a_while_loses_nothing_and_fails_nothing(cluster, smtp):
    addresses = due_reminders(300)
    c = cluster()
    c.worker()
    c.beat()
    wait_for(lambda: smtp.handler.count() >= 40, timeout=60, what="the first mails", interval=0.01, logs=c.logs)
    smtp.stop()
    down_until = time.monotonic() + 20
    while time.monotonic() < down_until:  # while it is down, rows wait with backoff; none is given up
        assert statuses().get(ReminderStatus.FAILED, 0) == 0
        time.sleep(1)
    retried = Reminder.objects.filter(attempts__gte=2).count()
    assert retried > 0, "nothing was attempted while the server was down"
    smtp.start()
    wait_for(lambda: statuses().get(ReminderStatus.SENT, 0) == 300, timeout=90, what="all SENT", logs=c.logs)
    received = smtp.handler.snapshot()
    assert {m.to for m in received} == set(addresses)
    per_address = Counter(m.to for m in received)
    repeats = sum(n - 1 for n in per_address.values())
    assert repeats <= CONCURRENCY
    assert len({m.message_id for m in received}) == 300
    assert statuses() == Counter({ReminderStatus.SENT: 300})


def test_550_for_one_recipient_fails_it_after_one_attempt_and_delivers_the_others_once(cluster, smtp):
    addresses = due_reminders(40, per_deadline=20)
    bad = addresses[7]
    smtp.handler.refuse[bad] = "550 5.1.1 Mailbox unavailable"
    c = cluster()
    c.worker()
    c.beat()
    wait_for(
        lambda: statuses().get(ReminderStatus.SENT, 0) == 39 and statuses().get(ReminderStatus.FAILED, 0) == 1,
        timeout=60,
        what="39 SENT and 1 FAILED",
        logs=c.logs,
    )
    failed = Reminder.objects.get(status=ReminderStatus.FAILED)
    assert failed.contact.email == bad
    assert failed.attempts == 1
    assert "550" in failed.last_error and "Mailbox unavailable" in failed.last_error
    time.sleep(3)  # a few more ticks: nothing is sent again
    assert Counter(m.to for m in smtp.handler.snapshot()) == Counter(a for a in addresses if a != bad)


def test_two_beats_and_twenty_concurrent_ticks_deliver_nothing_twice(cluster, smtp, broker_url):
    from celery import Celery

    from followups.reminders.sending import reminders_claim
    from followups.tasks import reminders_send_batch

    addresses = due_reminders(500)
    c = cluster()
    c.beat()
    c.beat()
    claimed: list[tuple[str, list[list[int]]]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def tick() -> None:
        try:
            barrier.wait()
            batches = reminders_claim()
            with lock:
                claimed.extend(batches)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [pk for _, units in claimed for unit in units for pk in unit]
    assert len(ids) == len(set(ids)), "two ticks claimed the same row"
    # Hand the threads' batches to the workers as their ticks would, while the two beats keep ticking.
    app = Celery(broker=broker_url)
    with app.connection_for_write() as conn:
        for token, units in claimed:
            reminders_send_batch.apply_async((units, token), connection=conn, queue=c.queue)
    c.worker()
    c.worker()
    wait_for(lambda: statuses().get(ReminderStatus.SENT, 0) == 500, timeout=120, what="500 SENT", logs=c.logs)
    time.sleep(2)
    per_address = Counter(m.to for m in smtp.handler.snapshot())
    assert set(per_address) == set(addresses)
    assert max(per_address.values()) == 1


def test_a_rolled_back_change_leaves_no_row_and_sends_nothing(cluster, smtp, settings):
    # Reminders at the current minute, so that the 1-day reminder of a deadline due tomorrow is due now.
    settings.REMINDER_LOCAL_TIME = (timezone.now() - timedelta(minutes=1)).strftime("%H:%M")
    contact = f.ContactFactory(email="rollback@example.org")
    commitment = f.CommitmentFactory(contacts=[contact])
    tomorrow = timezone.now().date() + timedelta(days=1)

    def plan(anchor_date: date) -> None:
        f.DeadlineFactory(commitment=commitment, anchor_kind=AnchorKind.FIXED, anchor_date=anchor_date, offset="")

    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 - the change and its failure
        plan(tomorrow)
        raise RuntimeError("the rest of the change failed")
    assert Reminder.objects.count() == 0
    c = cluster()
    c.worker()
    c.beat()
    time.sleep(4)
    assert smtp.handler.count() == 0
    # The same change committed is delivered by the same worker: the harness can see a mail when there is one.
    with transaction.atomic():
        plan(tomorrow)
    wait_for(lambda: smtp.handler.count() == 1, timeout=30, what="the committed change's mail", logs=c.logs)
    assert smtp.handler.snapshot()[0].to == contact.email


def test_a_batch_stopped_by_the_soft_time_limit_is_finished_after_the_lease(cluster, smtp):
    """A slow SMTP server holds a batch past Celery's soft limit: the mail in hand is recorded as a temporary
    failure, the rest of the batch waits for its lease, and everything arrives once the server is quick again."""
    addresses = due_reminders(30)
    smtp.handler.delay = 3.0  # 20 mails per batch x 3 s is far beyond the soft limit
    # Lease 10 s: soft limit 7 s, hard limit 8 s (settings: 70% and 80% of the lease).
    c = cluster(REMINDER_LEASE_SECONDS="10", CELERY_VISIBILITY_TIMEOUT="12")
    c.worker()
    c.beat()
    stopped = Reminder.objects.filter(last_error__contains="SoftTimeLimitExceeded")
    wait_for(lambda: stopped.exists(), timeout=60, what="a send stopped by the soft limit", logs=c.logs)
    smtp.handler.delay = 0.0
    wait_for(lambda: statuses().get(ReminderStatus.SENT, 0) == 30, timeout=120, what="30 SENT rows", logs=c.logs)
    assert statuses() == Counter({ReminderStatus.SENT: 30})
    received = smtp.handler.snapshot()
    assert {m.to for m in received} == set(addresses)
    by_address = defaultdict(set)
    for m in received:
        by_address[m.to].add(m.message_id)
    assert all(len(ids) == 1 for ids in by_address.values())  # a mail the slow server took late is a repeat
    assert Reminder.objects.filter(attempts__gte=1, status=ReminderStatus.SENT).exists()
