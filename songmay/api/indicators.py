"""The indicators of a campaign, for a place within the token user's scope."""

from typing import Any

from ninja import P, QueryEx, Router

from songmay.api.schemas import ERRORS, AuthedRequest, require
from songmay.reports.dashboards import dashboard_report

router = Router(tags=["Chỉ số"])


@router.get(
    "/{campaign_id}/indicators",
    response={200: dict[str, Any], **ERRORS},
    summary="Chỉ số tiến độ của chương trình",
)
def get_campaign_indicators(
    request: AuthedRequest,
    campaign_id: int,
    area: QueryEx[int | None, P(description="Mã số (id) địa bàn: chỉ số của địa bàn này.")] = None,
    school: QueryEx[int | None, P(description="Mã số (id) trường: chỉ số của trường này.")] = None,
) -> dict[str, Any]:
    """Như báo cáo trên trang tổng quan: mặc định là địa bàn của bạn (hoặc của chương trình);
    địa bàn, trường hay chương trình ngoài phạm vi của bạn trả về 404."""
    require(request, "reports.view")
    report = dashboard_report(
        user=request.user, campaign_pk=campaign_id, area_pk=area, school_pk=school
    )
    return report.as_json()
