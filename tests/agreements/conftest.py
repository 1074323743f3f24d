from tests.followups.conftest import ministerial  # noqa: F401 - the dataset, loaded once per module
