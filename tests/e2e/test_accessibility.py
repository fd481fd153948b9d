"""Accessibility and weight of every page of the site, in Chromium.

For every page: axe-core (bundled by the pinned axe-playwright-python, never fetched at run
time) finds no serious or critical WCAG 2.1 AA violation, at 1200 and at 360 px wide; no id is
used twice (axe-core no longer checks WCAG 2.1's 4.1.1, yet a label that names two fields
misleads a screen reader); at 360 px nothing makes the page scroll sideways; and a first load
with an empty cache transfers at most 150 KB (static files counted as whitenoise sends them in
production: see `sent`).

`PAGES` names every page by its URL name, with who opens it in the world below. The addresses
that are not pages are listed in `DOWNLOADS`, `ACTIONS` and `NOT_PAGES`, each with its reason;
tests/test_page_catalogue.py fails when a URL of the site is in none of them, so a new page
cannot be added without being checked here.
"""

import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from playwright.sync_api import expect
from whitenoise.compress import Compressor

from songmay.accounts.models import User
from songmay.accounts.scope import Role
from songmay.accounts.services import UserData, two_factor_begin, two_factor_confirm, user_create
from songmay.allocation.models import Assignment
from songmay.allocation.services import handover_record, run_approve, run_create
from songmay.areas.models import Area
from songmay.campaigns.demo import BAC_GIANG, DEMO_PASSWORD, load_demo
from songmay.campaigns.models import Campaign
from songmay.connectivity.models import Operator
from songmay.connectivity.package_services import (
    PackageData,
    batch_export,
    broadband_request,
    package_create,
    support_request,
)
from songmay.connectivity.services import DeadSpotData, dead_spot_report, dead_spot_status_change
from songmay.donations.models import Donation, Donor, Pledge
from songmay.donations.services import SpendingData, donor_trace_link_issue, spending_record
from songmay.inventory.models import Device, Warehouse
from songmay.inventory.services import DeviceData, device_register, device_status_change
from songmay.jobs.models import JobStatus
from songmay.jobs.services import job_start
from songmay.pool.services import loan_out, loan_return, recall_start, write_off_request
from songmay.pool.transfer_services import (
    outbreak_declare,
    transfer_approve,
    transfer_request,
    transfer_send,
)
from songmay.students.importing.jobs import template_xlsx
from songmay.students.models import DuplicateCandidate, Need
from songmay.students.services import StudentData, needs_confirm, student_register
from tests.e2e.test_allocation import lucngan  # noqa: F401 - the fixture, used by name
from tests.e2e.test_donations import DONOR
from tests.e2e.test_foundation import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1200, "height": 900}
BUDGET = 150 * 1024  # bytes of response bodies on a first load

# The demo's log-ins (campaigns/demo.py), and one made below whose account has two-factor
# authentication on: after the password it sees only the page asking for the code.
PROVINCE, AREA, SCHOOL = "so.bacninh", "xa.lucngan", "truong.thlucngan"
DONOR_USER, OPERATOR, AUDITOR, ADMIN = "nhataitro", "viettel", "thanhtra", "admin"
TWO_FACTOR = "so.xacthuc"
VISITOR = None
EVERY_ROLE = (ADMIN, PROVINCE, AREA, SCHOOL, DONOR_USER, OPERATOR, AUDITOR)

