"""Log-in by username and password: Django's ModelBackend, with the logged-in user read from the
shared cache on every later request (songmay.accounts.caching)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from songmay.accounts.caching import cached_user
from songmay.accounts.models import User


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        def load() -> User | None:
            # The scope reads the user's area, or school and its area: one query for all.
            return User.objects.select_related("area", "school__area").filter(pk=user_id).first()

        user = cached_user(user_id, load)
        return user if user is not None and self.user_can_authenticate(user) else None
