"""Where tenant backups are kept: a directory or an S3-compatible bucket (ADR 41).

``BACKUP_TARGET`` picks the store: ``file:///path`` (or empty: ``TENANT_BACKUP_DIR``) or
``s3://bucket/prefix`` (endpoint, region and keys from ``BACKUP_S3_*``; without keys boto3's
usual chain applies). Every store keeps ``<root>/<slug>/<slug>-<UTC stamp>.zip`` and offers the
same five operations: write (the export streams into the store), list, open (a readable stream
for the download), fetch (a local seekable copy for restore: a zip is read from its end) and
delete.

A bucket upload is a multipart upload fed as the archive is written (``MultipartWriter``): at
most one part (``BACKUP_S3_PART_MB``) is held in memory, and S3 shows the object only when the
upload is completed, so a failed export leaves nothing listed (the parts are aborted).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from django.conf import settings

BACKUP_NAME_RE = re.compile(r"^[a-z0-9-]+-\d{8}T\d{6}Z\.zip$")
CHUNK = 1 << 20
MIN_PART = 5 * 1024 * 1024  # S3's smallest part but the last

Writer = Callable[[IO[bytes]], None]


@dataclass(frozen=True)
class Target:
    scheme: str  # "file" or "s3"
    location: str  # directory, or bucket
    prefix: str = ""  # key prefix in the bucket ("" or "a/b/")


def parse_target(value: str, default_dir: str | os.PathLike[str] = "") -> Target:
    """``file:///path``, ``s3://bucket/prefix`` or empty (the default directory). Anything else
    is a ValueError: settings parse it at start, so a typo stops the process."""
    value = (value or "").strip()
    if not value:
        return Target("file", str(default_dir))
    parts = urlsplit(value)
    if parts.scheme == "file" and parts.path and not parts.netloc:
        return Target("file", parts.path)
    if parts.scheme == "s3" and parts.netloc:
        prefix = parts.path.strip("/")
        return Target("s3", parts.netloc, f"{prefix}/" if prefix else "")
    raise ValueError(
        f"BACKUP_TARGET must be file:///absolute/path or s3://bucket[/prefix], not {value!r}"
    )


def _check_name(name: str) -> None:
    from core.exceptions import ValidationFailed

    if not BACKUP_NAME_RE.match(name):
        raise ValidationFailed("Not a backup file name.", details={"name": name})


# --- a directory ------------------------------------------------------------------------------


class DirectoryStore:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def _folder(self, slug: str) -> Path:
        return self.root / slug

    def write(self, slug: str, name: str, writer: Writer) -> str:
        """The file appears only complete (written under a temporary name, then renamed)."""
        _check_name(name)
        folder = self._folder(slug)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        partial = folder / f".{name}.partial"
        try:
            with partial.open("wb") as sink:
                writer(sink)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return str(target)

    def list(self, slug: str) -> list[dict[str, Any]]:
        folder = self._folder(slug)
        if not folder.is_dir():
            return []
        entries = []
        for path in folder.iterdir():
            if BACKUP_NAME_RE.match(path.name) and path.is_file():
                stat = path.stat()
                entries.append(
                    {
                        "name": path.name,
                        "bytes": stat.st_size,
                        "created_at": datetime.fromtimestamp(stat.st_mtime, UTC),
                    }
                )
        return sorted(entries, key=lambda e: e["name"], reverse=True)

    def open(self, slug: str, name: str) -> IO[bytes] | None:
        if not BACKUP_NAME_RE.match(name):
            return None
        path = self._folder(slug) / name
        return path.open("rb") if path.is_file() else None

    @contextmanager
    def fetch(self, slug: str, name: str) -> Iterator[Path | None]:
        path = self._folder(slug) / name
        yield path if BACKUP_NAME_RE.match(name) and path.is_file() else None

    def delete(self, slug: str, names: list[str]) -> None:
        for name in names:
            if BACKUP_NAME_RE.match(name):
                (self._folder(slug) / name).unlink(missing_ok=True)

    def describe(self) -> str:
        return f"file://{self.root}"


# --- an S3-compatible bucket ------------------------------------------------------------------


def s3_client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings.BACKUP_S3_ENDPOINT_URL or None,
        region_name=settings.BACKUP_S3_REGION or None,
        aws_access_key_id=settings.BACKUP_S3_ACCESS_KEY_ID or None,
        aws_secret_access_key=settings.BACKUP_S3_SECRET_ACCESS_KEY or None,
        config=Config(
            s3={"addressing_style": settings.BACKUP_S3_ADDRESSING_STYLE},
            retries={"max_attempts": 5, "mode": "standard"},
        ),
    )


class MultipartWriter(io.RawIOBase):
    """A write-only, unseekable file whose bytes become an S3 multipart upload, one part per
    ``part_size`` bytes. ``zipfile`` writes to it as to a pipe (data descriptors instead of
    seeking back). ``commit()`` completes the upload; ``abort()`` (or leaving the ``with``
    block by an exception) discards the parts. ``peak_buffer`` is the most ever held."""

    def __init__(self, client: Any, bucket: str, key: str, part_size: int):
        super().__init__()
        self.client, self.bucket, self.key = client, bucket, key
        self.part_size = max(part_size, MIN_PART)
        self.buffer = bytearray()
        self.position = 0
        self.parts: list[dict[str, Any]] = []
        self.peak_buffer = 0
        self.upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        self.done = False

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.buffer += view
        self.position += len(view)
        self.peak_buffer = max(self.peak_buffer, len(self.buffer))
        while len(self.buffer) >= self.part_size:
            self._send(bytes(self.buffer[: self.part_size]))
            del self.buffer[: self.part_size]
        return len(view)

    def _send(self, data: bytes) -> None:
        number = len(self.parts) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data
        )
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def commit(self) -> None:
        if self.buffer or not self.parts:
            self._send(bytes(self.buffer))
            self.buffer.clear()
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )
        self.done = True

    def abort(self) -> None:
        if not self.done:
            self.done = True
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id
            )

    def close(self) -> None:
        if not self.closed and not self.done:
            self.abort()  # closed without commit(): nothing appears
        super().close()


class BucketStore:
    def __init__(self, bucket: str, prefix: str = "", client: Any = None):
        self.bucket, self.prefix = bucket, prefix
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client()
        return self._client

    def key(self, slug: str, name: str = "") -> str:
        return f"{self.prefix}{slug}/{name}"

    def write(self, slug: str, name: str, writer: Writer) -> str:
        _check_name(name)
        key = self.key(slug, name)
        sink = MultipartWriter(
            self.client, self.bucket, key, settings.BACKUP_S3_PART_MB * 1024 * 1024
        )
        try:
            writer(sink)  # type: ignore[arg-type]
            sink.commit()
        finally:
            sink.close()
        self.last_peak_buffer = sink.peak_buffer
        return f"s3://{self.bucket}/{key}"

    def list(self, slug: str) -> list[dict[str, Any]]:
        entries = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.key(slug)
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"][len(self.key(slug)) :]
                if BACKUP_NAME_RE.match(name):
                    entries.append(
                        {
                            "name": name,
                            "bytes": item["Size"],
                            "created_at": item["LastModified"].astimezone(UTC),
                        }
                    )
        return sorted(entries, key=lambda e: e["name"], reverse=True)

    def open(self, slug: str, name: str) -> IO[bytes] | None:
        if not BACKUP_NAME_RE.match(name):
            return None
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key(slug, name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise
        return answer["Body"]  # type: ignore[no-any-return]

    @contextmanager
    def fetch(self, slug: str, name: str) -> Iterator[Path | None]:
        """Download to a temporary file (ranged parts streamed to disk, never all in memory);
        removed on leaving the block."""
        if not BACKUP_NAME_RE.match(name):
            yield None
            return
        with download(self.bucket, self.key(slug, name), client=self.client) as path:
            yield path

    def delete(self, slug: str, names: list[str]) -> None:
        keys = [{"Key": self.key(slug, n)} for n in names if BACKUP_NAME_RE.match(n)]
        for start in range(0, len(keys), 1000):
            self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True}
            )

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@contextmanager
def download(bucket: str, key: str, *, client: Any = None) -> Iterator[Path | None]:
    """``s3://bucket/key`` into a temporary file; None when there is no such object."""
    from botocore.exceptions import ClientError

    client = client or s3_client()
    folder = Path(tempfile.mkdtemp(prefix="dp-restore-"))
    try:
        path = folder / "archive.zip"
        try:
            client.download_file(bucket, key, str(path))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                yield None
                return
            raise
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def parse_s3_url(value: str) -> tuple[str, str] | None:
    """``s3://bucket/key`` → (bucket, key); None for anything else."""
    parts = urlsplit(value)
    if parts.scheme != "s3" or not parts.netloc or not parts.path.strip("/"):
        return None
    return parts.netloc, parts.path.lstrip("/")


def store() -> DirectoryStore | BucketStore:
    """The configured store (read from settings at each call: tests change them)."""
    target = parse_target(settings.BACKUP_TARGET, settings.TENANT_BACKUP_DIR)
    if target.scheme == "s3":
        return BucketStore(target.location, target.prefix)
    return DirectoryStore(target.location)
