"""Settings for the test suite: PostgreSQL (TEST_DATABASE_URL), fast password hashing, mail kept in memory."""

import os

os.environ.setdefault(
    "DATABASE_URL", os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
)

from config.settings import *  # noqa: F403
from config.settings import DATABASES

# Several checkouts may test against one server at once: each names its own test database.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DB_NAME", "test_tracker")}
DATABASES["default"]["CONN_MAX_AGE"] = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