# Every page, by URL name, and who opens it: a role allowed to see it, or several where the
# page differs by role. An address with an object in it is made in `world`.
PAGES: dict[str, tuple[str | None, ...]] = {
    "home": EVERY_ROLE,
    "accounts:login": (VISITOR,),
    "accounts:two_factor": (PROVINCE, TWO_FACTOR),  # setting it up; asking for the code
    "accounts:profile": (SCHOOL, DONOR_USER),
    "accounts:password": (SCHOOL,),
    "accounts:user_list": (ADMIN,),
    "accounts:user_create": (ADMIN,),
    "accounts:user_edit": (PROVINCE,),
    "areas:area_list": (AREA,),
    "areas:area_create": (ADMIN,),
    "areas:area_detail": (AREA,),
    "areas:school_list": (PROVINCE,),
    "areas:school_create": (AREA,),
    "areas:school_import": (PROVINCE,),
    "areas:school_detail": (SCHOOL,),
    "areas:school_edit": (AREA,),
    "campaigns:list": (PROVINCE,),
    "campaigns:create": (PROVINCE,),
    "campaigns:detail": (AREA,),
    "campaigns:edit": (PROVINCE,),
    "students:list": (PROVINCE, SCHOOL),
    "students:create": (SCHOOL,),
    "students:duplicates": (AREA,),
    "students:duplicate": (AREA,),
    "students:detail": (PROVINCE, SCHOOL),
    "students:edit": (SCHOOL,),
    "students:import": (SCHOOL,),
    "donations:donor_list": (PROVINCE,),
    "donations:donor_create": (PROVINCE,),
    "donations:donor_detail": (PROVINCE, DONOR_USER),
    "donations:donor_edit": (PROVINCE,),
    "donations:pledge_list": (PROVINCE,),
    "donations:pledge_create": (PROVINCE,),
    "donations:pledge_detail": (PROVINCE,),
    "donations:donation_list": (PROVINCE, DONOR_USER),
    "donations:donation_create": (PROVINCE,),
    "donations:donation_detail": (PROVINCE, DONOR_USER),
    "donations:ledger": (PROVINCE, AUDITOR),
    "donations:spending_create": (PROVINCE,),
    "donations:spending_detail": (PROVINCE,),
    "inventory:device_list": (PROVINCE, SCHOOL),
    "inventory:device_register": (PROVINCE,),
    "inventory:device_detail": (PROVINCE, SCHOOL),
    "inventory:device_edit": (PROVINCE,),
    "inventory:minimum_specs": (PROVINCE,),
    "inventory:warehouse_list": (PROVINCE,),
    "inventory:warehouse_create": (PROVINCE,),
    "inventory:import": (PROVINCE,),
    "allocation:assignment_list": (PROVINCE, SCHOOL),
    "allocation:policy": (PROVINCE,),
    "allocation:run_list": (PROVINCE,),
    "allocation:run_detail": (PROVINCE,),  # an approved run and a draft
    "allocation:handover_record": (SCHOOL,),  # to record, and recorded
    "connectivity:dead_spot_list": (PROVINCE, OPERATOR),
    "connectivity:dead_spot_create": (AREA,),
    "connectivity:dead_spot_map": (PROVINCE, OPERATOR),
    "connectivity:dead_spot_import": (AREA,),
    "connectivity:dead_spot_detail": (PROVINCE, OPERATOR),
    "connectivity:dead_spot_edit": (AREA,),
    "connectivity:package_list": (PROVINCE, OPERATOR),
    "connectivity:package_create": (PROVINCE,),
    "connectivity:package_edit": (PROVINCE,),
    "connectivity:support_list": (SCHOOL, OPERATOR),
    "connectivity:package_request": (SCHOOL,),
    "connectivity:broadband_create": (SCHOOL,),
    "connectivity:exchange": (OPERATOR,),
    "connectivity:broadband_list": (OPERATOR,),
    "connectivity:broadband_edit": (OPERATOR,),
    "pool:loan_list": (PROVINCE, SCHOOL),
    "pool:loan_create": (PROVINCE,),
    "pool:loan_detail": (SCHOOL,),  # lent, and returned with a photo
    "pool:repair_list": (PROVINCE,),
    "pool:write_off_list": (PROVINCE,),
    "pool:recall_list": (PROVINCE,),
    "pool:recall_create": (PROVINCE,),
    "pool:recall_detail": (PROVINCE, SCHOOL),
    "pool:transfer_list": (PROVINCE,),
    "pool:transfer_request": (PROVINCE,),
    "pool:transfer_detail": (PROVINCE,),
    "pool:transfer_receive": (SCHOOL,),
    "pool:outbreak_list": (PROVINCE,),
    "pool:outbreak_declare": (PROVINCE,),
    "pool:outbreak_detail": (PROVINCE,),
    "pool:counts": (PROVINCE,),
    # The donor's and the operator's own dashboards; staff are sent on to their campaign's.
    "dashboards:home": (DONOR_USER, OPERATOR),
    "dashboards:campaign": (PROVINCE,),
    "dashboards:area": (AREA,),
    "dashboards:school": (SCHOOL,),
    "reports:public_index": (VISITOR,),
    "reports:public_campaign": (VISITOR,),
    "reports:donor_trace": (VISITOR,),
    "audit:list": (AUDITOR,),
    "jobs:list": (SCHOOL,),
    "jobs:detail": (SCHOOL,),  # a checked file awaiting confirmation, and one with errors
}

