"""History of staff accounts and their roles (role groups): who gave or took a role, and when.

django.contrib.auth's User is not ours to edit, so its history is registered here (simple_history's `register`),
with the role groups as a tracked many-to-many and without the password hash or the last login.
"""

from django.contrib.auth import get_user_model
from simple_history import register

from config.history import TrackedHistory

register(
    get_user_model(),
    app="ops",
    records_class=TrackedHistory,
    excluded_fields=["password", "last_login"],
    m2m_fields=["groups"],
)
