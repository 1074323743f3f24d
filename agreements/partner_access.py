"""Partner access to the REST API: API keys bound to one organisation (and webhooks). Imported by models.py."""

__all__: list[str] = []