# Files, not pages: each is fetched once as this user to prove it is not an HTML page.
DOWNLOADS: dict[str, str | None] = {
    "areas:school_import_template": PROVINCE,
    "students:export": PROVINCE,
    "students:import_template": SCHOOL,
    "donations:donation_letter": PROVINCE,  # PDF
    # PDF; its refusal (too many labels, a bad id) is an HTML page: checked in `world.errors`.
    "inventory:labels": PROVINCE,
    "inventory:import_template": PROVINCE,
    "allocation:handover_scan": SCHOOL,  # the signed record's scan, as uploaded
    "allocation:handover_pdf": SCHOOL,
    "connectivity:dead_spot_import_template": AREA,
    "connectivity:dead_spot_evidence": PROVINCE,  # the uploaded photo
    "connectivity:batch_download": OPERATOR,  # CSV for the operator's system
    "pool:loan_photo": SCHOOL,  # the uploaded photo
    "dashboards:report": PROVINCE,  # xlsx or PDF
    "reports:public_campaign_csv": VISITOR,
    "audit:export": AUDITOR,
    "jobs:errors_xlsx": SCHOOL,
    "jobs:errors_sheet": SCHOOL,
}

# Actions: POST only (GET answers 405, checked in tests/test_page_catalogue.py). Each redirects
# to a page listed above, which shows its message (a saved message is checked below).
ACTIONS = frozenset({
    "accounts:logout", "accounts:token_create", "accounts:token_revoke",
    "students:confirm", "students:withdraw",
    "donations:donor_trace_issue", "donations:donor_trace_revoke", "donations:pledge_cancel",
    "donations:donation_review",
    "inventory:device_status", "inventory:device_move",
    "allocation:run_create", "allocation:run_rerun", "allocation:run_approve",
    "allocation:run_discard", "allocation:assignment_return",
    "connectivity:dead_spot_status",
    "pool:repair_finish", "pool:write_off_create", "pool:write_off_decide", "pool:recall_answer",
    "pool:transfer_approve", "pool:transfer_send", "pool:transfer_cancel", "pool:transfer_close",
    "pool:outbreak_approve", "pool:outbreak_end",
    "jobs:confirm",
})  # fmt: skip

# The rest, by URL name or (for addresses without a name) route prefix.
NOT_PAGES: dict[str, str] = {
    "healthz": "the load balancer's probe: JSON",
    "readyz": "the load balancer's probe: JSON",
    "set_language": "Django's language switch: a redirect back to the page it was pressed on",
    "api/v1/": "the JSON API (django-ninja); its errors are JSON too, never an HTML page",
}

# Pages shot at 360 px as artefacts, by (who, URL name).
SHOTS = {
    (PROVINCE, "home"): "a11y-home",
    (PROVINCE, "students:list"): "a11y-pupils",
    (PROVINCE, "donations:ledger"): "a11y-ledger",
    (PROVINCE, "connectivity:dead_spot_list"): "a11y-dead-spots",
    (OPERATOR, "connectivity:dead_spot_map"): "a11y-dead-spot-map-operator",
    (PROVINCE, "allocation:policy"): "a11y-allocation-policy",
    (VISITOR, "reports:public_campaign"): "a11y-public-campaign",
    (PROVINCE, "inventory:device_detail"): "a11y-device-detail",
    (SCHOOL, "jobs:detail"): "a11y-job",
    (SCHOOL, "allocation:handover_record"): "a11y-handover",
    (SCHOOL, "pool:transfer_receive"): "a11y-transfer-receive",
    (PROVINCE, "allocation:run_detail"): "a11y-run",
    (TWO_FACTOR, "accounts:two_factor"): "a11y-two-factor",
    (AUDITOR, "audit:list"): "a11y-audit",
    (PROVINCE, "dashboards:campaign"): "a11y-dashboard",
}


