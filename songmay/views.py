from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from songmay.accounts.decorators import AuthenticatedRequest
from songmay.areas.selectors import school_list
from songmay.campaigns.selectors import campaign_list


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers; 503 otherwise, for the load balancer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "database unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Each role's starting page: what lies in its scope and where to go next."""
    user = request.user
    scope = user.scope
    campaigns = campaign_list(user=user)
    context = {
        "campaign_count": campaigns.count(),
        "campaigns": campaigns.prefetch_related("phases")[:10],
        "school_count": school_list(user=user).count() if scope.may("schools.view") else None,
    }
    return render(request, "home.html", context)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)
