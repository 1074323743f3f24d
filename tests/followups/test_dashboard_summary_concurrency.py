"""The dashboard's summaries under concurrent writers, and their storage (issue 15).

These tests commit for real (several connections), so they live apart from the modules that load the dataset once
per module inside an open transaction (tests/followups/conftest.py `ministerial`): pytest-django runs transactional
tests last, and in such a module they would run inside that transaction, holding the very locks they test.
"""

from __future__ import annotations

import threading
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from followups import services
from followups.models import Deadline
from followups.summary.counts import dashboard_summary_snapshot
from tests import factories as f
from tests.followups.test_dashboard_summary import assert_kept


@pytest.mark.django_db(transaction=True)
def test_two_transactions_changing_one_commitment_at_once_are_both_counted():
    """Each refresh locks the commitment's contribution first: the second waits for the first to commit, then reads
    the deadlines with the first's change, so the counts hold both changes."""
    commitment = f.CommitmentFactory()
    first_deadline = f.fixed_deadline(date(2030, 6, 1), commitment=commitment)
    second_deadline = f.fixed_deadline(date(2030, 7, 1), commitment=commitment)
    counted, release = threading.Event(), threading.Event()

    def extend(deadline: Deadline, new_due_on: date, *, hold: bool) -> None:
        try:
            with transaction.atomic():
                services.deadline_extend(deadline=deadline, new_due_on=new_due_on, reason="later")
                if hold:
                    counted.set()
                    assert release.wait(30)
        finally:
            connection.close()

    first = threading.Thread(target=extend, args=(first_deadline, date(2030, 9, 1)), kwargs={"hold": True})
    second = threading.Thread(target=extend, args=(second_deadline, date(2030, 8, 1)), kwargs={"hold": False})
    first.start()
    assert counted.wait(30)
    second.start()
    second.join(1)
    assert second.is_alive()  # waiting for the first transaction's lock on what the commitment counts
    release.set()
    first.join(30)
    second.join(30)
    kept = dashboard_summary_snapshot()
    assert kept["deadline"] == {(date(2030, 9, 1), True, True): 1, (date(2030, 8, 1), True, True): 1}
    assert_kept()


@pytest.mark.django_db(transaction=True)
def test_the_counters_keep_room_to_be_rewritten_and_a_rebuild_vacuums_them():
    """Every change rewrites a few counters: their pages keep room for the new version (an update in place, no new
    index entry) and autovacuum visits them after a few hundred changes; the rebuild, which rewrites them once per
    chunk, ends with a VACUUM (0022)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname LIKE 'followups_dashboard%%' AND relkind = 'r'"
        )
        options = dict(cursor.fetchall())
    counters = [name for name in options if name != "followups_dashboardcontribution"]
    assert len(counters) == 4
    for name in counters:
        assert "fillfactor=50" in options[name] and "autovacuum_vacuum_scale_factor=0" in options[name], name
    assert options["followups_dashboardcontribution"] == ["fillfactor=80"]

    f.CommitmentFactory()
    out = StringIO()
    call_command("dashboard_summary_rebuild", stdout=out)
    assert "Counted 1 commitments" in out.getvalue()
    assert "Vacuumed the summary tables" in out.getvalue()