@dataclass(frozen=True)
class Visit:
    who: str | None
    name: str  # the URL name, or what the page is when it answers any address (404, 403...)
    url: str
    status: int = 200


@dataclass
class World:
    campaign: Campaign
    # URL name -> its addresses here; names without one are reversed with no arguments.
    addresses: dict[str, list[str]] = field(default_factory=dict)
    # Pages any address may answer with (not found, forbidden, a refused request).
    errors: list[Visit] = field(default_factory=list)

    def address(self, name: str) -> list[str]:
        return self.addresses.get(name) or [reverse(name)]

    def visits(self) -> dict[str | None, list[Visit]]:
        """Who opens what, grouped by who: each role logs in once."""
        grouped: dict[str | None, list[Visit]] = defaultdict(list)
        for name, people in PAGES.items():
            for who in people:
                grouped[who] += [Visit(who, name, url) for url in self.address(name)]
        for visit in self.errors:
            grouped[visit.who].append(visit)
        return grouped


def _today() -> dt.date:
    return timezone.localdate()


def _pupil(campaign, school, name, born, *, lacking="device", household="poor") -> Need:
    return student_register(
        actor=None, campaign=campaign, school=school,
        data=StudentData(
            full_name=name, date_of_birth=born, level="primary", lacking=lacking,
            household=household, class_name="4A", guardian_name="Nguyễn Văn Bình",
            guardian_phone="0983934091",
        ),
    )  # fmt: skip


def _ready(device: Device) -> Device:
    for status in ("inspected", "available"):
        device = device_status_change(actor=None, device=device, status=status)
    return device


def _image(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"0" * 32, content_type="image/png")


