"""The receipt's acknowledgement letter as a PDF."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.donations.letters import acknowledgement_pdf
from songmay.donations.models import Donation


@requires("donations.view")
def donation_letter(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    # No pupil data in a letter, so no audit entry; a receipt outside the scope is a 404.
    donation = get_object_or_404(
        Donation.objects.visible_to(request.user).select_related("campaign__area", "donor"), pk=pk
    )
    response = HttpResponse(acknowledgement_pdf(donation), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="thu-cam-on-{donation.code}.pdf"'
    return response
