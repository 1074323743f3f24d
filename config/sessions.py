"""The database session store, whose idle clock is written at most once a minute.

SESSION_SAVE_EVERY_REQUEST restarts the idle clock on each request: with Django's store that is an UPDATE in its
own transaction (three statements) on every page and API call of a signed-in user, a third of the commitments
list's statements (issue 15). This store skips the write when nothing in the session changed and the stored
expiry is less than REFRESH older than the one it would write: a session still ends after SESSION_COOKIE_AGE
without a request, give or take REFRESH.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

REFRESH = timedelta(seconds=60)


class SessionStore(DatabaseSessionStore):
    _stored_expiry: datetime | None = None

    def _get_session_from_db(self):
        session = super()._get_session_from_db()
        self._stored_expiry = session.expire_date if session is not None else None
        return session

    def save(self, must_create: bool = False) -> None:
        fresh = self._stored_expiry is not None and self.get_expiry_date() - self._stored_expiry < REFRESH
        if must_create or self.modified or not fresh:
            super().save(must_create=must_create)
            self._stored_expiry = self.get_expiry_date()
