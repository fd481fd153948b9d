import io

import pytest

from songmay.lib.uploads import PHOTOS, SCANS, UploadRefusedError, upload_extension


class Upload(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.size = len(data)


@pytest.mark.parametrize(
    ("head", "extension"),
    [(b"%PDF-1.7 ...", "pdf"), (b"\xff\xd8\xff\xe0...", "jpg"), (b"\x89PNG\r\n\x1a\n...", "png")],
)
def test_a_scan_is_known_by_its_first_bytes(head, extension):
    upload = Upload(head)
    assert upload_extension(upload, accept=SCANS, max_bytes=100, what="Tệp") == extension
    assert upload.read() == head  # left ready to be saved


def test_a_web_page_named_like_a_photo_is_refused_with_what_is_accepted():
    with pytest.raises(UploadRefusedError, match=r"^Ảnh phải là tệp JPEG hoặc PNG\.$") as error:
        upload_extension(Upload(b"<html>"), accept=PHOTOS, max_bytes=100, what="Ảnh", field="photo")
    assert error.value.field == "photo"


def test_a_file_over_the_limit_is_refused_with_both_sizes():
    with pytest.raises(UploadRefusedError, match=r"Tệp lớn quá \(2 MB\); tối đa 1 MB\."):
        upload_extension(
            Upload(b"%PDF-" + b"0" * (2 * 1024 * 1024 - 5)), accept=SCANS,
            max_bytes=1024 * 1024, what="Tệp",
        )  # fmt: skip
