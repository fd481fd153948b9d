"""What the API reads and writes, and the few helpers its routers share.

Output shapes list their fields one by one (no `ModelSchema`), so a new model column never
reaches a client by accident. Input shapes refuse unknown fields: a typo such as
`"phone_number"` is a 422 naming it, not a change silently ignored.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination
from pydantic import ConfigDict, field_validator

from songmay.accounts.models import User
from songmay.areas.models import Area, AreaLevel, SchoolLevel
from songmay.areas.selectors import area_get
from songmay.students.models import CIRCUMSTANCES, Gender, Household, Lacking, NeedStatus


class AuthedRequest(HttpRequest):
    """A request that passed the token check: `user` is the token's owner."""

    user: User


def require(request: AuthedRequest, permission: str) -> None:
    """403 unless the user's role may use this feature at all; rows are limited by selectors."""
    if not request.user.scope.may(permission):
        raise PermissionDenied


class NotFound(Http404):
    """A 404 that tells the client which input named something it cannot see."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def area_by_code(request: AuthedRequest, code: str, *, field: str) -> Area:
    """The area a client names by code; one outside the user's scope is a 404, as if absent."""
    try:
        return area_get(user=request.user, code=code)
    except Http404:
        raise NotFound(
            f"Không tìm thấy đơn vị hành chính mã “{code}” trong phạm vi của bạn.", field=field
        ) from None


def _check_email(value: str | None) -> str | None:
    if value and value.strip():
        try:
            validate_email(value.strip())
        except ValidationError:
            raise ValueError(f"Thư điện tử “{value}” không hợp lệ.") from None
    return value


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# The largest id a database column holds: a larger number in a filter is refused (422) before
# it reaches the database, which would otherwise fail on it (500).
MAX_ID = 2**63 - 1
# Past this page the row offset would overflow the database's integer.
MAX_PAGE = 2**31 - 1


class PageQuery(PageNumberPagination.Input):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Trang thứ mấy, từ 1.")
    page_size: int | None = Field(
        None, ge=1, description="Số dòng mỗi trang: mặc định 50, nhiều nhất 500."
    )


class Pagination(PageNumberPagination):
    """Pages of 50 rows (up to 500 on request), as `{"items": [...], "count": n}`."""

    Input = PageQuery

    def __init__(self, page_size: int = 50, max_page_size: int = 500, **kwargs: Any) -> None:
        super().__init__(page_size=page_size, max_page_size=max_page_size, **kwargs)


# Errors ---------------------------------------------------------------------------------


class ErrorOut(Schema):
    message: str = Field(description="Lời báo lỗi bằng tiếng Việt, hiển thị được cho người dùng.")
    field: str | None = Field(None, description="Trường dữ liệu gây lỗi, nếu có.")


class FieldErrorOut(Schema):
    field: str = Field(description="Đường dẫn tới trường lỗi, ví dụ `phases.0.starts_on`.")
    message: str


class ValidationErrorOut(Schema):
    message: str
    errors: list[FieldErrorOut]


ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ValidationErrorOut,
}


# Areas ----------------------------------------------------------------------------------


class AreaRef(Schema):
    code: str
    name: str


class AreaOut(Schema):
    code: str = Field(description="Mã đơn vị hành chính chính thức, ví dụ `24` hoặc `07210`.")
    name: str
    division_type: str = Field(description="Loại đơn vị: tỉnh, thành phố, xã, phường, đặc khu…")
    level: AreaLevel
    parent: str | None = Field(description="Mã đơn vị cấp trên; trống với tỉnh/thành phố.")

    @staticmethod
    def resolve_parent(obj: object) -> str | None:
        parent = getattr(obj, "parent", None)
        return parent.code if parent is not None else None


# Schools --------------------------------------------------------------------------------


