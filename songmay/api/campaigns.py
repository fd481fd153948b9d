"""Campaigns with their phases, intake windows and contacts."""

from django.db.models import QuerySet
from ninja import Router, Status
from ninja.pagination import paginate

from songmay.api.schemas import (
    ERRORS,
    AuthedRequest,
    CampaignIn,
    CampaignOut,
    CampaignSummaryOut,
    Pagination,
    area_by_code,
    require,
)
from songmay.campaigns.models import Campaign
from songmay.campaigns.selectors import campaign_get, campaign_list
from songmay.campaigns.services import (
    CampaignData,
    ContactData,
    PhaseData,
    WindowData,
    campaign_create,
    campaign_update,
)
from songmay.lib.errors import DomainError

router = Router(tags=["Chương trình"])


def _data(request: AuthedRequest, payload: CampaignIn) -> CampaignData:
    return CampaignData(
        name=payload.name,
        area=area_by_code(request, payload.area, field="area") if payload.area else None,
        plan_reference=payload.plan_reference,
        launched_on=payload.launched_on,
        focal_point=payload.focal_point,
        beneficiaries=payload.beneficiaries,
        support_rule=payload.support_rule,
        description=payload.description,
        phases=[PhaseData(**phase.dict()) for phase in payload.phases],
        windows=[WindowData(**window.dict()) for window in payload.intake_windows],
        contacts=[ContactData(**contact.dict()) for contact in payload.contacts],
    )


def _api_field(exc: DomainError) -> DomainError:
    # The service calls the intake windows "windows"; the API calls them as it outputs them.
    if exc.field == "windows":
        exc.field = "intake_windows"
    return exc


@router.get(
    "", response={200: list[CampaignSummaryOut], **ERRORS}, summary="Danh sách chương trình"
)
@paginate(Pagination)
def list_campaigns(request: AuthedRequest) -> QuerySet[Campaign]:
    """Chương trình toàn quốc, của tỉnh bạn và của các địa bàn trong phạm vi của bạn."""
    require(request, "campaigns.view")
    # The id breaks ties between campaigns launched the same day, so pages never overlap.
    return campaign_list(user=request.user).order_by("-launched_on", "name", "pk")


@router.get(
    "/{campaign_id}",
    response={200: CampaignOut, **ERRORS},
    summary="Một chương trình, kèm giai đoạn, thời gian tiếp nhận và người liên hệ",
)
def get_campaign(request: AuthedRequest, campaign_id: int) -> Campaign:
    require(request, "campaigns.view")
    return campaign_get(user=request.user, pk=campaign_id)


@router.post("", response={201: CampaignOut, **ERRORS}, summary="Tạo chương trình")
def create_campaign(request: AuthedRequest, payload: CampaignIn) -> Status[Campaign]:
    require(request, "campaigns.change")
    data = _data(request, payload)
    try:
        campaign = campaign_create(actor=request.user, data=data)
    except DomainError as exc:
        raise _api_field(exc) from None
    return Status(201, campaign_get(user=request.user, pk=campaign.pk))


@router.put(
    "/{campaign_id}",
    response={200: CampaignOut, **ERRORS},
    summary="Sửa chương trình (thay cả danh sách giai đoạn, thời gian tiếp nhận, người liên hệ)",
)
def update_campaign(request: AuthedRequest, campaign_id: int, payload: CampaignIn) -> Campaign:
    require(request, "campaigns.change")
    campaign = campaign_get(user=request.user, pk=campaign_id)
    data = _data(request, payload)
    try:
        campaign = campaign_update(actor=request.user, campaign=campaign, data=data)
    except DomainError as exc:
        raise _api_field(exc) from None
    return campaign_get(user=request.user, pk=campaign.pk)