def _xlsx_with_errors(good: bytes) -> bytes:
    """The pupils' template with its example row spoilt: no name, a birth date in the future."""
    book = openpyxl.load_workbook(io.BytesIO(good))
    sheet = book.worksheets[0]
    header = next(row for row in sheet.iter_rows() if any(c.value == "Họ và tên" for c in row))
    columns = {cell.value: cell.column for cell in header}
    row = header[0].row + 1
    sheet.cell(row=row, column=columns["Họ và tên"], value="")
    sheet.cell(row=row, column=columns["Ngày sinh"], value="31/02/2099")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def world(lucngan):  # noqa: F811 - the imported fixture
    """The demo with its gifts and devices and three pupils at Lục Ngạn, and at least one real
    object behind every page: an approved and a draft allocation run, a handover with its scan,
    a duplicate pair, loans (out, returned with a photo, back for repair), a write-off, a
    recall, a transfer on its way, an outbreak, a dead spot with evidence, data packages and
    their requests, a batch for the operator, broadband, jobs, and a donor's trace link."""
    load_demo(students=False, gifts=True)
    campaign = Campaign.objects.get(name=BAC_GIANG)
    officer = User.objects.get(username=PROVINCE)
    staff = User.objects.get(username=SCHOOL)
    bac_ninh, commune = Area.objects.get(code="24"), Area.objects.get(code="07582")
    viettel = Operator.objects.get(code="viettel")
    store = Warehouse.objects.get(area=bac_ninh)
    spare = iter(Device.objects.filter(warehouse=store, kind="tablet").order_by("pk"))

    # Allocation: one more pupil and tablets from the store for all four, a run approved, one
    # handover recorded with its scan; then a pupil registered later and a draft run for them.
    need = _pupil(campaign, lucngan, "Hoàng Thị Yến", dt.date(2013, 8, 9))
    needs_confirm(actor=officer, needs=[need])
    for _pupils in range(4):
        _ready(next(spare))
    approved = run_create(actor=officer, campaign=campaign)
    run_approve(actor=officer, run=approved)
    handed, waiting = Assignment.objects.filter(run=approved).order_by("pk")[:2]
    handover_record(
        actor=staff, assignment=handed, handed_over_on=_today(), received_by="Hoàng Văn Sơn",
        relation="father",
        scan=SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4", content_type="application/pdf"),
    )  # fmt: skip
    late = _pupil(campaign, lucngan, "Vi Văn Khải", dt.date(2012, 11, 2), household="near_poor")
    needs_confirm(actor=officer, needs=[late])
    _ready(next(spare))
    draft = run_create(actor=officer, campaign=campaign)

    # The pupils' registry: a pair that may be one child, and a pupil lacking connectivity.
    _pupil(campaign, lucngan, "Lý Thị Trùng", dt.date(2012, 3, 4))
    _pupil(campaign, lucngan, "Lý Thị Trùng", dt.date(2012, 4, 3))
    pair = DuplicateCandidate.objects.order_by("pk").first()
    offline = _pupil(campaign, lucngan, "Lường Thị Sóng", dt.date(2013, 2, 1), lacking="both")

    # Connectivity: a dead spot with a photo of the survey, a package, requests and a batch.
    spot = dead_spot_report(
        actor=officer,
        data=DeadSpotData(
            area=commune, village="Thôn Khe Nghè", reported_on=dt.date(2021, 9, 15),
            latitude=Decimal("21.3856"), longitude=Decimal("106.5612"), households=42,
            pupils=17, operator=viettel, target_on=dt.date(2030, 12, 31),
        ),
    )  # fmt: skip
    dead_spot_status_change(
        actor=officer, dead_spot=spot, status="surveyed", comment="Đã khảo sát vị trí đặt trạm",
        evidence=_image("khao-sat.png"),
    )  # fmt: skip
    event = spot.events.exclude(evidence="").get()
    package = package_create(
        actor=officer,
        data=PackageData(
            operator=viettel, name="Gói 4G học trực tuyến", data_gb_per_month=Decimal(4),
            months=6, price=70_000, free=True,
        ),
    )  # fmt: skip
    support_request(
        actor=staff, need=offline, package=package, phone="0983934091", consent_given=True,
        consent_on=_today(),
    )  # fmt: skip
    batch = batch_export(actor=None, operator=viettel)
    broadband = broadband_request(
        actor=staff, need=offline, operator=viettel, kind="free_installation",
        address="Thôn Khe Nghè, xã Lục Ngạn", phone="0983934091",
    )  # fmt: skip

    # The shared pool: a loan out, one back with a photo, one back for repair and written
    # off, a recall of what is out, and a transfer on its way to the school.
    def lend():
        return loan_out(
            actor=officer, devices=[_ready(next(spare))], school=lucngan,
            due_on=_today() + dt.timedelta(days=30),
        )[0]  # fmt: skip

    out = lend()
    returned = loan_return(
        actor=staff, loan=lend(), returned_on=_today(), condition="good",
        photo=_image("tra-may.png"),
    )  # fmt: skip
    broken = loan_return(
        actor=staff, loan=lend(), returned_on=_today(), condition="needs_repair",
        note="Vỡ màn hình",
    )  # fmt: skip
    write_off_request(
        actor=officer, device=Device.objects.get(pk=broken.device_id), reason="Vỡ màn hình"
    )
    recall = recall_start(
        actor=officer, campaign=campaign, due_on=_today() + dt.timedelta(days=7),
        reason="Kết thúc học kỳ I",
    )  # fmt: skip
    transfer = transfer_request(
        actor=officer, campaign=campaign, devices=[_ready(next(spare)), _ready(next(spare))],
        to_school=lucngan, reason="Bổ sung máy cho trường đang dạy trực tuyến",
    )  # fmt: skip
    transfer_send(actor=officer, transfer=transfer_approve(actor=officer, transfer=transfer))
    outbreak = outbreak_declare(
        actor=officer, campaign=campaign, areas=[commune], starts_on=dt.date(2021, 9, 20),
        decision="Quyết định 1234/QĐ-UBND",
    )  # fmt: skip

    # Jobs: a checked file awaiting confirmation, and one whose rows have errors.
    template = template_xlsx(user=staff)
    params = {"campaign": campaign.pk, "school": lucngan.pk}
    checked, spoilt = (
        job_start(actor=staff, kind="students.preview", file_name=name, payload=data, params=params)
        for name, data in (("hoc-sinh.xlsx", template), ("loi.xlsx", _xlsx_with_errors(template)))
    )
    checked.refresh_from_db()
    spoilt.refresh_from_db()
    assert checked.status == JobStatus.SUCCEEDED and spoilt.errors  # run at once by the tests

    # Money: a spending, and a donor who follows its gifts through its secret link.
    spending = spending_record(
        actor=officer, campaign=campaign,
        data=SpendingData(
            kind="other", spent_on=dt.date(2021, 10, 1), amount=2_500_000,
            description="Phí vận chuyển thiết bị về các trường", approved_by="Giám đốc Sở",
        ),
    )  # fmt: skip
    donor = donor_trace_link_issue(actor=officer, donor=Donor.objects.get(name=DONOR))
    donation = Donation.objects.filter(campaign=campaign, donor=donor).order_by("pk").first()
    pledge = Pledge.objects.filter(campaign=campaign).order_by("pk").first()

    # An account with two-factor authentication on (set up through the real services).
    careful = user_create(
        actor=None, password=DEMO_PASSWORD,
        data=UserData(
            username=TWO_FACTOR, full_name="Trần Văn Cẩn", role=Role.PROVINCE_OFFICER,
            area=bac_ninh,
        ),
    )  # fmt: skip
    pending = two_factor_begin(actor=careful)
    totp = TOTP(pending.bin_key, pending.step, pending.t0, pending.digits, pending.drift)
    two_factor_confirm(actor=careful, device=pending, code=f"{totp.token():0{pending.digits}d}")

    # A device just registered at the school: its page offers a status change and a move.
    device = device_register(
        actor=officer, campaign=campaign, school=lucngan,
        data=DeviceData("tablet", make="Samsung", model="Galaxy Tab A7 Lite", serial="LN-A11Y-2"),
    )  # fmt: skip
    assert donation and pledge and pair
    one = {
        "accounts:user_edit": {"pk": staff.pk},
        "areas:area_detail": {"code": commune.code},
        "areas:school_detail": {"pk": lucngan.pk},
        "areas:school_edit": {"pk": lucngan.pk},
        "campaigns:detail": {"pk": campaign.pk},
        "campaigns:edit": {"pk": campaign.pk},
        "students:duplicate": {"pk": pair.pk},
        "students:detail": {"pk": need.pk},
        "students:edit": {"pk": need.pk},
        "donations:donor_detail": {"pk": donor.pk},
        "donations:donor_edit": {"pk": donor.pk},
        "donations:pledge_detail": {"pk": pledge.pk},
        "donations:donation_detail": {"pk": donation.pk},
        "donations:donation_letter": {"pk": donation.pk},
        "donations:spending_detail": {"pk": spending.pk},
        "inventory:device_detail": {"pk": device.pk},
        "inventory:device_edit": {"pk": device.pk},
        "inventory:minimum_specs": {"campaign_pk": campaign.pk},
        "allocation:policy": {"campaign_pk": campaign.pk},
        "allocation:handover_scan": {"pk": handed.pk},
        "allocation:handover_pdf": {},
        "connectivity:dead_spot_detail": {"pk": spot.pk},
        "connectivity:dead_spot_edit": {"pk": spot.pk},
        "connectivity:dead_spot_evidence": {"pk": spot.pk, "event_pk": event.pk},
        "connectivity:package_edit": {"pk": package.pk},
        "connectivity:package_request": {"need_pk": offline.pk},
        "connectivity:broadband_create": {"need_pk": offline.pk},
        "connectivity:broadband_edit": {"pk": broadband.pk},
        "connectivity:batch_download": {"pk": batch.pk, "fmt": "csv"},
        "pool:loan_photo": {"pk": returned.pk},
        "pool:recall_detail": {"pk": recall.pk},
        "pool:transfer_detail": {"pk": transfer.pk},
        "pool:transfer_receive": {"pk": transfer.pk},
        "pool:outbreak_detail": {"pk": outbreak.pk},
        "dashboards:campaign": {"pk": campaign.pk},
        "dashboards:area": {"pk": campaign.pk, "area_pk": commune.pk},
        "dashboards:school": {"pk": campaign.pk, "school_pk": lucngan.pk},
        "dashboards:report": {"pk": campaign.pk, "fmt": "xlsx"},
        "reports:public_campaign": {"pk": campaign.pk},
        "reports:public_campaign_csv": {"pk": campaign.pk},
        "reports:donor_trace": {"token": donor.trace_token},
        "jobs:errors_xlsx": {"pk": spoilt.pk},
        "jobs:errors_sheet": {"pk": spoilt.pk},
    }
    several = {
        "allocation:run_detail": [{"pk": approved.pk}, {"pk": draft.pk}],
        "allocation:handover_record": [{"pk": waiting.pk}, {"pk": handed.pk}],
        "pool:loan_detail": [{"pk": out.pk}, {"pk": returned.pk}],
        "jobs:detail": [{"pk": checked.pk}, {"pk": spoilt.pk}],
    }
    addresses = {name: [reverse(name, kwargs=kwargs)] for name, kwargs in one.items()}
    addresses |= {
        name: [reverse(name, kwargs=kwargs) for kwargs in each] for name, each in several.items()
    }
    addresses["inventory:labels"] = [f"{reverse('inventory:labels')}?ids={device.pk}"]
    return World(
        campaign=campaign,
        addresses=addresses,
        errors=[
            Visit(VISITOR, "not found", "/khong-co-trang-nay/", 404),
            Visit(PROVINCE, "not found, logged in", "/students/999999999/", 404),
            Visit(DONOR_USER, "forbidden", reverse("students:list"), 403),
            Visit(PROVINCE, "labels refused", f"{reverse('inventory:labels')}?ids=x", 400),
        ],
    )