class SchoolOut(Schema):
    id: int
    code: str = Field(description="Mã trường do Bộ GD&ĐT cấp.")
    name: str
    levels: list[SchoolLevel] = Field(description="Các cấp học của trường.")
    area: AreaRef
    address: str
    principal_name: str
    contact_name: str
    phone: str = Field(description="Số điện thoại dạng E.164, ví dụ `+842043854123`; có thể trống.")
    email: str
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class SchoolIn(InputSchema):
    code: str = Field(max_length=20, description="Mã trường do Bộ GD&ĐT cấp.")
    name: str = Field(max_length=255)
    area: str = Field(description="Mã xã/phường (hoặc đơn vị khác) trong phạm vi của bạn.")
    levels: list[SchoolLevel] = Field(min_length=1)
    address: str = Field("", max_length=255)
    principal_name: str = Field("", max_length=120)
    contact_name: str = Field("", max_length=120)
    phone: str = Field("", description="Viết kiểu nào cũng được, ví dụ `0204.3854.123`.")
    email: str = Field("", max_length=254)
    is_active: bool = True

    _email = field_validator("email")(_check_email)


class SchoolPatch(InputSchema):
    """Only the fields sent are changed; send "" to clear a text field."""

    code: str | None = Field(None, max_length=20)
    name: str | None = Field(None, max_length=255)
    area: str | None = None
    levels: list[SchoolLevel] | None = Field(None, min_length=1)
    address: str | None = Field(None, max_length=255)
    principal_name: str | None = Field(None, max_length=120)
    contact_name: str | None = Field(None, max_length=120)
    phone: str | None = None
    email: str | None = Field(None, max_length=254)
    is_active: bool | None = None

    _email = field_validator("email")(_check_email)


# Campaigns ------------------------------------------------------------------------------


class PhaseSchema(InputSchema):
    number: int = Field(ge=1, le=32767)
    name: str = Field(max_length=255)
    starts_on: dt.date
    ends_on: dt.date
    target_percent: int | None = Field(None, ge=0, le=100, description="Mục tiêu (% học sinh).")
    goal: str = ""


class WindowSchema(InputSchema):
    opens_on: dt.date
    closes_on: dt.date
    note: str = Field("", max_length=255)


class ContactIn(InputSchema):
    full_name: str = Field(max_length=120)
    position: str = Field(max_length=255)
    phone: str = Field("", description="Viết kiểu nào cũng được, ví dụ `0983.934.091`.")
    email: str = Field("", max_length=254)

    _email = field_validator("email")(_check_email)


class ContactOut(Schema):
    order: int = Field(description="Số thứ tự trong danh sách liên hệ.")
    full_name: str
    position: str
    phone: str = Field(description="Số điện thoại dạng E.164; có thể trống.")
    email: str


class CampaignSummaryOut(Schema):
    id: int
    name: str
    area: AreaRef | None = Field(description="Tỉnh/thành phố; trống nếu là chương trình toàn quốc.")
    plan_reference: str
    launched_on: dt.date | None
    focal_point: str
    support_rule: str


