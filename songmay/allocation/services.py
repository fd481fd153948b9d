"""Writes for allocation: the policy, runs (draft, re-run, approve, discard), handovers and
returns. Approval is where "once per child" is decided: see `run_approve`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from songmay.accounts.scope import authorize
from songmay.allocation import engine
from songmay.allocation.inputs import Inputs, decode, encode, read_inputs
from songmay.allocation.models import (
    DEFAULT_HOUSEHOLD_ORDER,
    DEFAULT_LEVEL_PREFERENCES,
    LIVE,
    AllocationRun,
    Assignment,
    AssignmentStatus,
    Handover,
    Policy,
    Proposal,
    Reach,
    Relation,
    RunStatus,
    Unserved,
)
from songmay.allocation.selectors import policy_for
from songmay.areas.models import Area, SchoolLevel
from songmay.audit.services import audit_record, audited, diff
from songmay.campaigns.models import Campaign
from songmay.inventory.models import Device, DeviceEvent, DeviceEventKind, DeviceKind, DeviceStatus
from songmay.lib.errors import DomainError
from songmay.lib.uploads import SCANS, upload_extension
from songmay.lib.vietnamese import normalize_spaces
from songmay.students.models import Household, Need, NeedStatus, Student

if TYPE_CHECKING:
    from songmay.accounts.models import User

MAX_HANDOVER_DAYS = 365


# ---- Policy ----


@dataclass
class PolicyData:
    """The policy as set on its page or through the API."""

    household_order: list[str] = field(default_factory=lambda: list(DEFAULT_HOUSEHOLD_ORDER))
    special_first: bool = True
    online_first: bool = True
    online_areas: list[Area] = field(default_factory=list)
    one_per_household_first: bool = True
    level_preferences: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_LEVEL_PREFERENCES.items()}
    )
    reach: int = Reach.PROVINCE
    fair_shares: bool = True
    handover_days: int = 14

    @classmethod
    def of(cls, policy: Policy) -> PolicyData:
        return cls(
            household_order=list(policy.household_order),
            special_first=policy.special_first,
            online_first=policy.online_first,
            online_areas=list(policy.online_areas.all()),
            one_per_household_first=policy.one_per_household_first,
            level_preferences={k: list(v) for k, v in policy.level_preferences.items()},
            reach=policy.reach,
            fair_shares=policy.fair_shares,
            handover_days=policy.handover_days,
        )


POLICY_FIELDS = [
    "household_order", "special_first", "online_first", "one_per_household_first",
    "level_preferences", "reach", "fair_shares", "handover_days",
]  # fmt: skip


def _policy_check(campaign: Campaign, data: PolicyData) -> None:
    households = set(Household.values)
    if not data.household_order:
        raise DomainError(
            "Hãy chọn ít nhất một nhóm hoàn cảnh được hỗ trợ.", field="household_order"
        )
    if any(value not in households for value in data.household_order) or len(
        set(data.household_order)
    ) != len(data.household_order):
        raise DomainError(
            "Thứ tự ưu tiên hoàn cảnh không hợp lệ: mỗi nhóm ghi một lần.", field="household_order"
        )
    kinds = set(DeviceKind.values)
    for level, preferred in data.level_preferences.items():
        if level not in SchoolLevel.values:
            raise DomainError(f"Cấp học “{level}” không hợp lệ.", field="level_preferences")
        if any(kind not in kinds for kind in preferred) or len(set(preferred)) != len(preferred):
            raise DomainError(
                f"Loại thiết bị cho {SchoolLevel(level).label} không hợp lệ: mỗi loại ghi một lần.",
                field="level_preferences",
            )
    if data.reach not in Reach.values:
        raise DomainError("Phạm vi điều chuyển không hợp lệ.", field="reach")
    if not 1 <= data.handover_days <= MAX_HANDOVER_DAYS:
        raise DomainError(
            f"Số ngày phải bàn giao từ 1 đến {MAX_HANDOVER_DAYS}.", field="handover_days"
        )
    for area in data.online_areas:
        if campaign.area is not None and not area.path.startswith(campaign.area.path):
            raise DomainError(f"{area} không thuộc địa bàn của chương trình.", field="online_areas")


def _check_campaign(actor: User | None, campaign: Campaign) -> None:
    authorize(actor, "allocation.run", campaign.area)
    if actor is not None and campaign.area is None and not actor.scope.is_national:
        raise DomainError("Chỉ quản trị hệ thống phân bổ cho chương trình toàn quốc.")


@audited
def policy_update(*, actor: User | None, campaign: Campaign, data: PolicyData) -> Policy:
    """Change the campaign's allocation policy; runs already made keep their own copy."""
    _check_campaign(actor, campaign)
    _policy_check(campaign, data)
    policy = policy_for(campaign)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    before = _policy_snapshot(policy)
    for name in POLICY_FIELDS:
        setattr(policy, name, getattr(data, name))
    policy.save()
    policy.online_areas.set(data.online_areas)
    audit_record(
        actor=actor,
        action="allocation_policy.updated",
        target=policy,
        area=campaign.area,
        changes=diff(before, _policy_snapshot(policy)),
    )
    return policy