def log_in_as(page, username: str) -> None:
    if username != TWO_FACTOR:
        log_in(page, username)
        return
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("accounts:two_factor"))))


def sessions(browser, live_server, world):
    """(username, storage state) for each role: its cookies after logging in."""
    for username in world.visits():
        context = browser.new_context(base_url=live_server.url)
        if username:
            log_in_as(context.new_page(), username)
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


def test_every_page_has_no_serious_accessibility_violation_on_a_desktop(
    browser, live_server, world
):
    axe, problems = Axe(), []
    for username, state in sessions(browser, live_server, world):
        context = browser.new_context(
            base_url=live_server.url, viewport=DESKTOP, storage_state=state
        )
        page = context.new_page()
        for visit in world.visits()[username]:
            response = page.goto(visit.url)
            assert response is not None and response.status == visit.status, (
                f"{username} {visit.url}: {response and response.status}"
            )
            problems += [
                f"{username or 'visitor'} {visit.url}: {describe(violation)}"
                for violation in blocking_violations(axe, page)
            ]
        context.close()
    assert not problems, "\n".join(problems)


def test_every_page_at_360_px_passes_axe_fits_and_weighs_at_most_150_kb(
    browser, live_server, world, shoot
):
    """One visit per page on a phone: axe-core, no sideways scroll, and its weight with the
    browser's cache off, so that each visit is a first load."""
    axe, problems, too_wide, too_heavy, shots = Axe(), [], [], [], dict(SHOTS)
    for username, state in sessions(browser, live_server, world):
        context = browser.new_context(base_url=live_server.url, viewport=PHONE, storage_state=state)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        for visit in world.visits()[username]:
            who = username or "visitor"
            finished, response = loaded(page, visit.url)
            assert response is not None and response.status == visit.status, (
                f"{who} {visit.url}: {response and response.status}"
            )
            problems += [
                f"{who} {visit.url}: {describe(violation)}"
                for violation in blocking_violations(axe, page)
            ]
            if twice := page.evaluate(DUPLICATE_IDS):
                problems.append(f"{who} {visit.url}: ids used more than once: {twice}")
            parts = sorted(((sent(request), request.url) for request in finished), reverse=True)
            weight = sum(size for size, _url in parts)
            if weight > BUDGET:
                too_heavy.append(f"{who} {visit.url}: {weight:,} B {parts[:4]}")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide.append(f"{who} {visit.url}: {width} px, widest {page.evaluate(WIDEST)}")
            if (username, visit.name) in shots:
                shoot(page, shots.pop((username, visit.name)))
        context.close()
    assert not problems, "\n".join(problems)
    assert not too_wide, "sideways scroll at 360 px:\n" + "\n".join(too_wide)
    assert not too_heavy, "over 150 KB on first load:\n" + "\n".join(too_heavy)


