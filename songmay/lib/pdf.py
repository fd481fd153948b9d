"""PDF documents from Django templates, rendered by WeasyPrint with nothing from the network.

Fonts come from the machine (fontconfig). Templates name DejaVu Serif / Sans first: it carries
every Vietnamese letter, while the Times and Arial clones that fontconfig substitutes for
"Times New Roman" or "Arial" (Liberation 1.x, Nimbus) lack some, and a letter missing from the
first font is drawn from another one. Images are inline data URIs or files under `base_url`.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import qrcode
from django.conf import settings
from django.template.loader import render_to_string
from qrcode.image.pil import PilImage
from weasyprint import HTML
from weasyprint.urls import URLFetcher

# Static files are read from disk; a template that names an http(s) URL gets nothing.
ALLOWED_PROTOCOLS = frozenset({"file", "data"})


class LocalURLFetcher(URLFetcher):
    """WeasyPrint's fetcher restricted to local files and data URIs: no network at run time."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=ALLOWED_PROTOCOLS, allow_redirects=False)


def render_pdf(
    template_name: str, context: Mapping[str, Any], *, base_url: str | Path | None = None
) -> bytes:
    """The template rendered to HTML, then laid out as PDF bytes."""
    html = render_to_string(template_name, dict(context))
    if base_url is None:
        base_url = Path(settings.BASE_DIR) / "static"
    if isinstance(base_url, Path):
        base_url = base_url.as_uri() + "/"
    document = HTML(string=html, base_url=base_url, url_fetcher=LocalURLFetcher())
    pdf: bytes = document.write_pdf()  # with no target, the PDF comes back as bytes
    return pdf


def qr_png_data_uri(text: str, *, border: int = 1) -> str:
    """A QR code of `text` as a PNG data URI, one pixel per module, for an <img> in a PDF.

    Error correction M survives a scratched or slightly smudged label. Scale it in CSS with
    `image-rendering: pixelated` so the modules stay sharp; a bitmap renders and extracts
    far faster than thousands of SVG squares on a sheet of labels.
    """
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=1,
        border=border,
        image_factory=PilImage,
    )
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
