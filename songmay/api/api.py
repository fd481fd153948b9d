"""The HTTP API at /api/v1/: bearer-token auth and one JSON shape for every error.

Only personal API tokens are accepted, never the session cookie: a page open in the same
browser cannot make API calls on the user's behalf, so the API needs no CSRF token.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from songmay.accounts.models import ApiToken, User
from songmay.api.allocation import router as allocation_router
from songmay.api.areas import router as areas_router
from songmay.api.campaigns import router as campaigns_router
from songmay.api.dead_spots import router as dead_spots_router
from songmay.api.devices import router as devices_router
from songmay.api.donations import donors_router, pledges_router, receipts_router
from songmay.api.indicators import router as indicators_router
from songmay.api.packages import router as packages_router
from songmay.api.pool import router as pool_router
from songmay.api.pool_transfers import router as pool_transfers_router
from songmay.api.schemas import NotFound
from songmay.api.schools import router as schools_router
from songmay.api.students import router as students_router
from songmay.lib.errors import DomainError

# Recording every request would turn each read into a write; a minute is precise enough
# to tell which tokens are still in use.
LAST_USED_PRECISION = dt.timedelta(minutes=1)

NOT_FOUND = "Không tìm thấy."


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <key>`, checked against the SHA-256 of each live token."""

    def __call__(self, request: HttpRequest) -> User:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise AuthenticationError(
                message="Thiếu mã truy cập. Hãy gửi tiêu đề “Authorization: Bearer <mã>”; "
                "mã được tạo ở trang Tài khoản → Mã truy cập API."
            )
        return self.authenticate(request, key.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User:
        api_token = (
            ApiToken.objects.select_related("user__area", "user__school__area")
            .filter(key_hash=ApiToken.hash_key(token))
            .first()
        )
        if api_token is None:
            raise AuthenticationError(message="Mã truy cập không đúng.")
        if api_token.revoked_at is not None:
            raise AuthenticationError(message="Mã truy cập đã bị thu hồi. Hãy tạo mã mới.")
        user = api_token.user
        if not user.is_active:
            raise AuthenticationError(message="Tài khoản gắn với mã truy cập này đã bị khoá.")
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = user
        return user


class Renderer(JSONRenderer):
    # Vietnamese text as UTF-8, not \u escapes: half the bytes or less on a weak connection.
    json_dumps_params = {"ensure_ascii": False}


class SongmayAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Plain names (list_schools) read better in generated clients than module paths.
        return operation.view_func.__name__


api = SongmayAPI(
    title="Songmay API",
    version="1",
    description="API của Songmay: đơn vị hành chính, trường học và chương trình. "
    "Mỗi yêu cầu gửi kèm tiêu đề `Authorization: Bearer <mã truy cập>`; "
    "dữ liệu trả về giới hạn trong phạm vi của tài khoản tạo mã.",
    urls_namespace="api",
    openapi_url="/openapi.json",
    # Ninja's documentation page loads Swagger UI from a CDN; pages must not load assets
    # from the internet, so only the schema is served.
    docs_url=None,
    auth=TokenAuth(),
    renderer=Renderer(),
)
api.add_router("/areas", areas_router)
api.add_router("/schools", schools_router)
api.add_router("/campaigns", campaigns_router)
api.add_router("/campaigns", indicators_router)
api.add_router("/students", students_router)
api.add_router("/donors", donors_router)
api.add_router("/pledges", pledges_router)
api.add_router("/receipts", receipts_router)
api.add_router("/devices", devices_router)
api.add_router("/dead-spots", dead_spots_router)
api.add_router("", allocation_router)
api.add_router("/pool", pool_router)
api.add_router("/pool", pool_transfers_router)
api.add_router("/connectivity", packages_router)


def error_response(
    request: HttpRequest, status: int, message: str, field: str | None = None, **extra: Any
) -> HttpResponse:
    body: dict[str, Any] = {"message": message}
    if field:
        body["field"] = field
    body.update(extra)
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, 400, exc.message, exc.field)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, "Bạn không có quyền dùng chức năng này.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # get_object_or_404's own text names the model in English: never shown.
    if isinstance(exc, NotFound):
        return error_response(request, 404, exc.message, exc.field)
    return error_response(request, 404, NOT_FOUND)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(request, 401, exc.message)
    response["WWW-Authenticate"] = 'Bearer realm="songmay"'
    return response


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Django logs it and answers 500 without the traceback (ninja would show it under DEBUG).
    raise exc


# Ninja's own errors come with English text.
HTTP_ERROR_MESSAGES = {
    400: "Không đọc được nội dung gửi lên; hãy gửi JSON hợp lệ (Content-Type: application/json).",
    429: "Quá nhiều yêu cầu. Hãy thử lại sau ít phút.",
}


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = HTTP_ERROR_MESSAGES.get(exc.status_code, exc.message)
    return error_response(request, exc.status_code, message)


# Pydantic's wording, said in Vietnamese; anything not listed keeps pydantic's text.
VALIDATION_MESSAGES = {
    "missing": "Thiếu trường bắt buộc.",
    "extra_forbidden": "Trường này không có trong API; hãy kiểm tra lại tên trường.",
    "string_type": "Phải là chuỗi ký tự.",
    "string_too_long": "Dài quá {max_length} ký tự.",
    "too_short": "Cần ít nhất {min_length} giá trị.",
    "int_type": "Phải là số nguyên.",
    "int_parsing": "Phải là số nguyên.",
    "int_from_float": "Phải là số nguyên.",
    "bool_type": "Phải là true hoặc false.",
    "bool_parsing": "Phải là true hoặc false.",
    "date_type": "Ngày phải viết dạng YYYY-MM-DD, ví dụ 2021-09-21.",
    "date_parsing": "Ngày phải viết dạng YYYY-MM-DD, ví dụ 2021-09-21.",
    "date_from_datetime_parsing": "Ngày phải viết dạng YYYY-MM-DD, ví dụ 2021-09-21.",
    "date_from_datetime_inexact": "Ngày phải viết dạng YYYY-MM-DD, ví dụ 2021-09-21.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "enum": "Phải là một trong: {expected}.",
    "list_type": "Phải là một danh sách.",
    "model_attributes_type": "Phải là một đối tượng JSON.",
    "dict_type": "Phải là một đối tượng JSON.",
    "json_invalid": "Nội dung gửi lên không phải JSON hợp lệ.",
}


def _field_error(error: dict[str, Any]) -> dict[str, str]:
    # loc is (source, parameter, *path), e.g. ("body", "payload", "phases", 0, "starts_on").
    loc = [str(part) for part in error.get("loc", ())]
    path = loc[2:] if len(loc) > 2 and loc[0] == "body" else loc[1:]
    context = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    context["expected"] = context.get("expected", "").replace(" or ", " hoặc ")
    template = VALIDATION_MESSAGES.get(error.get("type", ""))
    if template is not None:
        message = template.format(**context)
    elif error.get("type") == "value_error" and "error" in context:
        message = context["error"]  # our own validators speak Vietnamese already
    else:
        message = str(error.get("msg", ""))
    return {"field": ".".join(path), "message": message}


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(
        request,
        422,
        "Dữ liệu gửi lên không hợp lệ.",
        errors=[_field_error(error) for error in exc.errors],
    )


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """A JSON 404 for any address under /api/v1/ that names no endpoint."""
    return JsonResponse(
        {"message": NOT_FOUND}, status=404, json_dumps_params={"ensure_ascii": False}
    )