def test_messages_and_error_pages_pass_axe_and_fit_a_phone(browser, live_server, world):
    """Pages reached by doing something: a saved form's message, a locked log-in, a form sent
    without its anti-forgery cookie, and the server error page (Django renders 500.html
    without a request: here from the template, as it would)."""
    axe, problems = Axe(), []
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()

    def check(what: str) -> None:
        problems.extend(f"{what}: {describe(v)}" for v in blocking_violations(axe, page))
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{what}: {width} px wide at 360 px, widest {page.evaluate(WIDEST)}")

    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/accounts/login/")
        page.get_by_label("Tên đăng nhập").fill("khong.nho.mat.khau")
        page.get_by_label("Mật khẩu").fill("sai-mat-khau")
        page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tạm khoá đăng nhập")
    check("log-in locked")

    page.goto("/accounts/login/")
    context.clear_cookies()
    page.get_by_label("Tên đăng nhập").fill(PROVINCE)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Biểu mẫu đã hết hạn")
    check("form without its anti-forgery cookie")

    page.goto("/khong-co-trang-nay/")
    page.set_content(render_to_string("500.html"))
    check("server error")

    log_in(page, PROVINCE)
    page.goto(reverse("allocation:policy", args=[world.campaign.pk]))
    page.get_by_role("button", name="Lưu chính sách").click()
    assert page.locator(".messages li").count()
    check("policy, saved")
    context.close()
    assert not problems, "\n".join(problems)


