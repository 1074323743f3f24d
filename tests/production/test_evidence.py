"""Evidence files: kept through the storage API, checked by content, served only to those who may see them."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from agreements.partner_access import api_key_issue
from agreements.roles import Role
from config.storage import storage_config
from followups.models import Status, StatusUpdate
from tests.factories import CommitmentFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n" + bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def world():
    owner, other = OrganisationFactory(ref="ORG-OWN"), OrganisationFactory(ref="ORG-OTHER")
    commitment = CommitmentFactory(owners=[owner])
    CommitmentFactory(owners=[other], framework=commitment.framework)  # the other party sees the framework
    desk = Client()
    desk.force_login(UserFactory(role=Role.DESK_OFFICER))
    return owner, other, commitment, desk


def upload(desk: Client, commitment, name: str, content: bytes):
    return desk.post(
        f"/commitments/{commitment.ref}/",
        {
            "status": Status.IN_PROGRESS,
            "note": "Minutes of the call.",
            "evidence_file": SimpleUploadedFile(name, content),
        },
    )


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_an_upload_is_reachable_by_staff_and_an_owners_key_only(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner, other, commitment, desk = world

    answer = upload(desk, commitment, "minutes.pdf", PDF)

    assert answer.status_code == 302, answer.content[:500]
    update = StatusUpdate.objects.get(commitment=commitment)
    page = desk.get(f"/commitments/{commitment.ref}/").content.decode()
    assert f'href="/evidence/{update.pk}/"' in page  # the timeline links the checked view, not a media URL
    assert "/media/" not in page

    viewer = Client()
    viewer.force_login(UserFactory(role=Role.VIEWER))
    for staff in (desk, viewer):
        served = staff.get(f"/evidence/{update.pk}/")
        assert served.status_code == 200
        assert b"".join(served.streaming_content) == PDF
        assert served["Content-Type"] == "application/pdf"
        assert served["Content-Disposition"].startswith("attachment;")

    owners_key = api_key_issue(organisation=owner, name="sync")[1]
    through_api = bearer(owners_key).get(f"/api/v1/status-updates/{update.pk}/evidence/")
    assert through_api.status_code == 200 and b"".join(through_api.streaming_content) == PDF

    others_key = api_key_issue(organisation=other, name="sync")[1]
    assert bearer(others_key).get(f"/api/v1/status-updates/{update.pk}/evidence/").status_code == 404
    assert Client().get(f"/api/v1/status-updates/{update.pk}/evidence/").status_code == 401
    anonymous = Client().get(f"/evidence/{update.pk}/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    partner_login = Client()
    partner_login.force_login(UserFactory())  # an account without a staff role
    assert partner_login.get(f"/evidence/{update.pk}/").status_code == 403
    assert Client().get(f"/media/{update.evidence_file.name}").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("minutes.pdf", b"<html><script>alert(1)</script></html>", "does not match its name"),
        ("photo.png", PDF, "does not match its name"),
        ("minutes.pdf", PNG, "does not match its name"),
        ("report.docx", b"PK\x03\x04 not really a zip", "does not match its name"),
        ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00", "does not match its name"),
        ("run.exe", b"MZ\x90\x00", "not accepted as evidence"),
        ("page.html", b"<html></html>", "not accepted as evidence"),
    ],
)
def test_an_upload_is_judged_by_its_content_not_its_name(world, settings, tmp_path, name, content, message):
    settings.MEDIA_ROOT = tmp_path
    *_, commitment, desk = world

    answer = upload(desk, commitment, name, content)

    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not StatusUpdate.objects.filter(commitment=commitment).exists()
    assert not any(tmp_path.rglob("*.*"))


@pytest.mark.parametrize(
    ("name", "content"), [("minutes.pdf", PDF), ("photo.PNG", PNG), ("report.docx", docx()), ("notes.txt", b"Agreed.")]
)
def test_each_accepted_kind_passes(world, settings, tmp_path, name, content):
    settings.MEDIA_ROOT = tmp_path
    *_, commitment, desk = world

    assert upload(desk, commitment, name, content).status_code == 302


def test_an_upload_over_the_limit_is_refused(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    *_, commitment, desk = world

    answer = upload(desk, commitment, "minutes.pdf", PDF + bytes(1024 * 1024))

    assert answer.status_code == 400 and "larger than 1 MB" in answer.content.decode()


# --- An S3-compatible store: moto in server mode on loopback --------------------------------------------------


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    port = 18103
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def test_evidence_on_an_s3_compatible_store(world, settings, monkeypatch, s3_server):
    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket="tracker-evidence")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_config(f"s3://tracker-evidence/prod?endpoint_url={s3_server}&region_name=us-east-1"),
    }
    owner, _other, commitment, desk = world

    assert upload(desk, commitment, "minutes.pdf", PDF).status_code == 302

    update = StatusUpdate.objects.get(commitment=commitment)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="tracker-evidence")["Contents"]]
    assert keys == [f"prod/{update.evidence_file.name}"]
    assert s3.get_object(Bucket="tracker-evidence", Key=keys[0])["Body"].read() == PDF
    served = desk.get(f"/evidence/{update.pk}/")
    assert served.status_code == 200 and b"".join(served.streaming_content) == PDF
    owners_key = api_key_issue(organisation=owner, name="sync")[1]
    through_api = bearer(owners_key).get(f"/api/v1/status-updates/{update.pk}/evidence/")
    assert b"".join(through_api.streaming_content) == PDF
