"""Administrative areas, read-only, within the user's scope."""

from django.db.models import QuerySet
from ninja import P, QueryEx, Router
from ninja.pagination import paginate

from songmay.api.schemas import ERRORS, AreaOut, AuthedRequest, Pagination, area_by_code, require
from songmay.areas.models import Area
from songmay.areas.selectors import area_get, area_list

router = Router(tags=["Đơn vị hành chính"])


@router.get("", response={200: list[AreaOut], **ERRORS}, summary="Danh sách đơn vị hành chính")
@paginate(Pagination)
def list_areas(
    request: AuthedRequest,
    q: QueryEx[str, P(description="Tìm theo tên, có dấu hay không dấu.")] = "",
    parent: QueryEx[str | None, P(description="Mã đơn vị cấp trên: các đơn vị trực thuộc.")] = None,
) -> QuerySet[Area]:
    """Không tìm và không chọn cấp trên thì trả về đơn vị cao nhất trong phạm vi của bạn."""
    require(request, "areas.view")
    parent_area = area_by_code(request, parent, field="parent") if parent else None
    return area_list(user=request.user, query=q, parent=parent_area)


@router.get("/{code}", response={200: AreaOut, **ERRORS}, summary="Một đơn vị hành chính")
def get_area(request: AuthedRequest, code: str) -> Area:
    require(request, "areas.view")
    return area_get(user=request.user, code=code)