def _policy_snapshot(policy: Policy) -> dict[str, Any]:
    snapshot: dict[str, Any] = {name: getattr(policy, name) for name in POLICY_FIELDS}
    snapshot["online_areas"] = sorted(area.code for area in policy.online_areas.all())
    return snapshot


# ---- Runs ----


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # noqa: S101 - a concrete column, for mypy
    return connection.ops.quote_name(field.column)


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _insert_rows(model: type[models.Model], names: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert many rows at once: COPY on PostgreSQL, batched INSERTs elsewhere."""
    if connection.vendor == "postgresql":
        columns = ", ".join(_column(model, name) for name in names)
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {_table(model)} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    attnames = [model._meta.get_field(name).attname for name in names]  # type: ignore[union-attr]
    model._default_manager.bulk_create(
        (model(**dict(zip(attnames, row, strict=True))) for row in rows), batch_size=2000
    )


Text = tuple[Sequence[str], np.ndarray[Any, Any]]  # a text column: the texts and a code per row


def _insert_columns(
    model: type[models.Model], names: Sequence[str], columns: Sequence[np.ndarray[Any, Any] | Text]
) -> None:
    """Insert many rows given as columns, NumPy integers or coded texts (each text cut to 255
    characters): on PostgreSQL one COPY built a column at a time, elsewhere `_insert_rows`."""
    postgres = connection.vendor == "postgresql"
    lists = []
    for column in columns:
        if isinstance(column, tuple):
            texts, codes = column
            cut = [text[:255] for text in texts]
            if postgres:  # COPY's text format: backslash, tab and line ends escaped
                cut = [
                    t.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                    .replace("\r", "\\r")
                    for t in cut
                ]  # fmt: skip
            lists.append(np.array([*cut, ""], object)[codes].tolist())
        else:
            lists.append(list(map(str, column.tolist())) if postgres else column.tolist())
    if not postgres:
        _insert_rows(model, names, zip(*lists, strict=True))
        return
    if not lists[0]:
        return
    data = "\n".join(map("\t".join, zip(*lists, strict=True))) + "\n"
    columns_sql = ", ".join(_column(model, name) for name in names)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {_table(model)} ({columns_sql}) FROM STDIN") as copy,
    ):
        copy.write(data.encode())


def _summary(
    inputs: Inputs, result: engine.ResultTable, previous: AllocationRun | None
) -> dict[str, Any]:
    """The review screen's figures: by tier, commune, device kind and level, and what
    changed since the campaign's previous run."""
    pupils, devices = inputs.pupils, inputs.devices
    by_id = np.argsort(pupils.id, kind="stable")
    served = by_id[np.searchsorted(pupils.id[by_id], result.pupil)]
    communes, need_at = np.unique(pupils.commune, return_inverse=True)
    need_area = np.bincount(need_at, minlength=len(communes))
    served_area = np.bincount(need_at[served], minlength=len(communes))
    areas = {
        pk: (path, name)
        for pk, path, name in Area.objects.filter(pk__in=communes.tolist()).values_list(
            "pk", "path", "name"
        )
    }
    levels = len(pupils.levels)
    need_level = dict(
        zip(pupils.levels, np.bincount(pupils.level, minlength=levels).tolist(), strict=True)
    )
    served_level = dict(
        zip(
            pupils.levels, np.bincount(pupils.level[served], minlength=levels).tolist(), strict=True
        )
    )
    device_by_id = np.argsort(devices.id, kind="stable")
    given_at = device_by_id[np.searchsorted(devices.id[device_by_id], result.device)]
    kinds = len(devices.kinds)
    available = dict(
        zip(devices.kinds, np.bincount(devices.kind, minlength=kinds).tolist(), strict=True)
    )
    given = dict(
        zip(
            devices.kinds,
            np.bincount(devices.kind[given_at], minlength=kinds).tolist(),
            strict=True,
        )
    )
    pairs = len(result.pupil)
    changes: dict[str, Any] = {"previous": None, "added": pairs, "removed": 0, "kept": 0}
    if previous is not None:
        before = np.array(
            Proposal.objects.filter(run=previous).values_list("need_id", "device_id"), np.int64
        ).reshape(-1, 2)
        now = np.column_stack([result.pupil, result.device])
        # Each run proposes a pair at most once: the pairs kept are those counted twice.
        kept = pairs + len(before) - len(np.unique(np.concatenate([now, before]), axis=0))
        changes = {
            "previous": previous.number,
            "added": pairs - kept,
            "removed": len(before) - kept,
            "kept": kept,
        }
    return {
        "served": pairs,
        "left": len(result.left_pupil),
        "idle": len(result.idle_devices),
        "pupils": len(pupils),
        "devices": len(devices),
        "by_tier": [
            {"tier": tier.number, "label": tier.label, "need": tier.need, "served": tier.served}
            for tier in result.tiers
        ],
        "by_area": [
            {"area_id": pk, "area": areas[pk][1], "need": need, "served": done}
            for pk, need, done in sorted(
                zip(communes.tolist(), need_area.tolist(), served_area.tolist(), strict=True),
                key=lambda item: areas[item[0]][0],
            )
        ],
        "by_kind": [
            {
                "kind": kind,
                "label": str(DeviceKind(kind).label),
                "available": available[kind],
                "given": given[kind],
            }
            for kind in DeviceKind.values
            if available.get(kind)
        ],
        "by_level": [
            {
                "level": level,
                "label": str(SchoolLevel(level).label),
                "need": need_level[level],
                "served": served_level[level],
            }
            for level in SchoolLevel.values
            if need_level.get(level)
        ],
        "changes": changes,
    }


def _ids(values: Iterable[Any], what: str) -> list[int]:
    try:
        return sorted({int(value) for value in values})
    except (TypeError, ValueError):
        raise DomainError(f"Danh sách {what} loại khỏi lượt không hợp lệ.") from None


@audited
def run_create(
    *,
    actor: User | None,
    campaign: Campaign,
    excluded_needs: Collection[int] = (),
    excluded_devices: Collection[int] = (),
) -> AllocationRun:
    """Compute a draft run (a dry run) from the campaign's needs, devices and policy now."""
    _check_campaign(actor, campaign)
    skip_needs = _ids(excluded_needs, "học sinh")
    skip_devices = _ids(excluded_devices, "thiết bị")
    policy = policy_for(campaign)
    inputs = read_inputs(
        campaign=campaign,
        policy=policy,
        excluded_needs=skip_needs,
        excluded_devices=skip_devices,
    )
    result = engine.allocate_table(inputs.pupils, inputs.devices, inputs.rules)
    blob, digest = encode(inputs)
    # Numbers are per campaign: the campaign's row is the lock that hands them out in turn.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    runs = AllocationRun.objects.filter(campaign=campaign)
    previous = runs.defer("inputs").order_by("-number").first()
    number = (runs.aggregate(m=Max("number"))["m"] or 0) + 1
    run = AllocationRun.objects.create(
        campaign=campaign,
        number=number,
        policy=_policy_snapshot(policy),
        inputs=blob,
        inputs_digest=digest,
        excluded_needs=skip_needs,
        excluded_devices=skip_devices,
        summary=_summary(inputs, result, previous),
        created_by=actor,
    )
    _insert_columns(
        Proposal,
        ["run", "need", "device", "tier", "preference", "distance", "why"],
        [
            np.full(len(result.pupil), run.pk),
            result.pupil,
            result.device,
            result.tier,
            result.preference,
            result.distance,
            (result.whys, result.why),
        ],
    )
    _insert_columns(
        Unserved,
        ["run", "need", "tier", "why"],
        [
            np.full(len(result.left_pupil), run.pk),
            result.left_pupil,
            result.left_tier,
            (result.left_whys, result.left_why),
        ],
    )
    audit_record(
        actor=actor,
        action="allocation_run.created",
        target=run,
        area=campaign.area,
        changes={
            "served": len(result.pupil),
            "left": len(result.left_pupil),
            "idle": len(result.idle_devices),
            "excluded_needs": skip_needs,
            "excluded_devices": skip_devices,
            "inputs_digest": digest,
        },
    )
    return run


@audited
def run_rerun(
    *,
    actor: User | None,
    run: AllocationRun,
    exclude_needs: Collection[int] = (),
    exclude_devices: Collection[int] = (),
) -> AllocationRun:
    """A new draft after excluding more pupils or devices (added to the run's exclusions)."""
    campaign = Campaign.objects.select_related("area").get(pk=run.campaign_id)
    _check_campaign(actor, campaign)
    new = run_create(
        actor=actor,
        campaign=campaign,
        excluded_needs={*run.excluded_needs, *_ids(exclude_needs, "học sinh")},
        excluded_devices={*run.excluded_devices, *_ids(exclude_devices, "thiết bị")},
    )
    audit_record(
        actor=actor,
        action="allocation_run.rerun",
        target=new,
        area=campaign.area,
        changes={"from": run.number, "to": new.number},
    )
    return new


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "chưa rõ thời điểm"
    return timezone.localtime(moment).strftime("%H:%M ngày %d/%m/%Y")


def _conflict(run: AllocationRun) -> DomainError:
    """What stops `run` from being approved, said so the officer knows to run again."""
    proposals = Proposal.objects.filter(run=run).select_related("need__student", "device")
    taken = Assignment.objects.filter(status__in=LIVE).filter(
        Q(student_id=OuterRef("need__student_id")) | Q(device_id=OuterRef("device_id"))
    )
    clash = proposals.filter(Exists(taken)).order_by("pk").first()
    if clash is not None:
        winner = (
            Assignment.objects.filter(status__in=LIVE)
            .filter(Q(student_id=clash.need.student_id) | Q(device_id=clash.device_id))
            .select_related("run__campaign")
            .order_by("pk")
            .first()
        )
        assert winner is not None  # noqa: S101 - the Exists above found it
        other = winner.run
        where = "" if other.campaign_id == run.campaign_id else f" ({other.campaign})"
        return DomainError(
            f"Lượt phân bổ này trùng với lượt số {other.number}{where} đã được phê duyệt lúc"
            f" {_when(other.approved_at)}: em {clash.need.student.full_name} hoặc thiết bị"
            f" {clash.device.asset_tag} đã được phân bổ. Hãy chạy lại."
        )
    gone = (
        proposals.filter(
            ~Q(need__status=NeedStatus.CONFIRMED) | Q(need__student__merged_into__isnull=False)
        )
        .order_by("pk")
        .first()
    )
    if gone is not None:
        return DomainError(
            f"Em {gone.need.student.full_name} không còn chờ phân bổ (trạng thái:"
            f" {gone.need.get_status_display()}). Hãy chạy lại."
        )
    idle = proposals.exclude(device__status=DeviceStatus.AVAILABLE).order_by("pk").first()
    if idle is not None:
        return DomainError(
            f"Thiết bị {idle.device.asset_tag} đang “{idle.device.get_status_display()}”,"
            " không còn sẵn sàng cấp phát. Hãy chạy lại."
        )
    return DomainError("Dữ liệu đã thay đổi từ khi chạy lượt phân bổ này. Hãy chạy lại.")


def _not_draft(run: AllocationRun) -> DomainError:
    if run.status == RunStatus.APPROVED:
        return DomainError(
            f"Lượt phân bổ số {run.number} đã được phê duyệt lúc {_when(run.approved_at)}."
        )
    later = (
        AllocationRun.objects.filter(campaign_id=run.campaign_id, status=RunStatus.APPROVED)
        .filter(number__gt=run.number)
        .order_by("approved_at")
        .first()
    )
    if later is not None:
        return DomainError(
            f"Lượt phân bổ số {run.number} đã bị bỏ vì lượt số {later.number} được phê duyệt"
            f" lúc {_when(later.approved_at)}. Hãy chạy lại nếu còn em chưa có máy."
        )
    return DomainError(f"Lượt phân bổ số {run.number} đã bị bỏ; hãy chạy lượt mới.")


class _ConflictError(Exception):
    pass


def _write_assignments(run: AllocationRun, due_on: dt.date) -> int:
    """Reserve the run's devices and create its assignments in two statements, whatever the
    number of pupils; raises _ConflictError when another approval got there first or a pupil
    no longer waits. The assignments are the devices' timeline entries for the approval (see
    `inventory.selectors.device_timeline`): 285,000 events besides would double the cost."""
    ops = connection.ops
    now = timezone.now()
    expected = Proposal.objects.filter(run=run).count()
    moved = Device.objects.filter(
        pk__in=Proposal.objects.filter(run=run).values("device_id"),
        status=DeviceStatus.AVAILABLE,
    ).update(status=DeviceStatus.ASSIGNED, updated_at=now)
    if moved != expected:
        raise _ConflictError
    a, p, n, s = Assignment, Proposal, Need, Student
    assignment_columns = ", ".join(
        _column(a, name)
        for name in (
            "proposal", "campaign", "run", "need", "student", "device", "status", "why",
            "due_on", "created_at", "end_reason",
        )
    )  # fmt: skip
    at = ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(a)} ({assignment_columns}) "  # noqa: S608 - names from _meta
            f"SELECT p.{_column(p, 'id')}, %s, p.{_column(p, 'run')}, p.{_column(p, 'need')},"
            f" n.{_column(n, 'student')}, p.{_column(p, 'device')}, %s, p.{_column(p, 'why')},"
            f" %s, %s, '' FROM {_table(p)} p JOIN {_table(n)} n"
            f" ON n.{_column(n, 'id')} = p.{_column(p, 'need')}"
            f" JOIN {_table(s)} s ON s.{_column(s, 'id')} = n.{_column(n, 'student')}"
            f" WHERE p.{_column(p, 'run')} = %s AND n.{_column(n, 'status')} = %s"
            f" AND s.{_column(s, 'merged_into')} IS NULL ORDER BY p.{_column(p, 'id')}",
            [
                run.campaign_id,
                AssignmentStatus.ACTIVE.value,
                ops.adapt_datefield_value(due_on),
                at,
                run.pk,
                NeedStatus.CONFIRMED.value,
            ],
        )
        created = cursor.rowcount
        # A pupil withdrawn or merged away since the draft is left out: the run is stale.
        if created != expected:
            raise _ConflictError
    return created


