"""Writes for campaigns: the campaign with its phases, intake windows and contacts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from songmay.accounts.scope import authorize
from songmay.areas.models import Area, AreaLevel
from songmay.audit.services import audit_record, audited, diff, snapshot
from songmay.campaigns.models import Campaign, Contact, IntakeWindow, Phase
from songmay.lib.errors import DomainError
from songmay.lib.phones import InvalidPhone, parse_phone
from songmay.lib.vietnamese import normalize_spaces

if TYPE_CHECKING:
    from songmay.accounts.models import User

CAMPAIGN_FIELDS = [
    "name",
    "area",
    "plan_reference",
    "launched_on",
    "focal_point",
    "beneficiaries",
    "support_rule",
    "description",
]


@dataclass
class PhaseData:
    number: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    target_percent: int | None = None
    goal: str = ""


@dataclass
class WindowData:
    opens_on: dt.date
    closes_on: dt.date
    note: str = ""


@dataclass
class ContactData:
    full_name: str
    position: str
    phone: str = ""
    email: str = ""


@dataclass
class CampaignData:
    name: str
    area: Area | None
    plan_reference: str = ""
    launched_on: dt.date | None = None
    focal_point: str = ""
    beneficiaries: str = ""
    support_rule: str = ""
    description: str = ""
    phases: list[PhaseData] = field(default_factory=list)
    windows: list[WindowData] = field(default_factory=list)
    contacts: list[ContactData] = field(default_factory=list)


def _require(actor: User | None, area: Area | None) -> None:
    authorize(actor, "campaigns.change", area)
    if actor is not None and area is None and not actor.scope.is_national:
        raise DomainError("Chỉ quản trị hệ thống tạo được chương trình toàn quốc.", field="area")


def _check(data: CampaignData) -> None:
    if not normalize_spaces(data.name):
        raise DomainError("Thiếu tên chương trình.", field="name")
    if data.area is not None and data.area.level != AreaLevel.PROVINCE:
        raise DomainError("Chương trình thuộc một tỉnh/thành phố hoặc toàn quốc.", field="area")
    numbers = [phase.number for phase in data.phases]
    if len(numbers) != len(set(numbers)):
        raise DomainError("Hai giai đoạn trùng số thứ tự.", field="phases")
    for phase in data.phases:
        if phase.ends_on < phase.starts_on:
            raise DomainError(
                f"Giai đoạn {phase.number}: ngày kết thúc trước ngày bắt đầu.", field="phases"
            )
        if phase.target_percent is not None and not 0 <= phase.target_percent <= 100:
            raise DomainError(
                f"Giai đoạn {phase.number}: mục tiêu phải từ 0 đến 100%.", field="phases"
            )
    for window in data.windows:
        if window.closes_on < window.opens_on:
            raise DomainError(
                f"Thời gian tiếp nhận {window.opens_on:%d/%m/%Y}: "
                "ngày kết thúc trước ngày bắt đầu.",
                field="windows",
            )


def _contact_phone(contact: ContactData, order: int) -> str:
    if not contact.phone.strip():
        return ""
    try:
        return parse_phone(contact.phone)
    except InvalidPhone:
        raise DomainError(
            f"Người liên hệ số {order} ({contact.full_name}): số điện thoại “{contact.phone}” "
            "không hợp lệ. Ví dụ đúng: 0983.934.091.",
            field="contacts",
        ) from None


def _write_children(campaign: Campaign, data: CampaignData) -> None:
    campaign.phases.all().delete()
    campaign.intake_windows.all().delete()
    campaign.contacts.all().delete()
    Phase.objects.bulk_create(
        Phase(
            campaign=campaign,
            number=p.number,
            name=normalize_spaces(p.name),
            starts_on=p.starts_on,
            ends_on=p.ends_on,
            target_percent=p.target_percent,
            goal=p.goal.strip(),
        )
        for p in data.phases
    )
    IntakeWindow.objects.bulk_create(
        IntakeWindow(
            campaign=campaign, opens_on=w.opens_on, closes_on=w.closes_on, note=w.note.strip()
        )
        for w in data.windows
    )
    Contact.objects.bulk_create(
        Contact(
            campaign=campaign,
            order=order,
            full_name=normalize_spaces(c.full_name),
            position=normalize_spaces(c.position),
            phone=_contact_phone(c, order),
            email=c.email.strip().lower(),
        )
        for order, c in enumerate(data.contacts, start=1)
    )


def _children_snapshot(campaign: Campaign) -> dict[str, list[str]]:
    return {
        "phases": [
            f"{p.number}. {p.name} {p.starts_on}–{p.ends_on} {p.target_percent}%"
            for p in campaign.phases.all()
        ],
        "intake_windows": [str(w) for w in campaign.intake_windows.all()],
        "contacts": [f"{c.order}. {c.full_name}, {c.position}" for c in campaign.contacts.all()],
    }


def _fields(data: CampaignData) -> dict[str, object]:
    return {
        "name": normalize_spaces(data.name),
        "area": data.area,
        "plan_reference": normalize_spaces(data.plan_reference),
        "launched_on": data.launched_on,
        "focal_point": normalize_spaces(data.focal_point),
        "beneficiaries": data.beneficiaries.strip(),
        "support_rule": normalize_spaces(data.support_rule),
        "description": data.description.strip(),
    }


@audited
def campaign_create(*, actor: User | None, data: CampaignData) -> Campaign:
    """Open a campaign for a province (or the nation) with its phases and contacts."""
    _require(actor, data.area)
    _check(data)
    campaign = Campaign.objects.create(**_fields(data))
    _write_children(campaign, data)
    changes = diff({}, {**snapshot(campaign, CAMPAIGN_FIELDS), **_children_snapshot(campaign)})
    audit_record(
        actor=actor, action="campaign.created", target=campaign, area=campaign.area, changes=changes
    )
    return campaign


@audited
def campaign_update(*, actor: User | None, campaign: Campaign, data: CampaignData) -> Campaign:
    """Change a campaign; its phases, windows and contacts are replaced by the new lists."""
    _require(actor, campaign.area)
    _require(actor, data.area)
    _check(data)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    before = {**snapshot(campaign, CAMPAIGN_FIELDS), **_children_snapshot(campaign)}
    for name, value in _fields(data).items():
        setattr(campaign, name, value)
    campaign.save()
    _write_children(campaign, data)
    after = {**snapshot(campaign, CAMPAIGN_FIELDS), **_children_snapshot(campaign)}
    audit_record(
        actor=actor,
        action="campaign.updated",
        target=campaign,
        area=campaign.area,
        changes=diff(before, after),
    )
    return campaign
