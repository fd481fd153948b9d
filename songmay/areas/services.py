"""Writes for areas and schools. Each is audited in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from vietnam_provinces import Province, Ward

from songmay.accounts.caching import AUTH
from songmay.accounts.scope import authorize
from songmay.areas.models import Area, AreaLevel, School, SchoolLevel
from songmay.audit.services import audit_record, audited, diff, snapshot
from songmay.lib.errors import DomainError
from songmay.lib.phones import InvalidPhone, parse_phone
from songmay.lib.vietnamese import fold, normalize_spaces

if TYPE_CHECKING:
    from songmay.accounts.models import User

SCHOOL_FIELDS = [
    "code",
    "name",
    "area",
    "address",
    "principal_name",
    "contact_name",
    "phone",
    "email",
    "is_active",
    *(f"teaches_{level}" for level in SchoolLevel.values),
]


@audited
def area_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    level: str,
    parent: Area | None,
    division_type: str = "",
) -> Area:
    """Add an area by hand, e.g. a legacy district (huyện) for the 2021 records."""
    authorize(actor, "areas.add", parent)
    code = code.strip()
    if not code or "/" in code or " " in code:
        raise DomainError(
            "Mã đơn vị chỉ gồm chữ, số và dấu gạch ngang, không có dấu cách.", field="code"
        )
    if Area.objects.filter(code=code).exists():
        raise DomainError(f"Mã đơn vị “{code}” đã có. Hãy dùng mã khác.", field="code")
    area = Area.objects.create(
        code=code,
        name=normalize_spaces(name),
        name_folded=fold(name),
        level=level,
        division_type=division_type,
        parent=parent,
        path=f"{parent.path if parent else '/'}{code}/",
    )
    audit_record(
        actor=actor,
        action="area.created",
        target=area,
        area=area,
        changes=diff({}, snapshot(area, ["code", "name", "level", "parent"])),
    )
    return area


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@audited
def areas_load_official(*, actor: User | None) -> LoadResult:
    """Load the 34 provinces and their communes/wards (official codes); safe to repeat."""
    result = LoadResult()
    existing = {area.code: area for area in Area.objects.all()}
    wanted: list[tuple[str, str, str, str, str | None]] = []
    for province in Province.iter_all():
        code = f"{province.code.value:02d}"
        wanted.append((code, province.name, province.division_type.value, AreaLevel.PROVINCE, None))
        for ward in Ward.iter_by_province(province.code):
            wanted.append(
                (
                    f"{ward.code.value:05d}",
                    ward.name,
                    ward.division_type.value,
                    AreaLevel.COMMUNE,
                    code,
                )
            )
    paths: dict[str, str] = {}
    to_create: list[Area] = []
    to_update: list[Area] = []
    for code, name, division_type, level, parent_code in wanted:
        path = f"{paths[parent_code] if parent_code else '/'}{code}/"
        paths[code] = path
        area = existing.get(code)
        if area is None:
            to_create.append(
                Area(
                    code=code,
                    name=name,
                    name_folded=fold(name),
                    division_type=division_type,
                    level=level,
                    path=path,
                )
            )
        elif (area.name, area.division_type) != (name, division_type):
            area.name, area.name_folded, area.division_type = name, fold(name), division_type
            to_update.append(area)
        else:
            result.unchanged += 1
    Area.objects.bulk_create(to_create, batch_size=1000)
    Area.objects.bulk_update(to_update, ["name", "name_folded", "division_type"], batch_size=1000)
    # Parents are set after creation, once every province has its id.
    by_code = {area.code: area for area in Area.objects.filter(code__in=paths)}
    orphans = []
    for code, *_rest, parent_code in wanted:
        area = by_code[code]
        parent_id = by_code[parent_code].pk if parent_code else None
        if area.parent_id != parent_id:
            area.parent_id = parent_id
            orphans.append(area)
    Area.objects.bulk_update(orphans, ["parent"], batch_size=1000)
    if to_update or orphans:
        AUTH.bump()  # bulk_update sends no signal; users' cached areas show the names
    result.created, result.updated = len(to_create), len(to_update)
    audit_record(
        actor=actor,
        action="area.official_loaded",
        target_repr="Danh mục đơn vị hành chính (vietnam-provinces)",
        changes={"created": result.created, "updated": result.updated},
    )
    return result


@dataclass
class SchoolData:
    """One school's fields, as typed in a form, an API call or a spreadsheet row."""

    code: str
    name: str
    area: Area
    levels: list[str]
    address: str = ""
    principal_name: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    is_active: bool = True

    @classmethod
    def of(cls, school: School) -> SchoolData:
        """A school's current fields, to change some and write back."""
        return cls(
            code=school.code,
            name=school.name,
            area=school.area,
            levels=school.levels,
            address=school.address,
            principal_name=school.principal_name,
            contact_name=school.contact_name,
            phone=school.phone,
            email=school.email,
            is_active=school.is_active,
        )