@audited
def run_approve(*, actor: User | None, run: AllocationRun) -> AllocationRun:
    """Approve a draft: reserve its devices and create its assignments, all or nothing. A run
    that overlaps one approved meanwhile is refused with a message saying which."""
    campaign = Campaign.objects.select_related("area").get(pk=run.campaign_id)
    _check_campaign(actor, campaign)
    # Approvals of one campaign take turns on its row; the partial unique indexes on
    # assignments stop any overlap that gets past this (e.g. a child in two campaigns).
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    run = AllocationRun.objects.select_for_update().defer("inputs").get(pk=run.pk)
    if run.status != RunStatus.DRAFT:
        raise _not_draft(run)
    # No checks beforehand: the writes themselves find a device no longer available, a pupil
    # no longer waiting, and (through the unique indexes) a pupil or device given meanwhile.
    policy = policy_for(campaign)
    due_on = timezone.localdate() + dt.timedelta(days=policy.handover_days)
    try:
        with transaction.atomic():
            created = _write_assignments(run, due_on)
    except (IntegrityError, _ConflictError):
        raise _conflict(run) from None
    run.status, run.approved_by, run.approved_at = RunStatus.APPROVED, actor, timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    older = AllocationRun.objects.filter(
        campaign=campaign, status=RunStatus.DRAFT, number__lt=run.number
    )
    discarded = sorted(older.values_list("number", flat=True))
    older.update(status=RunStatus.DISCARDED)
    audit_record(
        actor=actor,
        action="allocation_run.approved",
        target=run,
        area=campaign.area,
        changes={
            "assignments": created,
            "due_on": due_on.isoformat(),
            "discarded_drafts": discarded,
        },
    )
    return run


