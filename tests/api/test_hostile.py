"""Hostile input against a live server on PostgreSQL: never a 5xx, always the error envelope, nothing written.

What any client can send: forged cursors for every list and ordering, deeply nested JSON, lone surrogates, NUL
bytes, 20 MB bodies, wrong content types and encodings, unknown or unreadable query parameters, bad hosts.
"""

from __future__ import annotations

import base64
import json
import logging

import django_filters
import pytest
import requests

from config.api_router import router
from tests.api.snapshot import database_fingerprint as full_fingerprint

pytestmark = pytest.mark.django_db(transaction=True)

LISTS = [(prefix, viewset) for prefix, viewset, _basename in router.registry]
WRITES = ["/api/v1/status-updates/", "/api/v1/webhooks/"]


def database_fingerprint() -> dict[str, str]:
    """Every table but the security log, which records refused keys on purpose."""
    return {table: digest for table, digest in full_fingerprint().items() if table != "agreements_securityevent"}


@pytest.fixture
def api(live_server, world, partner_key, settings):
    settings.API_THROTTLE_RATE = "100000/min"  # many requests here; the throttle has its own test
    _key, raw = partner_key(world.org_a)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {raw}"
    session.base = live_server.url
    return session


def envelope(response: requests.Response) -> dict:
    """The error object of an answer, after checking it is the one envelope with the request's id."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:200]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields", "request_id"}, error
    assert error["request_id"] == response.headers["X-Request-Id"]
    assert isinstance(error["code"], str) and error["code"].isascii() and error["message"]
    return error


def b64(text: str) -> str:
    return base64.b64encode(text.encode("latin-1")).decode()


def forged_cursors() -> list[str]:
    return [
        b64("p=garbage"),
        b64("p=garbage\x00"),
        b64("o=1&p=\x00"),
        b64("p=2026-13-45"),
        b64("p=2026-02-30T25:61:00+00:00"),
        b64("p=9999-12-31T23:59:59-15:00"),
        b64("p=None"),
        b64("p=00000000-zzzz"),
        b64("o=x"),
        b64("r=maybe"),
        "!!!not base64!!!",
        "\u00e9t\u00e9",
        b64("p=" + "9" * 5000),
    ]


@pytest.mark.parametrize(("prefix", "viewset"), LISTS, ids=[p for p, _v in LISTS])
def test_forged_cursors_are_a_404_invalid_cursor_for_every_list_and_ordering(api, prefix, viewset):
    before = database_fingerprint()
    orderings = [None] + [sign + name for name in viewset.ordering_fields for sign in ("", "-")]
    for ordering in orderings:
        for cursor in forged_cursors():
            params = {"cursor": cursor, **({"ordering": ordering} if ordering else {})}
            response = api.get(f"{api.base}/api/v1/{prefix}/", params=params)
            if response.status_code == 200:
                # An offset-only or reference-shaped position can be a real place in a list ordered by ref.
                assert response.json()["results"] is not None
                continue
            error = envelope(response)
            # A cursor points at a page: one we never handed out points at none (any string is well formed).
            assert response.status_code == 404, (prefix, ordering, cursor, error)
            assert error["code"] == "invalid_cursor", error
    assert database_fingerprint() == before


def test_a_cursor_from_one_ordering_is_refused_under_another(api, world):
    from tests.api.conftest import make_commitment

    for i in range(2, 6):
        make_commitment(f"CMT-XA-{i:02d}", world.fw_a, world.org_a)
    page = api.get(f"{api.base}/api/v1/commitments/", params={"page_size": 2, "ordering": "ref"}).json()
    cursor = page["next"].split("cursor=")[1].split("&")[0]
    response = api.get(f"{api.base}/api/v1/commitments/?page_size=2&ordering=-updated_at&cursor={cursor}")
    assert response.status_code == 404 and envelope(response)["code"] == "invalid_cursor"
    # The links the API gives are always followed without error.
    assert api.get(page["next"]).status_code == 200


@pytest.mark.parametrize("url", WRITES)
def test_hostile_bodies_are_refused_and_write_nothing(api, url):
    before = database_fingerprint()
    json_type = {"Content-Type": "application/json"}
    cases = [
        ("[" * 100_000 + "]" * 100_000, json_type, 400, "too_deeply_nested"),
        ('{"a":' * 40 + "1" + "}" * 40, json_type, 400, "too_deeply_nested"),
        ('{"\\ud800": 1, "status": "at_risk"}', json_type, 400, "invalid_encoding"),
        ('{"note": "\\udfff", "status": "at_risk"}', json_type, 400, "invalid_encoding"),
        ('{"commitment": "CMT-XA-01", "status": "at_risk", "note": "a\\u0000b"}', json_type, 400, "nul_character"),
        (b'{"note": "\xff\xfe"}', json_type, 400, "invalid_encoding"),
        ('{"status": NaN}', json_type, 400, "invalid_json"),
        ('{"status": 1' + "0" * 5000 + "}", json_type, 400, "invalid_json"),
        ("{not json", json_type, 400, "invalid_json"),
        ('"a string"', json_type, 400, None),
        ("[1, 2]", json_type, 400, None),
        ("status=at_risk", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        ("<xml/>", {"Content-Type": "application/xml"}, 415, "unsupported_media_type"),
        ("{}", {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
        ("{}", {"Content-Type": "application/json; charset=latin-1"}, 415, "unsupported_media_type"),
        (b"x" * (20 * 1024 * 1024), json_type, 413, "request_too_large"),
        (b"status=" + b"x" * (20 * 1024 * 1024), {"Content-Type": "application/x-www-form-urlencoded"}, 413, None),
    ]
    for body, headers, expected_status, expected_code in cases:
        response = api.post(f"{api.base}{url}", data=body, headers=headers)
        error = envelope(response)
        assert response.status_code == expected_status, (str(body)[:60], response.status_code, error)
        if expected_code:
            assert error["code"] == expected_code, (str(body)[:60], error)
    assert database_fingerprint() == before


def test_methods_accept_headers_and_unknown_addresses_answer_the_envelope(api, world):
    before = database_fingerprint()
    base = api.base
    checks = [
        (api.put(f"{base}/api/v1/status-updates/", json={}), 405, "method_not_allowed"),
        (api.delete(f"{base}/api/v1/commitments/{world.cmt_a.ref}/"), 405, "method_not_allowed"),
        (api.get(f"{base}/api/v1/commitments/", headers={"Accept": "text/html"}), 406, "not_acceptable"),
        (api.get(f"{base}/api/v1/no-such-thing/"), 404, "not_found"),
        (api.get(f"{base}/api/v2/"), 404, "not_found"),
        (api.get(f"{base}/api/v1/commitments/CMT-NOPE/"), 404, "not_found"),
        (api.get(f"{base}/api/v1/status-updates/42/"), 404, "not_found"),
        (api.get(f"{base}/api/v1/commitments/CMT-%00/"), 400, None),
        (requests.get(f"{base}/api/v1/commitments/", timeout=30), 401, "not_authenticated"),
        (requests.get(f"{base}/api/v1/commitments/", headers={"Authorization": "Bearer nope"}, timeout=30), 401, None),
        (requests.get(f"{base}/api/v1/commitments/", headers={"Authorization": "Bearer a b"}, timeout=30), 401, None),
        (api.get(f"{base}/api/v1/commitments/", headers={"Host": "evil.example"}), 400, "bad_request"),
    ]
    for response, expected_status, expected_code in checks:
        error = envelope(response)
        assert response.status_code == expected_status, (response.url, error)
        if expected_code:
            assert error["code"] == expected_code, (response.url, error)
        # A 404 never names a model class.
        assert "matches the given query" not in error["message"]
    assert database_fingerprint() == before


def test_debug_mode_still_answers_the_envelope(api, settings):
    settings.DEBUG = True
    for response in (
        api.get(f"{api.base}/api/v1/commitments/", headers={"Host": "evil.example"}),
        api.get(f"{api.base}/api/v1/commitments/", params={"cursor": b64("p=garbage"), "ordering": "updated_at"}),
        api.get(f"{api.base}/api/v1/nothing-here/"),
    ):
        envelope(response)
        assert "Traceback" not in response.text


def bad_values(flt: django_filters.Filter) -> list[str]:
    """Values a filter cannot read (none for a reference, which is any text)."""
    if isinstance(flt, django_filters.BooleanFilter):
        return ["1", "0", "yes", "TRUE", "maybe"]
    if isinstance(flt, django_filters.ChoiceFilter | django_filters.MultipleChoiceFilter):
        return ["no-such-choice"]
    if isinstance(flt, django_filters.IsoDateTimeFilter):
        return ["yesterday", "2026-02-30T00:00:00Z"]
    if isinstance(flt, django_filters.DateFilter):
        return ["next tuesday", "2026-13-01"]
    if isinstance(flt, django_filters.UUIDFilter):
        return ["not-a-uuid"]
    return []


@pytest.mark.parametrize(("prefix", "viewset"), LISTS, ids=[p for p, _v in LISTS])
def test_every_filter_with_an_unreadable_value_is_a_400_naming_it(api, prefix, viewset):
    url = f"{api.base}/api/v1/{prefix}/"
    filters = viewset.filterset_class.base_filters if viewset.filterset_class else {}
    cases = [(name, value) for name, flt in filters.items() for value in bad_values(flt)]
    cases += [("page_size", v) for v in ("0", "201", "ten", "-1", "1.5")]
    cases += [("ordering", "no_such_field"), ("ordering", "ref,-ref"), ("overdeu", "true"), ("format", "xml")]
    cases += [(name, "") for name in filters]
    for name, value in cases:
        response = api.get(url, params={name: value})
        error = envelope(response)
        assert response.status_code == 400, (prefix, name, value, error)
        assert name in error["fields"], (prefix, name, value, error)
    # A single-valued filter given twice is refused too.
    single = [name for name, flt in filters.items() if not isinstance(flt, django_filters.MultipleChoiceFilter)]
    for name in single[:1]:
        response = api.get(f"{url}?{name}=a&{name}=b")
        assert response.status_code == 400 and name in envelope(response)["fields"]


def test_documented_booleans_and_page_sizes_are_accepted(api, world):
    for value in ("true", "false"):
        assert api.get(f"{api.base}/api/v1/commitments/", params={"overdue": value}).status_code == 200
    for size in ("1", "200"):
        assert api.get(f"{api.base}/api/v1/commitments/", params={"page_size": size}).status_code == 200
    response = api.get(f"{api.base}/api/v1/commitments/", params={"status": ["in_progress", "at_risk"]})
    assert response.status_code == 200


def test_request_id_is_answered_and_logged(api, caplog):
    caplog.set_level(logging.INFO)
    given = "req-4c1f.partner:42"
    response = api.get(f"{api.base}/api/v1/commitments/CMT-NOPE/", headers={"X-Request-Id": given})
    assert response.headers["X-Request-Id"] == given == envelope(response)["request_id"]
    insane = api.get(f"{api.base}/api/v1/commitments/CMT-NOPE/", headers={"X-Request-Id": "a b<script>" * 30})
    made = insane.headers["X-Request-Id"]
    assert made != "a b<script>" * 30 and len(made) == 32 and envelope(insane)["request_id"] == made
    assert any(getattr(record, "request_id", "") == given for record in caplog.records)
    # Successful answers carry it too, with the rate-limit budget.
    ok = api.get(f"{api.base}/api/v1/commitments/")
    assert ok.headers["X-Request-Id"]
    assert int(ok.headers["RateLimit-Limit"]) == 100000
    assert 0 <= int(ok.headers["RateLimit-Remaining"]) < 100000
    assert 0 <= int(ok.headers["RateLimit-Reset"]) <= 60


def test_errors_are_json_with_a_translated_message_and_an_english_code(api):
    response = api.get(f"{api.base}/api/v1/commitments/", params={"page_size": "0"}, headers={"Accept-Language": "fr"})
    error = envelope(response)
    assert error["code"] == "invalid_parameter"
    assert json.dumps(error)  # serialisable as it came
