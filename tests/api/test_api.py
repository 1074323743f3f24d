"""What a partner's developer and a staff user would check: scope, filters, pages, ETag, throttle, errors, docs."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from agreements.roles import Role
from tests.api.conftest import all_items, bearer_client, days_from_today, error_of, make_commitment

pytestmark = pytest.mark.django_db


def refs(items: list[dict]) -> set[str]:
    return {item["ref"] for item in items}


def test_partner_sees_frameworks_it_is_party_to_directly_or_through_a_body(world, client_a):
    assert refs(all_items(client_a, "/api/v1/frameworks/")) == {"FW-XA-US", "FW-FORUMX"}
    framework = client_a.get("/api/v1/frameworks/FW-XA-US/").json()
    assert framework["parties"] == [
        {
            "organisation": "ORG-XA",
            "organisation_name": "Atlantis",
            "role": "signatory",
            "signed_by": "",
            "signed_by_title": "",
            "joined_on": None,
            "joined_precision": "day",
            "term_ends_on": None,
            "term_end_estimated": False,
            "basis": "sourced",
            "sources": [],
        }
    ]


def test_partner_sees_what_hangs_under_its_frameworks_and_every_commitment_it_owns(world, client_a):
    assert refs(all_items(client_a, "/api/v1/commitments/")) == {"CMT-XA-01", "CMT-FORUMX-01", "CMT-XC-01"}
    assert refs(all_items(client_a, "/api/v1/working-groups/")) == {"WG-XA-1"}
    assert refs(all_items(client_a, "/api/v1/deadlines/")) == {"DL-CMT-XA-01", "DL-CMT-FORUMX-01", "DL-CMT-XC-01"}
    # It owes CMT-XC-01 under Carpania's framework, which it is not party to.
    assert client_a.get("/api/v1/frameworks/FW-XC-US/").status_code == 404
    assert refs(all_items(client_a, "/api/v1/organisations/")) == {"ORG-XA", "ORG-FORUMX", "ORG-XC"}


def test_commitment_carries_owners_deadlines_and_a_derived_overdue_flag(world, client_a):
    late = make_commitment("CMT-XA-02", world.fw_a, world.org_a, due=days_from_today(-3))
    body = client_a.get(f"/api/v1/commitments/{late.ref}/").json()
    assert body["owners"][0]["organisation"] == "ORG-XA"
    assert body["deadlines"][0]["due_on"] == str(days_from_today(-3))
    assert body["deadlines"][0]["is_overdue"] is True
    assert body["is_overdue"] is True
    assert body["next_due_on"] == str(days_from_today(-3))
    assert client_a.get("/api/v1/commitments/CMT-XA-01/").json()["is_overdue"] is False


def test_commitment_filters_select_by_due_date_priority_framework_owner_group_status_and_update_time(world, client_a):
    late = make_commitment("CMT-XA-02", world.fw_a, world.org_a, due=days_from_today(-3))
    soon = make_commitment("CMT-XA-03", world.fw_a, world.org_a, due=days_from_today(10))
    soon.priority = "high"
    soon.save()

    def get(**params) -> set[str]:
        return refs(all_items(client_a, "/api/v1/commitments/?" + "&".join(f"{k}={v}" for k, v in params.items())))

    assert get(overdue="true") == {late.ref}
    assert late.ref not in get(overdue="false")
    assert get(due_before=days_from_today(10), due_after=days_from_today(0)) == {soon.ref}
    assert get(priority="high") == {soon.ref}
    assert get(framework="FW-FORUMX") == {"CMT-FORUMX-01"}
    assert get(organisation="ORG-XC") == {"CMT-XC-01"}
    assert get(working_group="WG-XA-1") == {"CMT-XA-01"}
    # The world's update of 2 March put CMT-XA-01 in progress (through the status service, as in production).
    assert get(status="in_progress", category="other") == {"CMT-XA-01"}
    assert get(status="not_started", category="other") == {"CMT-FORUMX-01", "CMT-XC-01", late.ref, soon.ref}
    since = timezone.now()
    client_a.post("/api/v1/status-updates/", {"commitment": "CMT-XA-01", "status": "at_risk"}, format="json")
    assert get(updated_since=since.isoformat().replace("+00:00", "Z")) == {"CMT-XA-01"}
    assert get(status="at_risk") == {"CMT-XA-01"}
    deadlines = refs(all_items(client_a, f"/api/v1/deadlines/?overdue=true&commitment={late.ref}"))
    assert deadlines == {f"DL-{late.ref}"}


def test_a_bad_filter_value_is_a_400_naming_the_field(world, client_a):
    response = client_a.get("/api/v1/commitments/", {"due_before": "next tuesday", "status": "lost"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"due_before", "status"}


def test_cursor_pages_cover_the_list_once_in_order(world, client_a):
    for i in range(2, 13):
        make_commitment(f"CMT-XA-{i:02d}", world.fw_a, world.org_a)
    seen: list[str] = []
    url = "/api/v1/commitments/?page_size=5&ordering=ref"
    while url:
        page = client_a.get(url).json()
        assert len(page["results"]) <= 5
        seen.extend(c["ref"] for c in page["results"])
        url = page["next"]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 14
    assert "cursor=" in client_a.get("/api/v1/commitments/?page_size=5").json()["next"]


def test_etag_gives_304_until_the_object_changes(world, client_a):
    url = "/api/v1/commitments/CMT-XA-01/"
    first = client_a.get(url)
    etag = first["ETag"]
    assert client_a.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    client_a.post("/api/v1/status-updates/", {"commitment": "CMT-XA-01", "status": "at_risk"}, format="json")
    changed = client_a.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["status"] == "at_risk"


def test_throttle_answers_429_with_retry_after_per_key(world, partner_key, settings):
    settings.API_THROTTLE_RATE = "3/min"
    first = bearer_client(partner_key(world.org_a, "one")[1])
    other = bearer_client(partner_key(world.org_a, "two")[1])
    assert [first.get("/api/v1/frameworks/").status_code for _ in range(3)] == [200, 200, 200]
    throttled = first.get("/api/v1/frameworks/")
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert error_of(throttled)["code"] == "rate_limited"
    assert (throttled["RateLimit-Limit"], throttled["RateLimit-Remaining"]) == ("3", "0")
    assert 0 < int(throttled["RateLimit-Reset"]) <= 60
    assert other.get("/api/v1/frameworks/").status_code == 200


def test_a_status_update_dated_in_the_future_is_a_field_error(world, client_a):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client_a.post(
        "/api/v1/status-updates/",
        {"commitment": "CMT-XA-01", "status": "in_progress", "happened_on": tomorrow},
        format="json",
    )
    assert response.status_code == 400
    assert "happened_on" in error_of(response)["fields"]


def test_completing_after_the_due_date_is_recorded_as_completed_late(world, client_a, staff_client_factory):
    from followups.services import commitment_completion_accept

    late = make_commitment("CMT-XA-02", world.fw_a, world.org_a, due=date(2026, 3, 1))
    response = client_a.post(
        "/api/v1/status-updates/",
        {"commitment": late.ref, "status": "completed", "happened_on": "2026-03-10"},
        format="json",
    )
    assert response.status_code == 201
    # A partner's "completed" is a claim: the deadline stays open until staff accept it (tests/partner).
    assert client_a.get(f"/api/v1/deadlines/DL-{late.ref}/").json()["completed_on"] is None
    verifier = staff_client_factory(Role.DESK_OFFICER, username="desk-late").user
    accepted = commitment_completion_accept(commitment=late, owner=world.org_a, by_user=verifier)
    assert accepted.new_status == "completed_late"
    assert client_a.get(f"/api/v1/deadlines/DL-{late.ref}/").json()["completed_on"] == "2026-03-10"


def test_staff_read_everything_with_their_session_and_only_updaters_write(world, staff_client_factory):
    viewer = staff_client_factory(Role.VIEWER)
    assert {"FW-XA-US", "FW-XB-US", "FW-XC-US", "FW-FORUMX"} <= refs(all_items(viewer, "/api/v1/frameworks/"))
    payload = {"commitment": "CMT-XB-01", "status": "cancelled", "note": "waived at the ministerial"}
    assert viewer.post("/api/v1/status-updates/", payload, format="json").status_code == 403

    desk = staff_client_factory(Role.DESK_OFFICER)
    response = desk.post("/api/v1/status-updates/", {**payload, "owner": "ORG-XB"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["actor"] == f"user {desk.user.username}"
    assert response.json()["owner"] == "ORG-XB"
    world.cmt_b.refresh_from_db()
    assert world.cmt_b.status == "cancelled"


def test_a_logged_in_user_without_a_role_and_an_anonymous_caller_get_nothing(world, django_user_model):
    user = django_user_model.objects.create_user("contact-login", password="x")
    client = APIClient()
    client.force_login(user)
    assert client.get("/api/v1/frameworks/").status_code == 403
    anonymous = APIClient().get("/api/v1/frameworks/")
    assert anonymous.status_code == 401
    assert error_of(anonymous) == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "fields": {},
    }


def test_schema_and_docs_are_served_with_local_assets(db):
    schema = Client().get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/commitments/{ref}/" in paths and "post" in paths["/api/v1/status-updates/"]
    assert "partnerKey" in schema.json()["components"]["securitySchemes"]
    docs = Client().get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "https://" not in page.split("<body", 1)[1].split("</body>")[0].replace("https://example", "")


@pytest.mark.redis
def test_throttle_counts_live_in_redis_so_every_web_process_shares_them(world, partner_key, settings, redis_url):
    import redis

    settings.CACHES = {
        **settings.CACHES,
        "api_throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"api-throttle-test-{world.org_a.pk}",
        },
    }
    settings.API_THROTTLE_RATE = "2/min"
    key, raw = partner_key(world.org_a)
    client = bearer_client(raw)
    assert [client.get("/api/v1/frameworks/").status_code for _ in range(3)] == [200, 200, 429]
    # Another process would read the same count: it is in Redis, not in this process's memory.
    stored = redis.Redis.from_url(redis_url).keys(f"api-throttle-test-{world.org_a.pk}:*throttle_api_key_{key.pk}")
    assert len(stored) == 1


def test_updated_since_finds_a_commitment_whose_deadline_moved(world, client_a):
    from followups.services import deadline_extend

    since = timezone.now()
    deadline = world.cmt_a.deadlines.get()
    deadline_extend(deadline=deadline, new_due_on=deadline.due_on + timedelta(days=30), reason="asked by the party")
    stamp = since.isoformat().replace("+00:00", "Z")
    assert refs(all_items(client_a, f"/api/v1/commitments/?updated_since={stamp}")) == {"CMT-XA-01"}
    assert refs(all_items(client_a, f"/api/v1/deadlines/?updated_since={stamp}")) == {"DL-CMT-XA-01"}
    later = timezone.now().isoformat().replace("+00:00", "Z")
    assert refs(all_items(client_a, f"/api/v1/commitments/?updated_since={later}")) == set()


def test_errors_outside_drf_answer_json_under_the_api_and_html_elsewhere(world, client_a, rf):
    from config.error_views import server_error

    missing = client_a.get("/api/v1/no-such-resource/")
    assert missing.status_code == 404
    assert error_of(missing) == {"code": "not_found", "message": "Not found.", "fields": {}}
    assert "text/html" in client_a.get("/no-such-page/")["Content-Type"]
    # An unexpected exception: the partner's program gets JSON without the details, staff a plain page.
    failed = server_error(rf.get("/api/v1/commitments/"))
    assert (failed.status_code, failed["Content-Type"]) == (500, "application/json")
    error = json.loads(failed.content)["error"]
    assert error["code"] == "server_error" and "not applied" in error["message"]
    page = server_error(rf.get("/commitments/"))
    assert page.status_code == 500 and "Something went wrong on our side" in page.content.decode()


def test_a_nul_byte_or_a_non_text_reference_is_a_field_error_not_a_server_error(world, client_a):
    for bad in ("CMT-\x00", {"ref": "CMT-AU-01"}, "X" * 500):
        response = client_a.post("/api/v1/status-updates/", {"commitment": bad, "status": "at_risk"}, format="json")
        assert response.status_code == 400, response.content
        error = error_of(response)
        # A NUL anywhere in a body is refused by the parser; a non-text or overlong reference by the field.
        assert error["code"] == "nul_character" or "commitment" in error["fields"], error
    for param in ("framework", "organisation", "status", "updated_since", "due_before"):
        assert client_a.get("/api/v1/commitments/", {param: "FW-\x00"}).status_code == 400, param
    nul_address = client_a.get("/api/v1/commitments/CMT-\x00/")
    assert nul_address.status_code == 400
    assert "NUL" in error_of(nul_address)["message"]


def test_a_setting_decides_whether_the_schema_and_docs_are_public(world, partner_key, staff_client_factory, settings):
    settings.API_DOCS_PUBLIC = False
    for url in ("/api/schema/", "/api/docs/", "/api/redoc/"):
        anonymous = Client().get(url)
        assert anonymous.status_code == 401, url
        assert error_of(anonymous)["code"] == "not_authenticated"
        assert bearer_client(partner_key(world.org_a, f"docs {url}")[1]).get(url).status_code == 200, url
        assert staff_client_factory(Role.VIEWER, username=f"viewer{url}").get(url).status_code == 200, url
    settings.API_DOCS_PUBLIC = True
    assert Client().get("/api/schema/").status_code == 200