@audited
def run_discard(*, actor: User | None, run: AllocationRun) -> AllocationRun:
    """Set a draft aside without approving it."""
    campaign = Campaign.objects.select_related("area").get(pk=run.campaign_id)
    _check_campaign(actor, campaign)
    run = AllocationRun.objects.select_for_update().defer("inputs").get(pk=run.pk)
    if run.status != RunStatus.DRAFT:
        raise _not_draft(run)
    run.status = RunStatus.DISCARDED
    run.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="allocation_run.discarded",
        target=run,
        area=campaign.area,
        changes={"status": [RunStatus.DRAFT, RunStatus.DISCARDED]},
    )
    return run


def run_reproduce(run: AllocationRun) -> engine.Result:
    """The engine's result computed again from the run's stored inputs (writes nothing)."""
    inputs = decode(AllocationRun.objects.values_list("inputs", flat=True).get(pk=run.pk))
    return engine.allocate_table(inputs.pupils, inputs.devices, inputs.rules).result()


# ---- Handover and return ----


def _locked_assignment(actor: User | None, assignment: Assignment) -> Assignment:
    locked = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("need__school__area", "need__student", "device", "run")
        .get(pk=assignment.pk)
    )
    authorize(actor, "allocation.handover", locked.need.school.area)
    if actor is not None and not Assignment.objects.visible_to(actor).filter(pk=locked.pk).exists():
        raise DomainError(f"{locked.need.school} nằm ngoài phạm vi của bạn.", field="school")
    return locked


