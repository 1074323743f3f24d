"""Where evidence files are kept: Django's storage API, on a local volume or an S3-compatible bucket.

Settings give EVIDENCE_STORAGE_URL; this turns it into the STORAGES["default"] entry. The files are never
served from a public address: config.evidence answers for them after checking who asks.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlparse


def storage_config(url: str) -> dict[str, Any]:
    """The STORAGES entry for `url`: "" or file:///path (a folder), or s3://bucket?endpoint_url=...&region_name=..."""
    if not url:  # MEDIA_ROOT, read when the storage is first used (tests may point it elsewhere)
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": parsed.path}}
    options: dict[str, Any] = dict(parse_qsl(parsed.query))
    options.update(
        bucket_name=parsed.netloc,
        location=parsed.path.strip("/"),
        # Objects stay private (the bucket's default); the permission-checked view streams them.
        querystring_auth=True,
        file_overwrite=False,
    )
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
