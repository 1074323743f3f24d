"""The reminder outbox and reminder policies (DESIGN.md, "Reminders: the database is the queue"). Imported by models.py."""

__all__: list[str] = []
