import pytest

from songmay.lib.pdf import LocalURLFetcher


@pytest.mark.parametrize("url", ["https://fonts.example.com/a.css", "http://127.0.0.1/x.png"])
def test_pdfs_never_fetch_from_the_network(url):
    with pytest.raises(ValueError, match="disallowed protocol"):
        LocalURLFetcher().fetch(url)


def test_pdfs_read_inline_images():
    assert LocalURLFetcher().fetch("data:text/plain;base64,xJDDtG5n").read().decode() == "Đông"
