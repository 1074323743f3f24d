"""`make backup` and `make restore`: a restore into a fresh database and storage answers the API as the original
did, and holds every evidence file byte for byte."""

from __future__ import annotations

import filecmp
import subprocess

import psycopg
import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from agreements.partner_access import api_key_issue
from agreements.roles import Role
from followups import services
from followups.models import Status
from tests.factories import CommitmentFactory, DeadlineFactory, OrganisationFactory, UserFactory
from tests.production.conftest import ROOT, database_url, start_gunicorn, stop_gunicorn

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

RESTORED_DB = "test_prod_restored"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def fresh_database():
    """An empty database beside the test database, dropped afterwards."""
    admin_url = database_url().rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{RESTORED_DB}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{RESTORED_DB}"')
    yield database_url().rsplit("/", 1)[0] + f"/{RESTORED_DB}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{RESTORED_DB}" WITH (FORCE)')


def api_answers(base: str, key: str, paths: list[str]) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {key}", "Host": "tracker.test", "X-Forwarded-Proto": "https"}
    answers = {}
    for path in paths:
        answer = requests.get(base + path, headers=headers, timeout=30)
        assert answer.status_code == 200, (path, answer.text[:300])
        answers[path] = answer.json() if "json" in answer.headers["Content-Type"] else answer.content
    return answers


def test_backup_then_restore_into_a_fresh_database_and_storage(
    production_env, production_folders, collected_static, fresh_database, tmp_path, settings
):
    settings.MEDIA_ROOT = production_folders["media"]  # the storage the production processes use
    owner = OrganisationFactory(ref="ORG-BAK")
    commitment = CommitmentFactory(owners=[owner])
    DeadlineFactory(commitment=commitment)
    desk = UserFactory(role=Role.DESK_OFFICER)
    updates = [
        services.commitment_update_status(
            commitment=commitment,
            status=Status.IN_PROGRESS,
            note="Minutes attached.",
            evidence_file=SimpleUploadedFile("minutes.pdf", PDF),
            by_user=desk,
        ),
        services.commitment_update_status(
            commitment=commitment,
            status=Status.AT_RISK,
            note="Site photo.",
            evidence_file=SimpleUploadedFile("site.png", PNG),
            by_user=desk,
        ),
    ]
    key = api_key_issue(organisation=owner, name="sync")[1]
    paths = [
        "/api/v1/frameworks/",
        "/api/v1/commitments/",
        f"/api/v1/commitments/{commitment.ref}/",
        "/api/v1/deadlines/",
        "/api/v1/status-updates/",
        *(f"/api/v1/status-updates/{u.pk}/evidence/" for u in updates),
    ]
    env = production_env()
    original = start_gunicorn(env, 18106, tmp_path / "original.log")
    try:
        before = api_answers(original.url, key, paths)
    finally:
        stop_gunicorn(original)
    assert before[paths[-2]] == PDF and before[paths[-1]] == PNG

    backup = tmp_path / "backup"
    make("backup", f"BACKUP_DIR={backup}", env=env)
    assert (backup / "database.dump").stat().st_size > 0

    restored_media = tmp_path / "restored-media"
    restored_env = production_env(DATABASE_URL=fresh_database, MEDIA_ROOT=str(restored_media))
    make("restore", f"BACKUP={backup}", env=restored_env)

    comparison = filecmp.dircmp(production_folders["media"], restored_media)
    stored = sorted(p.relative_to(production_folders["media"]) for p in production_folders["media"].rglob("*.*"))
    assert len(stored) >= 2
    for name in stored:
        assert (restored_media / name).read_bytes() == (production_folders["media"] / name).read_bytes()
    assert not comparison.left_only

    restored = start_gunicorn(restored_env, 18107, tmp_path / "restored.log")
    try:
        after = api_answers(restored.url, key, paths)
    finally:
        stop_gunicorn(restored)
    assert after == before

    # Restoring twice is refused: the database is no longer empty, and nothing is overwritten.
    again = subprocess.run(["make", "restore", f"BACKUP={backup}"], cwd=ROOT, env=restored_env, capture_output=True)
    assert again.returncode != 0 and b"restore into a new, empty database" in again.stderr
