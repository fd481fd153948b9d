from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# (permission, url name, label): the menu shows what the role may use.
MENU = [
    ("campaigns.view", "campaigns:list", gettext_noop("Chương trình")),
    ("schools.view", "areas:school_list", gettext_noop("Trường học")),
    ("areas.view", "areas:area_list", gettext_noop("Địa bàn")),
    ("users.view", "accounts:user_list", gettext_noop("Người dùng")),
    ("audit.view", "audit:list", gettext_noop("Nhật ký")),
    ("schools.add", "jobs:list", gettext_noop("Tác vụ")),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {"menu": []}
    scope = user.scope
    menu = [
        {"url": reverse(name), "label": _(label), "active": request.path.startswith(reverse(name))}
        for permission, name, label in MENU
        if scope.may(permission)
    ]
    return {"menu": menu}