def _device_status(
    actor: User | None, device: Device, status: str, note: str, now: dt.datetime
) -> None:
    device = Device.objects.select_for_update().get(pk=device.pk)
    DeviceEvent.objects.create(
        device=device,
        at=now,
        kind=DeviceEventKind.STATUS,
        from_status=device.status,
        to_status=status,
        actor=actor,
        note=note[:255],
    )
    device.status = status
    device.save(update_fields=["status", "updated_at"])


@audited
def handover_record(
    *,
    actor: User | None,
    assignment: Assignment,
    handed_over_on: dt.date,
    received_by: str,
    relation: str,
    scan: File[Any] | None = None,
) -> Handover:
    """Record the signed handover: the device is handed over and the pupil equipped."""
    assignment = _locked_assignment(actor, assignment)
    if assignment.status != AssignmentStatus.ACTIVE:
        raise DomainError(
            f"Phân bổ này đang “{assignment.get_status_display()}”; chỉ ghi bàn giao cho thiết"
            " bị đang chờ bàn giao."
        )
    received_by = normalize_spaces(received_by)
    if not received_by:
        raise DomainError("Hãy ghi họ tên người nhận.", field="received_by")
    if len(received_by) > Handover._meta.get_field("received_by").max_length:  # type: ignore[operator]
        raise DomainError("Họ tên người nhận dài quá 120 ký tự.", field="received_by")
    if relation not in Relation.values:
        raise DomainError("Hãy chọn quan hệ của người nhận với học sinh.", field="relation")
    approved = assignment.run.approved_at or assignment.created_at
    approved_on = timezone.localdate(approved)
    if handed_over_on < approved_on:
        raise DomainError(
            f"Ngày bàn giao {handed_over_on:%d/%m/%Y} trước ngày phê duyệt phân bổ"
            f" ({approved_on:%d/%m/%Y}); hãy kiểm tra lại biên bản.",
            field="handed_over_on",
        )
    if handed_over_on > timezone.localdate():
        raise DomainError(
            f"Ngày bàn giao {handed_over_on:%d/%m/%Y} chưa tới; hãy ghi ngày đã ký biên bản.",
            field="handed_over_on",
        )
    handover = Handover(
        assignment=assignment,
        handed_over_on=handed_over_on,
        received_by=received_by,
        relation=relation,
        recorded_by=actor,
    )
    if scan is not None:
        # Named by what it is, not by the name the phone gave it.
        extension = upload_extension(
            scan, accept=SCANS, max_bytes=settings.SONGMAY_MAX_UPLOAD_BYTES, what="Tệp",
            field="scan",
        )  # fmt: skip
        handover.scan.save(f"bien-ban-{assignment.pk}.{extension}", scan, save=False)
    handover.save()
    now = timezone.now()
    assignment.status = AssignmentStatus.HANDED_OVER
    assignment.save(update_fields=["status"])
    _device_status(
        actor,
        assignment.device,
        DeviceStatus.HANDED_OVER,
        f"Bàn giao ngày {handed_over_on:%d/%m/%Y}",
        now,
    )
    Need.objects.filter(pk=assignment.need_id).update(status=NeedStatus.EQUIPPED, updated_at=now)
    audit_record(
        actor=actor,
        action="assignment.handed_over",
        target=assignment,
        area=assignment.need.school.area,
        changes={
            "handed_over_on": handed_over_on.isoformat(),
            "relation": relation,
            "scan": bool(scan),
            "device": assignment.device.asset_tag,
        },
    )
    return handover


