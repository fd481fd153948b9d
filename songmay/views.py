import uuid

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
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


# Set once every migration is applied: a running process never goes back, and building the
# migration graph on every probe would cost more than the rest of the check.
_migrated = False


def _unapplied_migrations() -> int:
    global _migrated  # noqa: PLW0603 - a per-process memo, see above
    if _migrated:
        return 0
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    _migrated = not plan
    return len(plan)


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when this process can serve: database, schema up to date, cache; 503 with why."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending = _unapplied_migrations()
    except Exception:  # any database failure means "not ready"
        return JsonResponse({"status": "database unreachable"}, status=503)
    if pending:
        return JsonResponse({"status": "migrations pending", "unapplied": pending}, status=503)
    try:
        key = f"songmay:readyz:{uuid.uuid4().hex}"
        cache.set(key, 1, timeout=5)
        reachable = cache.get(key) == 1
        cache.delete(key)
    except Exception:  # a cache server that refuses or times out
        reachable = False
    if not reachable:
        return JsonResponse({"status": "cache unreachable"}, status=503)
    return JsonResponse({"status": "ready"})


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
