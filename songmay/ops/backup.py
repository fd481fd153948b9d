"""Backups: the database and the uploaded files (MEDIA_ROOT) in one .tar.gz archive, and back.

SQLite is copied with its online backup API, consistent while the site runs (the file itself
must not be copied: WAL mode). PostgreSQL is dumped with `pg_dump --format=custom` and
restored with `pg_restore --clean --if-exists`; the client must be at least the server's
major version. The archive holds `manifest.json`, `database.sqlite3` or `database.dump`, and
`media/`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.dump"
MEDIA_MEMBER = "media"


class BackupError(Exception):
    """A backup or restore that cannot go on; `message` says why, in one Vietnamese line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Manifest:
    engine: str  # "sqlite" or "postgresql"
    created_at: str
    migrations: int
    media_files: int
    format: int = FORMAT


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Không hỗ trợ sao lưu cơ sở dữ liệu loại “{vendor}”.")
    return vendor


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _count_files(root: Path) -> int:
    return sum(1 for path in root.rglob("*") if path.is_file()) if root.is_dir() else 0


# --- PostgreSQL client programs -----------------------------------------------------------


def _major(version_text: str) -> int:
    found = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not found:
        raise BackupError(f"Không đọc được phiên bản từ “{version_text.strip()}”.")
    return int(found.group(1))


def pg_program(name: str) -> str:
    """The path of `pg_dump` or `pg_restore` whose major version is at least the server's.

    Looks in SONGMAY_PG_BIN, then /usr/lib/postgresql/<server major>/bin (Debian keeps one
    per version there), then PATH.
    """
    connection.ensure_connection()
    server = connection.pg_version // 10000  # type: ignore[attr-defined]
    candidates = [
        os.environ.get("SONGMAY_PG_BIN", ""),
        f"/usr/lib/postgresql/{server}/bin",
        *sorted((str(path) for path in Path("/usr/lib/postgresql").glob("*/bin")), reverse=True),
    ]
    found = [
        str(Path(folder) / name)
        for folder in candidates
        if folder and (Path(folder) / name).is_file()
    ]
    on_path = shutil.which(name)
    if on_path:
        found.append(on_path)
    if not found:
        raise BackupError(
            f"Không tìm thấy chương trình {name}: hãy cài gói postgresql-client phiên bản "
            f"{server} (hoặc mới hơn), hoặc đặt SONGMAY_PG_BIN là thư mục chứa nó."
        )
    for program in found:
        version = subprocess.run(  # noqa: S603 - a program found above, fixed argument
            [program, "--version"], capture_output=True, text=True, check=False
        ).stdout
        if _major(version) >= server:
            return program
    raise BackupError(
        f"{name} ({found[0]}) cũ hơn máy chủ PostgreSQL {server}: hãy cài postgresql-client "
        f"phiên bản {server} hoặc đặt SONGMAY_PG_BIN."
    )


def _pg_env() -> dict[str, str]:
    """libpq's variables for the current database: no password on a command line."""
    params = connection.settings_dict
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"), ("PGDATABASE", "NAME"),
    ):  # fmt: skip
        if params.get(key):
            env[variable] = str(params[key])
    if params.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = params["OPTIONS"]["sslmode"]
    return env


def _run(arguments: list[str]) -> None:
    done = subprocess.run(  # noqa: S603 - our own program path and fixed options
        arguments, env=_pg_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["lỗi không rõ"])[-1]
        raise BackupError(f"{Path(arguments[0]).name} thất bại: {last}")


# --- backup --------------------------------------------------------------------------------


def _sqlite_copy(target: Path) -> None:
    connection.ensure_connection()
    source: sqlite3.Connection = connection.connection
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()


def backup_create(path: Path) -> Manifest:
    """Write the database and MEDIA_ROOT into one .tar.gz archive at `path`."""
    engine = _engine()
    path = Path(path)
    if not path.parent.is_dir():
        raise BackupError(f"Thư mục “{path.parent}” không tồn tại.")
    media = _media_root()
    manifest = Manifest(
        engine=engine,
        created_at=timezone.now().isoformat(),
        migrations=MigrationRecorder(connection).migration_qs.count(),
        media_files=_count_files(media),
    )
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".songmay-backup-") as work:
        folder = Path(work)
        if engine == "sqlite":
            member = SQLITE_MEMBER
            _sqlite_copy(folder / member)
        else:
            member = POSTGRES_MEMBER
            program = pg_program("pg_dump")
            _run([program, "--format=custom", "--no-owner", f"--file={folder / member}"])
        (folder / MANIFEST).write_text(json.dumps(manifest.__dict__, indent=2))
        partial = folder / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(folder / MANIFEST, arcname=MANIFEST)
            archive.add(folder / member, arcname=member)
            if media.is_dir():
                archive.add(media, arcname=MEDIA_MEMBER)
        # Whole or not at all: a half-written archive never takes the name.
        partial.replace(path)
    return manifest


# --- restore -------------------------------------------------------------------------------


def _read_manifest(archive: tarfile.TarFile) -> Manifest:
    try:
        member = archive.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise BackupError("Tệp này không phải bản sao lưu của Songmay (thiếu manifest.json).")
    data: dict[str, Any] = json.loads(member.read())
    if data.get("format") != FORMAT:
        raise BackupError(f"Bản sao lưu định dạng {data.get('format')} không được hỗ trợ.")
    return Manifest(**data)


def _restore_media(extracted: Path) -> None:
    """Make MEDIA_ROOT exactly the archive's files: swapped in whole, the old tree removed."""
    media = _media_root()
    media.parent.mkdir(parents=True, exist_ok=True)
    incoming = extracted / MEDIA_MEMBER
    if not incoming.is_dir():
        incoming.mkdir()
    staged = Path(tempfile.mkdtemp(dir=media.parent, prefix=".songmay-media-"))
    staged.rmdir()
    shutil.move(str(incoming), staged)
    old = media.with_name(f".{media.name}-old-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}")
    if media.exists():
        media.rename(old)
    staged.rename(media)
    if old.exists():
        shutil.rmtree(old)


def backup_restore(path: Path) -> Manifest:
    """Replace the database and MEDIA_ROOT with the archive's. Stop the site first."""
    engine = _engine()
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Không có tệp “{path}”.")
    if not tarfile.is_tarfile(path):
        raise BackupError(f"“{path}” không phải tệp sao lưu (.tar.gz) đọc được.")
    with (
        tarfile.open(path, "r:*") as archive,
        tempfile.TemporaryDirectory(prefix=".songmay-restore-") as work,
    ):
        manifest = _read_manifest(archive)
        if manifest.engine != engine:
            raise BackupError(
                f"Bản sao lưu này của {manifest.engine}, không khôi phục vào {engine} được; "
                "hãy dùng cơ sở dữ liệu cùng loại (DATABASE_URL)."
            )
        archive.extractall(work, filter="data")
        folder = Path(work)
        if engine == "sqlite":
            copy = sqlite3.connect(folder / SQLITE_MEMBER)
            connection.ensure_connection()
            try:
                copy.backup(connection.connection)
            finally:
                copy.close()
        else:
            program = pg_program("pg_restore")
            connection.close()  # the dump drops and recreates every table
            _run(
                [
                    program, "--clean", "--if-exists", "--no-owner", "--no-privileges",
                    "--single-transaction", "--exit-on-error",
                    f"--dbname={connection.settings_dict['NAME']}",
                    str(folder / POSTGRES_MEMBER),
                ]
            )  # fmt: skip
        _restore_media(folder)
    return manifest
