"""Accessibility and weight of the main pages of each role, in Chromium.

For every page: axe-core (bundled by the pinned axe-playwright-python, never fetched at run
time) finds no serious or critical WCAG 2.1 AA violation; at 360 px wide nothing makes the
page scroll sideways; and a first load with an empty cache transfers at most 150 KB (static
files counted as whitenoise sends them in production: see `sent`).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.staticfiles import finders
from whitenoise.compress import Compressor

from songmay.accounts.models import User
from songmay.allocation.services import run_create
from songmay.areas.models import Area
from songmay.campaigns.demo import BAC_GIANG, load_demo
from songmay.campaigns.models import Campaign
from songmay.connectivity.models import Operator
from songmay.connectivity.services import DeadSpotData, dead_spot_report
from songmay.donations.models import Donation, Donor
from songmay.donations.services import donor_trace_link_issue
from songmay.inventory.models import Device
from songmay.pool.transfer_services import outbreak_declare
from songmay.students.models import Need
from tests.e2e.test_allocation import lucngan  # noqa: F401 - the fixture, used by name
from tests.e2e.test_donations import DONOR
from tests.e2e.test_foundation import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1200, "height": 900}
BUDGET = 150 * 1024  # bytes of response bodies on a first load
# Pages shot at 360 px as artefacts.
SHOTS = {
    "/": "a11y-home",
    "/students/": "a11y-pupils",
    "/donations/ledger/": "a11y-ledger",
    "/connectivity/dead-spots/": "a11y-dead-spots",
}


@dataclass
class World:
    campaign: Campaign
    pages: dict[str | None, list[str]]  # username (None: a visitor) -> addresses


@pytest.fixture
def world(lucngan):  # noqa: F811 - the imported fixture
    """The demo with its gifts and devices, three pupils at Lục Ngạn, a dry run, a dead spot,
    an outbreak and a donor's trace link: enough for every main page to show real rows."""
    load_demo(students=False, gifts=True)
    campaign = Campaign.objects.get(name=BAC_GIANG)
    officer = User.objects.get(username="so.bacninh")
    run = run_create(actor=officer, campaign=campaign)
    spot = dead_spot_report(
        actor=officer,
        data=DeadSpotData(
            area=Area.objects.get(code="07582"), village="Thôn Khe Nghè",
            reported_on=dt.date(2021, 9, 15), latitude=Decimal("21.3856"),
            longitude=Decimal("106.5612"), households=42, pupils=17,
            operator=Operator.objects.get(code="viettel"), target_on=dt.date(2030, 12, 31),
        ),
    )  # fmt: skip
    outbreak = outbreak_declare(
        actor=officer, campaign=campaign, areas=[Area.objects.get(code="07582")],
        starts_on=dt.date(2021, 9, 20), decision="Quyết định 1234/QĐ-UBND",
    )  # fmt: skip
    donor = donor_trace_link_issue(actor=officer, donor=Donor.objects.get(name=DONOR))
    need = Need.objects.filter(school=lucngan).order_by("pk").first()
    donation = Donation.objects.filter(campaign=campaign).order_by("pk").first()
    device = Device.objects.filter(school=lucngan).order_by("pk").first()
    assert need and donation and device
    shared = ["/", "/dashboard/"]
    return World(
        campaign=campaign,
        pages={
            "so.bacninh": [
                *shared, "/students/", f"/students/{need.pk}/",
                "/donations/receipts/", f"/donations/receipts/{donation.pk}/",
                "/donations/ledger/", "/inventory/devices/", f"/inventory/devices/{device.pk}/",
                "/allocation/", "/allocation/runs/", f"/allocation/runs/{run.pk}/",
                f"/allocation/campaigns/{campaign.pk}/policy/",
                "/pool/", "/pool/outbreaks/", f"/pool/outbreaks/{outbreak.pk}/",
                "/pool/transfers/", "/pool/counts/", "/pool/repairs/",
                "/connectivity/dead-spots/", "/connectivity/dead-spots/map/",
                f"/connectivity/dead-spots/{spot.pk}/", "/connectivity/packages/",
            ],
            "truong.thlucngan": [
                *shared, "/students/", f"/students/{need.pk}/", "/students/import/",
                "/allocation/", "/pool/",
            ],
            "viettel": [
                *shared, "/connectivity/dead-spots/", "/connectivity/dead-spots/map/",
                f"/connectivity/dead-spots/{spot.pk}/", "/connectivity/packages/",
                "/connectivity/exchange/",
            ],
            "nhataitro": shared,
            None: [
                "/accounts/login/", "/public/", f"/public/campaigns/{campaign.pk}/",
                f"/public/trace/{donor.trace_token}/",
            ],
        },
    )  # fmt: skip


def sessions(browser, live_server, world):
    """(username, storage state) for each role: its cookies after logging in."""
    for username in world.pages:
        context = browser.new_context(base_url=live_server.url)
        if username:
            log_in(context.new_page(), username)
        yield username, context.storage_state()
        context.close()