@audited
def assignment_return(
    *, actor: User | None, assignment: Assignment, reason: str, pupil_left: bool = False
) -> Assignment:
    """Take a device back into the pool (the pupil moved or left); it stays where it is.

    A handed-over assignment becomes "returned"; one not yet handed over, "cancelled".
    """
    assignment = _locked_assignment(actor, assignment)
    if assignment.status not in LIVE:
        raise DomainError(f"Phân bổ này đã “{assignment.get_status_display()}”.")
    reason = normalize_spaces(reason)
    if not reason:
        raise DomainError("Hãy ghi lý do thu hồi, ví dụ “Học sinh chuyển trường”.", field="reason")
    before = assignment.status
    now = timezone.now()
    assignment.status = (
        AssignmentStatus.RETURNED
        if before == AssignmentStatus.HANDED_OVER
        else AssignmentStatus.CANCELLED
    )
    assignment.ended_at, assignment.end_reason = now, reason[:255]
    assignment.save(update_fields=["status", "ended_at", "end_reason"])
    _device_status(actor, assignment.device, DeviceStatus.AVAILABLE, f"Thu hồi: {reason}", now)
    need_status = NeedStatus.WITHDRAWN if pupil_left else NeedStatus.CONFIRMED
    Need.objects.filter(pk=assignment.need_id).update(status=need_status, updated_at=now)
    audit_record(
        actor=actor,
        action="assignment.returned",
        target=assignment,
        area=assignment.need.school.area,
        changes={
            "status": [before, assignment.status],
            "need_status": need_status,
            "reason": reason,
            "device": assignment.device.asset_tag,
        },
    )
    return assignment