def test_downloads_are_files_not_pages(browser, live_server, world):
    """Each address listed as a download gives its file to a user allowed to have it."""
    wrong = []
    for username, state in sessions(browser, live_server, world):
        context = browser.new_context(base_url=live_server.url, storage_state=state)
        for name, who in DOWNLOADS.items():
            if who != username:
                continue
            for url in world.address(name):
                response = context.request.get(url)
                kind = response.headers.get("content-type", "")
                if not response.ok or kind.startswith("text/html"):
                    wrong.append(f"{who or 'visitor'} {url}: {response.status} {kind}")
        context.close()
    assert not wrong, "\n".join(wrong)


def sent(request) -> int:
    """Bytes of the response body as production sends them.

    The body size is what the live server sent. It serves static files raw, whereas production
    serves them through whitenoise's CompressedManifestStaticFilesStorage, which sends the
    gzip it made at collectstatic time when that saves at least 5 %: a static file is counted
    at that size, made by whitenoise's own compressor. Pages themselves are counted as sent.
    """
    size = request.sizes()["responseBodySize"]
    assert size >= 0, f"{request.url}: from the browser's cache, so not a first load"
    path = urlsplit(request.url).path
    if not path.startswith(settings.STATIC_URL) or not COMPRESSOR.should_compress(path):
        return size
    found = finders.find(path.removeprefix(settings.STATIC_URL))
    assert found, f"{path}: served, but no static file"
    gzipped = len(Compressor.compress_gzip(Path(found).read_bytes()))
    return gzipped if gzipped <= 0.95 * size else size


COMPRESSOR = Compressor(quiet=True)


def loaded(page, url) -> tuple[list, object]:
    """Open the page and wait until it has everything; every request it finished.

    Only a page with scripts (the dead spot map) may fetch more after its load event: only
    there is the wait for a quiet network (half a second) worth its time.
    """
    finished = []

    def keep(request):
        finished.append(request)

    page.on("requestfinished", keep)
    response = page.goto(url)
    if page.evaluate("document.scripts.length"):
        page.wait_for_load_state("networkidle")
    page.remove_listener("requestfinished", keep)
    return finished, response


DUPLICATE_IDS = """() => {
  const seen = new Map();
  for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  return [...seen].filter(([, count]) => count > 1).map(([id]) => id);
}"""

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