class CampaignOut(CampaignSummaryOut):
    beneficiaries: str
    description: str
    phases: list[PhaseSchema]
    intake_windows: list[WindowSchema]
    contacts: list[ContactOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class CampaignIn(InputSchema):
    """The whole campaign; its phases, intake windows and contacts replace the old lists."""

    name: str = Field(max_length=255)
    area: str | None = Field(description="Mã tỉnh/thành phố; `null` cho chương trình toàn quốc.")
    plan_reference: str = Field("", max_length=255)
    launched_on: dt.date | None = None
    focal_point: str = Field("", max_length=255)
    beneficiaries: str = ""
    support_rule: str = Field("", max_length=255)
    description: str = ""
    phases: list[PhaseSchema] = []
    intake_windows: list[WindowSchema] = []
    contacts: list[ContactIn] = Field([], description="Theo thứ tự sẽ hiển thị.")


# Students -------------------------------------------------------------------------------

CIRCUMSTANCE_CODES = ", ".join(f"`{code}` ({label})" for code, label in CIRCUMSTANCES.items())


def _check_circumstances(value: list[str] | None) -> list[str] | None:
    unknown = [code for code in value or [] if code not in CIRCUMSTANCES]
    if unknown:
        raise ValueError(
            f"Không có hoàn cảnh đặc biệt mã “{unknown[0]}”; dùng một trong: "
            + ", ".join(CIRCUMSTANCES)
            + "."
        )
    return value


class CampaignRef(Schema):
    id: int
    name: str


class SchoolRef(Schema):
    id: int
    code: str
    name: str


class StudentOut(Schema):
    """The child, the same record in every campaign; its personal data shown only in scope."""

    id: int = Field(description="Mã hồ sơ học sinh: một em, một mã, ở mọi chương trình.")
    full_name: str
    date_of_birth: dt.date | None
    gender: Gender | None
    personal_id: str = Field(description="Số định danh cá nhân 12 chữ số; có thể trống.")
    guardian_name: str
    guardian_phone: str = Field(description="Số điện thoại dạng E.164; có thể trống.")
    village: str
    commune: AreaRef | None = Field(description="Xã/phường nơi em ở, nếu có.")
    circumstances: list[str] = Field(description=f"Hoàn cảnh đặc biệt: {CIRCUMSTANCE_CODES}.")
    consent_given: bool = Field(description="Người giám hộ đã đồng ý cho xử lý dữ liệu.")
    consent_on: dt.date | None

    @staticmethod
    def resolve_gender(obj: object) -> str | None:
        return getattr(obj, "gender", "") or None

    @staticmethod
    def resolve_circumstances(obj: object) -> list[str]:
        return [code for code in CIRCUMSTANCES if getattr(obj, code, False)]


class NeedOut(Schema):
    id: int = Field(description="Mã nhu cầu: một em trong một chương trình.")
    campaign: CampaignRef
    school: SchoolRef = Field(description="Trường đăng ký em.")
    student: StudentOut
    class_name: str = Field(description="Lớp, ví dụ `6A`.")
    level: SchoolLevel
    household: Household = Field(description="Hoàn cảnh gia đình.")
    lacking: Lacking = Field(description="Còn thiếu thiết bị, kết nối hay cả hai.")
    status: NeedStatus
    confirmed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class StudentIn(InputSchema):
    """One pupil's need; a child already registered (same personal ID) is not added twice."""

    campaign: int = Field(description="Mã số (id) chương trình.")
    school: str = Field(description="Mã trường trong phạm vi của bạn.")
    full_name: str = Field(max_length=120)
    date_of_birth: dt.date
    level: SchoolLevel = Field(description="Cấp học; trường phải dạy cấp này.")
    lacking: Lacking
    gender: Gender | None = None
    class_name: str = Field("", max_length=20)
    personal_id: str = Field("", max_length=14, description="Số định danh cá nhân 12 chữ số.")
    guardian_name: str = Field("", max_length=120)
    guardian_phone: str = Field("", max_length=30, description="Ví dụ `0983.934.091`.")
    village: str = Field("", max_length=120)
    commune: str | None = Field(None, description="Mã xã/phường nơi em ở, trong phạm vi của bạn.")
    household: Household = Household.NONE
    circumstances: list[str] = Field(
        [], description=f"Mã hoàn cảnh đặc biệt: {CIRCUMSTANCE_CODES}."
    )
    consent_given: bool = False
    consent_on: dt.date | None = Field(None, description="Trống thì lấy ngày hôm nay.")

    _circumstances = field_validator("circumstances")(_check_circumstances)


class StudentPatch(InputSchema):
    """Only the fields sent are changed; `null` clears gender, commune or consent date.

    The campaign and the school stay: a pupil who moves is registered by the new school.
    """

    full_name: str | None = Field(None, max_length=120)
    date_of_birth: dt.date | None = None
    level: SchoolLevel | None = None
    lacking: Lacking | None = None
    gender: Gender | None = None
    class_name: str | None = Field(None, max_length=20)
    personal_id: str | None = Field(None, max_length=14)
    guardian_name: str | None = Field(None, max_length=120)
    guardian_phone: str | None = Field(None, max_length=30)
    village: str | None = Field(None, max_length=120)
    commune: str | None = None
    household: Household | None = None
    circumstances: list[str] | None = None
    consent_given: bool | None = None
    consent_on: dt.date | None = None

    _circumstances = field_validator("circumstances")(_check_circumstances)


class WithdrawIn(InputSchema):
    reason: str = Field(max_length=255, description="Lý do rút em khỏi danh sách.")
