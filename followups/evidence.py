"""Evidence files: what an upload really is, read from its content, never from its name.

A desk officer attaches a document after a call (a PDF, an Office file, an e-mail, a picture). The name's
extension must agree with what the first bytes say; a renamed executable, an HTML page called "minutes.pdf" or a
PDF called "photo.png" is refused. The kind found also decides the Content-Type the file is served with
(config.evidence), so a browser never guesses.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HEAD_BYTES = 64 * 1024  # enough for every signature below and for the text checks


@dataclass(frozen=True)
class EvidenceKind:
    name: str
    content_type: str
    extensions: tuple[str, ...]


PDF = EvidenceKind("PDF", "application/pdf", (".pdf",))
DOCX = EvidenceKind("Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = EvidenceKind("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
PPTX = EvidenceKind(
    "PowerPoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",)
)
# Word 97, Excel 97 and Outlook messages share one container format (OLE2).
OLE2 = EvidenceKind("Office 97 or Outlook", "application/octet-stream", (".doc", ".xls", ".msg"))
PNG = EvidenceKind("PNG image", "image/png", (".png",))
JPEG = EvidenceKind("JPEG image", "image/jpeg", (".jpg", ".jpeg"))
TEXT = EvidenceKind("text", "text/plain; charset=utf-8", (".txt",))
EMAIL = EvidenceKind("e-mail", "message/rfc822", (".eml",))
KINDS = (PDF, DOCX, XLSX, PPTX, OLE2, PNG, JPEG, TEXT, EMAIL)
EXTENSIONS = frozenset(ext for kind in KINDS for ext in kind.extensions)

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OOXML_PARTS = {DOCX: "word/", XLSX: "xl/", PPTX: "ppt/"}
_MARKUP = (b"<html", b"<!doctype", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe")


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def _ooxml_kind(stream: IO[bytes]) -> EvidenceKind | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for kind, folder in _OOXML_PARTS.items():
        if any(n.startswith(folder) for n in names):
            return kind
    return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a character cut at the end of the sample is fine
            return False
    lowered = head[:1024].lstrip().lower()
    return not lowered.startswith(_MARKUP)


def _is_email(head: bytes) -> bool:
    first = head.split(b"\n", 1)[0].strip()
    name, colon, _rest = first.partition(b":")
    return _is_text(head) and bool(colon) and name.replace(b"-", b"").isalnum()


def evidence_kind(stream: IO[bytes], name: str) -> EvidenceKind | None:
    """The kind of the file by its content, if the content agrees with the name's extension; else None.

    Reads from the start of `stream` and puts it back where it was.
    """
    extension = _extension(name)
    position = stream.tell()
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    found: EvidenceKind | None
    try:
        if head.startswith(b"%PDF-"):
            found = PDF
        elif head.startswith(b"PK\x03\x04"):
            stream.seek(0)
            found = _ooxml_kind(stream if stream.seekable() else io.BytesIO(stream.read()))
        elif head.startswith(_OLE2_MAGIC):
            found = OLE2
        elif head.startswith(b"\x89PNG\r\n\x1a\n"):
            found = PNG
        elif head.startswith(b"\xff\xd8\xff"):
            found = JPEG
        elif extension == ".eml" and _is_email(head):
            found = EMAIL
        elif extension == ".txt" and _is_text(head):
            found = TEXT
        else:
            found = None
    finally:
        stream.seek(position)
    return found if found is not None and extension in found.extensions else None


def evidence_check(upload) -> EvidenceKind:
    """Raise ValidationError unless `upload` (an UploadedFile) is small enough and of an accepted kind."""
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file is larger than %(size)s MB.") % {"size": limit // (1024 * 1024)}, code="too_large"
        )
    if _extension(upload.name) not in EXTENSIONS:
        raise ValidationError(_("This kind of file is not accepted as evidence."), code="kind")
    kind = evidence_kind(upload, upload.name)
    if kind is None:
        raise ValidationError(
            _("The file's content does not match its name: a PDF, Office document, e-mail, text or image is expected."),
            code="content",
        )
    return kind