def describe(violation) -> str:
    nodes = "\n".join(
        f"      {' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1]}"
        for node in violation["nodes"][:8]
    )
    return f"{violation['id']} ({violation['impact']}): {violation['help']}\n{nodes}"


def blocking_violations(axe, page) -> list[dict]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it stands."""
    results = axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]},
    )
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING]


def test_the_check_catches_an_unlabelled_field_and_faint_text(browser):
    """The same check on a page made to fail: proof that axe-core is loaded and run."""
    page = browser.new_page()
    page.set_content(
        '<html lang="vi"><head><title>Thử</title></head><body><main><h1>Thử</h1>'
        '<input type="text" name="q"><p style="color:#bbb;background:#fff">Chữ quá mờ</p>'
        "</main></body></html>"
    )
    found = {violation["id"] for violation in blocking_violations(Axe(), page)}
    page.close()
    assert {"label", "color-contrast"} <= found


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_serious_accessibility_violation_on_the_main_pages(
    browser, live_server, world, viewport
):
    axe = Axe()
    problems = []
    for username, state in sessions(browser, live_server, world):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, storage_state=state
        )
        page = context.new_page()
        for url in world.pages[username]:
            response = page.goto(url)
            assert response is not None and response.ok, (
                f"{username} {url}: {response and response.status}"
            )
            problems += [
                f"{username or 'visitor'} {url}: {describe(violation)}"
                for violation in blocking_violations(axe, page)
            ]
        if username == "so.bacninh":  # a page showing a message, after saving the policy
            page.goto(f"/allocation/campaigns/{world.campaign.pk}/policy/")
            page.get_by_role("button", name="Lưu chính sách").click()
            assert page.locator(".messages li").count()
            problems += [
                f"so.bacninh policy, saved: {describe(violation)}"
                for violation in blocking_violations(axe, page)
            ]
        context.close()
    assert not problems, "\n".join(problems)


def test_main_pages_fit_a_360_px_phone_and_weigh_at_most_150_kb(browser, live_server, world, shoot):
    too_wide, too_heavy = [], []
    for username, state in sessions(browser, live_server, world):
        for url in world.pages[username]:
            # A fresh context per page: an empty cache, as on a first visit.
            context = browser.new_context(
                base_url=live_server.url, viewport=PHONE, storage_state=state
            )
            page = context.new_page()
            finished = loaded(page, url)
            parts = sorted(((sent(request), request.url) for request in finished), reverse=True)
            weight = sum(size for size, _url in parts)
            if weight > BUDGET:
                raw = sum(request.sizes()["responseBodySize"] for request in finished)
                too_heavy.append(
                    f"{username or 'visitor'} {url}: {weight:,} B ({raw:,} B uncompressed) "
                    f"{parts[:4]}"
                )
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide = page.evaluate(WIDEST)
                too_wide.append(f"{username or 'visitor'} {url}: {width} px, widest {wide}")
            if url in SHOTS and username in ("so.bacninh", None):
                shoot(page, SHOTS[url])
            if username == "viettel" and url == "/connectivity/dead-spots/map/":
                shoot(page, "a11y-dead-spot-map-operator")
            if username == "so.bacninh" and url.endswith("/policy/"):
                shoot(page, "a11y-allocation-policy")
            if username is None and url.startswith("/public/campaigns/"):
                shoot(page, "a11y-public-campaign")
            context.close()
    assert not too_wide, "sideways scroll at 360 px:\n" + "\n".join(too_wide)
    assert not too_heavy, "over 150 KB on first load:\n" + "\n".join(too_heavy)


def sent(request) -> int:
    """Bytes of the response body as production sends them.

    The body size is what the live server sent. It serves static files raw, whereas production
    serves them through whitenoise's CompressedManifestStaticFilesStorage, which sends the
    gzip it made at collectstatic time when that saves at least 5 %: a static file is counted
    at that size, made by whitenoise's own compressor. Pages themselves are counted as sent.
    """
    size = request.sizes()["responseBodySize"]
    path = urlsplit(request.url).path
    if not path.startswith(settings.STATIC_URL) or not COMPRESSOR.should_compress(path):
        return size
    found = finders.find(path.removeprefix(settings.STATIC_URL))
    assert found, f"{path}: served, but no static file"
    gzipped = len(Compressor.compress_gzip(Path(found).read_bytes()))
    return gzipped if gzipped <= 0.95 * size else size


COMPRESSOR = Compressor(quiet=True)


def loaded(page, url) -> list:
    """Open the page and wait for the network to settle; every request it finished."""
    finished = []

    def keep(request):
        finished.append(request)

    page.on("requestfinished", keep)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return finished


# The elements that stick out past the viewport's right edge, outermost first: what to fix.
WIDEST = """() => {
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > window.innerWidth + 1 && !el.closest(".table-wrap")) {
      const classes = typeof el.className === "string" ? el.className.trim() : "";
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
               (classes ? "." + classes.replace(/\\s+/g, ".") : "") + " " + Math.round(box.right));
    }
    if (out.length >= 6) break;
  }
  return out;
}"""
