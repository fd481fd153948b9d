from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

# (permission, url name, label): the menu shows what the role may use.
MENU = [
    ("campaigns.view", "campaigns:list", "Chương trình"),
    ("schools.view", "areas:school_list", "Trường học"),
    ("areas.view", "areas:area_list", "Địa bàn"),
    ("users.view", "accounts:user_list", "Người dùng"),
    ("audit.view", "audit:list", "Nhật ký"),
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
