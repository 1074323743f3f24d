"""Copying every file of the default storage (evidence files) to a backup folder and back, checked by sha256.

Works for any storage behind Django's API (a volume or an S3-compatible bucket): scripts/backup.sh and
scripts/restore.sh call these through `manage.py evidence_export` / `evidence_import`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from django.core.files import File
from django.core.files.storage import Storage, default_storage

MANIFEST = "evidence-manifest.json"
CHUNK = 1024 * 1024


class RestoreError(Exception):
    pass


def _walk(storage: Storage, folder: str = "") -> Iterator[str]:
    folders, files = storage.listdir(folder)
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from _walk(storage, f"{folder}/{sub}" if folder else sub)


def _copy(source, target) -> str:
    digest = hashlib.sha256()
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
    return digest.hexdigest()


def evidence_export(*, folder: Path, storage: Storage = default_storage) -> dict[str, str]:
    """Copy every stored file into folder/evidence/ and write the manifest (name -> sha256). Safe to run twice
    into a new folder; refuses a folder that already holds a manifest."""
    manifest_path = folder / MANIFEST
    if manifest_path.exists():
        raise RestoreError(f"{folder} already holds a backup of the evidence files")
    hashes: dict[str, str] = {}
    for name in _walk(storage) if _exists(storage) else []:
        target = folder / "evidence" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, target.open("wb") as out:
            hashes[name] = _copy(source, out)
    manifest_path.write_text(json.dumps({"files": hashes}, indent=2, sort_keys=True))
    return hashes


def _exists(storage: Storage) -> bool:
    try:
        storage.listdir("")
    except FileNotFoundError:  # a volume on which nothing was ever uploaded
        return False
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def evidence_import(*, folder: Path, storage: Storage = default_storage) -> int:
    """Put every file of the backup back under its own name, after checking its sha256. A file already stored
    with the same content is left; one with other content stops the restore (nothing is overwritten).
    Safe to run twice. Returns the number of files written."""
    files: dict[str, str] = json.loads((folder / MANIFEST).read_text())["files"]
    for name, expected in files.items():
        if _sha256(folder / "evidence" / name) != expected:
            raise RestoreError(f"{name}: the backup's copy is damaged (sha256 differs from the manifest)")
    written = 0
    for name, expected in files.items():
        if storage.exists(name):
            with storage.open(name, "rb") as present:
                if hashlib.sha256(present.read()).hexdigest() != expected:
                    raise RestoreError(f"{name}: a different file is already stored under this name")
            continue
        with (folder / "evidence" / name).open("rb") as source:
            saved = storage.save(name, File(source, name=name))
        if saved != name:
            raise RestoreError(f"{name}: the storage saved it as {saved}")
        written += 1
    return written
