"""Scans and photos people upload: recognised by their first bytes, never by the name a phone
gave the file, and kept within the size limit."""

from __future__ import annotations

from typing import IO

from songmay.lib.errors import DomainError

# The first bytes of each accepted format, and how the format is named to a person.
_SIGNATURES = {
    "pdf": (b"%PDF-", "PDF"),
    "jpg": (b"\xff\xd8\xff", "JPEG"),
    "png": (b"\x89PNG\r\n\x1a\n", "PNG"),
}
SCANS = ("pdf", "jpg", "png")  # a signed page: scanned or photographed
PHOTOS = ("jpg", "png")


class UploadRefusedError(DomainError):
    """Raised by services as any DomainError; a form shows it beside the file field."""


def megabytes(size: int) -> str:
    """10485760 -> "10 MB", the way the limit is told to a person."""
    return f"{size / 1024 / 1024:.1f}".replace(".", ",").replace(",0", "") + " MB"


def upload_extension(
    upload: IO[bytes], *, accept: tuple[str, ...], max_bytes: int, what: str, field: str = ""
) -> str:
    """The file's true extension ("pdf", "jpg", "png"), or UploadRefusedError saying why.

    `what` names the file in the message, e.g. "Bản chụp", "Ảnh".
    """
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise UploadRefusedError(
            f"{what} lớn quá ({megabytes(size)}); tối đa {megabytes(max_bytes)}. "
            "Hãy chụp hoặc quét lại với độ phân giải thấp hơn.",
            field=field or None,
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for extension in accept:
        if head.startswith(_SIGNATURES[extension][0]):
            return extension
    names = [_SIGNATURES[extension][1] for extension in accept]
    listed = ", ".join(names[:-1]) + " hoặc " + names[-1] if len(names) > 1 else names[0]
    raise UploadRefusedError(f"{what} phải là tệp {listed}.", field=field or None)
