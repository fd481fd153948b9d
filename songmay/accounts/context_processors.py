from functools import cache
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from songmay.accounts.middleware import second_factor_owed
from songmay.accounts.scope import PERMISSIONS

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


@cache
def _menu(script_prefix: str) -> list[tuple[str, str, str]]:
    # Reversed once per process (and prefix): on every page, a dozen reverse() calls showed.
    return [(permission, reverse(name), label) for permission, name, label in MENU]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    # Before the second factor every link would lead back to its page: no menu then.
    if not user.is_authenticated or second_factor_owed(request):
        return {"menu": [], "may": frozenset()}
    scope = user.scope
    menu: list[dict[str, Any]] = [
        {"url": url, "label": _(label), "active": False}
        for permission, url, label in _menu(get_script_prefix())
        if scope.may(permission)
    ]
    # The longest matching address wins: /students/duplicates/ is not also /students/.
    matching = [item for item in menu if request.path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    # `may` lets a template ask what the role may do: {% if "ledger.view" in may %}.
    return {"menu": menu, "may": PERMISSIONS.get(scope.role, frozenset())}
