from functools import lru_cache
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from songmay.accounts.middleware import second_factor_owed
from songmay.accounts.scope import PERMISSIONS, Role

# (permission, url name, label): the menu shows what the role may use.
MENU = [
    ("dashboard.view", "dashboards:home", gettext_noop("Tổng quan")),
    ("campaigns.view", "campaigns:list", gettext_noop("Chương trình")),
    ("students.view", "students:list", gettext_noop("Học sinh")),
    ("students.review", "students:duplicates", gettext_noop("Hồ sơ trùng")),
    ("donations.view", "donations:donation_list", gettext_noop("Tài trợ")),
    ("inventory.view", "inventory:device_list", gettext_noop("Thiết bị")),
    ("allocation.view", "allocation:assignment_list", gettext_noop("Phân bổ")),
    ("pool.view", "pool:loan_list", gettext_noop("Kho dùng chung")),
    ("connectivity.view", "connectivity:dead_spot_list", gettext_noop("Kết nối")),
    ("schools.view", "areas:school_list", gettext_noop("Trường học")),
    ("areas.view", "areas:area_list", gettext_noop("Địa bàn")),
    ("users.view", "accounts:user_list", gettext_noop("Người dùng")),
    ("audit.view", "audit:list", gettext_noop("Nhật ký")),
    ("schools.add", "jobs:list", gettext_noop("Tác vụ")),
]


# The menu is the same on every page of a role, language and section: rendering it each time
# (a dozen reverse(), gettext() and loop turns) showed in the dashboard's profile, so each
# process builds it once per such combination.
@lru_cache(maxsize=64)
def _entries(script_prefix: str, role: str, language: str | None) -> tuple[tuple[str, str], ...]:
    may = PERMISSIONS.get(role, frozenset())
    return tuple((reverse(name), _(label)) for permission, name, label in MENU if permission in may)


@lru_cache(maxsize=8)
def _links(script_prefix: str) -> dict[str, str]:
    names = {"home": "home", "profile": "accounts:profile", "logout": "accounts:logout",
             "set_language": "set_language"}  # fmt: skip
    return {key: reverse(name) for key, name in names.items()}


@lru_cache(maxsize=1024)
def _menu(script_prefix: str, role: str, language: str | None, current: str | None) -> str:
    items = _entries(script_prefix, role, language)
    return render_to_string("_menu.html", {"items": items, "current": current})


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    prefix = get_script_prefix()
    # The layout's own addresses, also reversed once per process: {{ links.home }}.
    links = _links(prefix)
    # Before the second factor every link would lead back to its page: no menu then.
    if not user.is_authenticated or second_factor_owed(request):
        return {"menu": "", "may": frozenset(), "links": links}
    role, language = user.scope.role, get_language()
    # The longest matching address is the current one: /students/duplicates/ is not /students/.
    matching = (
        url for url, _label in _entries(prefix, role, language) if request.path.startswith(url)
    )
    current = max(matching, key=len, default=None)
    # `may` lets a template ask what the role may do: {% if "ledger.view" in may %}.
    return {
        "menu": _menu(prefix, role, language, current),
        "may": PERMISSIONS.get(role, frozenset()),
        "links": links,
        # What get_role_display() gives, without the dict of choices it builds on every call.
        "role_label": Role(role).label if role in Role.values else role,
    }
