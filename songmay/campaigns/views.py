from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.campaigns import selectors, services
from songmay.campaigns.forms import CampaignEditor
from songmay.forms import show_domain_error
from songmay.lib.errors import DomainError


@requires("campaigns.view")
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    campaigns = selectors.campaign_list(user=request.user).prefetch_related("phases")
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "campaigns": campaigns,
            "can_change": request.user.scope.may("campaigns.change"),
        },
    )


@requires("campaigns.view")
def campaign_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "can_change": request.user.scope.may("campaigns.change"),
            "connectivity": selectors.connectivity_indicators(campaign),
        },
    )


@requires("campaigns.change")
def campaign_create(request: AuthenticatedRequest) -> HttpResponse:
    editor = CampaignEditor(request.POST or None, user=request.user)
    if request.method == "POST" and editor.is_valid():
        try:
            campaign = services.campaign_create(actor=request.user, data=editor.to_data())
        except DomainError as error:
            show_domain_error(editor.form, error)
        else:
            messages.success(request, "Đã tạo chương trình.")
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"editor": editor})


@requires("campaigns.change")
def campaign_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    editor = CampaignEditor(request.POST or None, user=request.user, campaign=campaign)
    if request.method == "POST" and editor.is_valid():
        try:
            services.campaign_update(actor=request.user, campaign=campaign, data=editor.to_data())
        except DomainError as error:
            show_domain_error(editor.form, error)
        else:
            messages.success(request, "Đã lưu thay đổi.")
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"editor": editor, "campaign": campaign})
