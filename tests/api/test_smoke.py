import pytest

from tests.api.conftest import all_items

pytestmark = pytest.mark.django_db


def test_partner_sees_its_frameworks(client_a):
    refs = {f["ref"] for f in all_items(client_a, "/api/v1/frameworks/")}
    assert refs == {"FW-XA-US", "FW-FORUMX"}