def school_clean(data: SchoolData) -> dict[str, Any]:
    """Normalise and check one school's fields; raise DomainError naming the field."""
    code = data.code.strip()
    if not code:
        raise DomainError("Thiếu mã trường. Hãy ghi mã trường do Bộ GD&ĐT cấp.", field="code")
    if len(code) > 20:
        raise DomainError(
            "Mã trường dài quá 20 ký tự. Hãy ghi đúng mã do Bộ GD&ĐT cấp.", field="code"
        )
    name = normalize_spaces(data.name)
    if not name:
        raise DomainError(
            "Thiếu tên trường. Hãy ghi tên đầy đủ, ví dụ “Trường Tiểu học Lục Ngạn”.", field="name"
        )
    levels = [level for level in data.levels if level]
    unknown = [level for level in levels if level not in SchoolLevel.values]
    if unknown or not levels:
        raise DomainError(
            "Cấp học phải là một hoặc nhiều trong: Tiểu học, THCS, THPT, GDTX.", field="levels"
        )
    phone = ""
    if data.phone.strip():
        try:
            phone = parse_phone(data.phone)
        except InvalidPhone:
            raise DomainError(
                f"Số điện thoại “{data.phone}” không hợp lệ. Ví dụ đúng: 0204.3854.123.",
                field="phone",
            ) from None
    email = data.email.strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(
                f"Thư điện tử “{data.email}” không hợp lệ. Ví dụ đúng: truong@bacninh.edu.vn.",
                field="email",
            ) from None
    values: dict[str, Any] = {
        "code": code,
        "name": name,
        "name_folded": fold(name),
        "area": data.area,
        "address": normalize_spaces(data.address),
        "principal_name": normalize_spaces(data.principal_name),
        "contact_name": normalize_spaces(data.contact_name),
        "phone": phone,
        "email": email,
        "is_active": data.is_active,
    }
    for level in SchoolLevel.values:
        values[f"teaches_{level}"] = level in levels
    return values


@audited
def school_create(*, actor: User | None, data: SchoolData) -> School:
    """Register a school in an area inside the actor's scope."""
    authorize(actor, "schools.add", data.area)
    values = school_clean(data)
    if School.objects.filter(code=values["code"]).exists():
        raise DomainError(f"Mã trường “{values['code']}” đã có trong hệ thống.", field="code")
    school = School.objects.create(**values)
    audit_record(
        actor=actor,
        action="school.created",
        target=school,
        area=school.area,
        changes=diff({}, snapshot(school, SCHOOL_FIELDS)),
    )
    return school


@audited
def school_update(*, actor: User | None, school: School, data: SchoolData) -> School:
    """Change a school's details; moving it needs the new area inside the scope too."""
    authorize(actor, "schools.change", school.area)
    authorize(actor, "schools.change", data.area)
    school = School.objects.select_for_update().get(pk=school.pk)
    before = snapshot(school, SCHOOL_FIELDS)
    values = school_clean(data)
    if values["code"] != school.code and School.objects.filter(code=values["code"]).exists():
        raise DomainError(f"Mã trường “{values['code']}” đã có trong hệ thống.", field="code")
    for name, value in values.items():
        setattr(school, name, value)
    school.save()
    changes = diff(before, snapshot(school, SCHOOL_FIELDS))
    audit_record(
        actor=actor, action="school.updated", target=school, area=school.area, changes=changes
    )
    return school
