"""The upload guard: size limit, type by content sniffing (never by extension), safe filenames.

Every endpoint that takes a file calls ``guard_upload`` before it reads the file further.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings

from core.exceptions import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

SNIFF_BYTES = 64 * 1024
_SAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
KINDS = {"csv", "xlsx", "json"}
_ONE_COLUMN_HEADER = re.compile(r'^"?\w[\w .-]{0,63}"?\r?$')


@dataclass(frozen=True)
class GuardedUpload:
    filename: str
    kind: str
    size: int


def sanitise_filename(name: str) -> str:
    """A plain file name safe to store. Any path component or traversal is refused (400)."""
    if not name or "\x00" in name:
        raise ValidationFailed("The file has no usable name.", details={"filename": name})
    if "/" in name or "\\" in name or name in {".", ".."} or ".." in name.split("."):
        raise ValidationFailed(
            "File names may not contain path components.", details={"filename": name}
        )
    normalised = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = _SAFE_CHARS.sub("_", normalised).strip("._")
    if not cleaned:
        raise ValidationFailed("The file has no usable name.", details={"filename": name})
    return cleaned[:150]


def sniff_kind(head: bytes, stream: IO[bytes] | None = None) -> str | None:
    """Recognise the content: an XLSX workbook, JSON, or UTF-8 delimited text (CSV)."""
    if head.startswith(b"PK\x03\x04"):
        if stream is None:
            return None
        try:
            stream.seek(0)
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        finally:
            stream.seek(0)
        return "xlsx" if "[Content_Types].xml" in names and "xl/workbook.xml" in names else None
    if b"\x00" in head:
        return None  # binary
    text_head = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    try:
        text = text_head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sniff boundary is still valid text.
        if exc.start < len(text_head) - 3:
            return None
        text = text_head[: exc.start].decode("utf-8")
    stripped = text.lstrip()
    if stripped[:1] in {"{", "["}:
        return "json"
    first_line = stripped.splitlines()[0] if stripped else ""
    if first_line and ("," in first_line or ";" in first_line or "\t" in first_line):
        return "csv"
    if _ONE_COLUMN_HEADER.match(first_line) and "\n" in stripped:
        # A one-column CSV (a header name, then rows): the importer then names the columns
        # it misses, which says more than "content not recognised".
        return "csv"
    return None


def guard_upload(uploaded, *, allowed: set[str], max_bytes: int | None = None) -> GuardedUpload:
    """Check an uploaded file (Django ``UploadedFile`` or any object with ``name``, ``size`` and
    a binary ``file``). Raises 413 when too large, 415 when the content is not one of
    ``allowed`` (``csv``, ``xlsx``, ``json``), 400 for a bad name."""
    limit = max_bytes or settings.UPLOAD_MAX_BYTES
    filename = sanitise_filename(getattr(uploaded, "name", "") or "")
    size = int(getattr(uploaded, "size", 0) or 0)
    if size > limit:
        raise PayloadTooLarge(
            f"The file is {size} bytes; the limit is {limit} bytes.",
            details={"size": size, "limit": limit},
        )
    if size == 0:
        raise ValidationFailed("The file is empty.", details={"filename": filename})
    stream = uploaded.file if hasattr(uploaded, "file") else uploaded
    if not hasattr(stream, "seek"):
        stream = io.BytesIO(stream.read())
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    kind = sniff_kind(head, stream)
    if kind is None or kind not in allowed:
        raise UnsupportedMediaType(
            f"Expected one of {', '.join(sorted(allowed))}; the content is "
            f"{kind or 'not recognised'}.",
            details={"detected": kind, "allowed": sorted(allowed)},
        )
    return GuardedUpload(filename=filename, kind=kind, size=size)
