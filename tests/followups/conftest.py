import pytest
from django.db import transaction

from followups.loader import load_file


@pytest.fixture(scope="module")
def ministerial(django_db_setup, django_db_blocker):
    """The real dataset, loaded once per module inside a transaction that is rolled back at its end.

    Each test's own changes are rolled back to a savepoint by pytest-django's `db` fixture, so tests stay
    independent while the 3-second load runs once.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        load_file()
        yield
        transaction.set_rollback(True)
