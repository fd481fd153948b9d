"""The one mechanism that decides what a user may see and change.

Every page, API endpoint, export and command asks a user's `Scope`: `may()` says whether
the role may use a feature at all (403 if not), and the `filter_*` methods cut a queryset
down to the user's area, school, donor or operator (an object outside it is a 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from songmay.areas.models import path_and_above
from songmay.lib.errors import DomainError

if TYPE_CHECKING:
    from songmay.accounts.models import User
    from songmay.areas.models import Area

Q_T = TypeVar("Q_T", bound=QuerySet[Any])


class Role(models.TextChoices):
    ADMIN = "admin", _("Quản trị hệ thống")
    PROVINCE_OFFICER = "province_officer", _("Cán bộ Sở GD&ĐT")
    AREA_OFFICER = "area_officer", _("Cán bộ xã/phường")
    SCHOOL_STAFF = "school_staff", _("Cán bộ trường")
    DONOR = "donor", _("Nhà tài trợ")
    OPERATOR = "operator", _("Doanh nghiệp viễn thông")
    AUDITOR = "auditor", _("Thanh tra, kiểm toán")


# What each role may do at all; the scope then limits which rows.
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {
            "areas.view", "areas.add", "schools.view", "schools.add", "schools.change",
            "campaigns.view", "campaigns.change", "audit.view", "users.view", "users.change",
            "students.view", "students.add", "students.change", "students.confirm",
            "students.review", "students.export",
            "donations.view", "donations.change", "ledger.view", "inventory.view",
            "inventory.change", "allocation.view", "allocation.run", "allocation.handover",
            "pool.view", "pool.manage", "pool.receive", "connectivity.view",
            "connectivity.change", "connectivity.request", "connectivity.operate",
            "reports.view",
        }
    ),
    # The department receives gifts, keeps the ledger and the inventory.
    Role.PROVINCE_OFFICER: frozenset(
        {
            "areas.view", "schools.view", "schools.add", "schools.change",
            "campaigns.view", "campaigns.change", "users.view", "users.change",
            "students.view", "students.confirm", "students.review", "students.export",
            "donations.view", "donations.change", "ledger.view", "inventory.view",
            "inventory.change", "allocation.view", "allocation.run", "allocation.handover",
            "pool.view", "pool.manage", "pool.receive", "connectivity.view",
            "connectivity.change", "connectivity.request", "reports.view",
        }
    ),
    Role.AREA_OFFICER: frozenset(
        {
            "areas.view", "schools.view", "schools.add", "schools.change", "campaigns.view",
            "students.view", "students.confirm", "students.review", "students.export",
            "inventory.view", "allocation.view", "pool.view", "connectivity.view",
            "connectivity.change", "connectivity.request", "reports.view",
        }
    ),
    # School staff register and correct their own pupils; the officers above them confirm.
    Role.SCHOOL_STAFF: frozenset(
        {
            "schools.view", "schools.change", "campaigns.view",
            "students.view", "students.add", "students.change", "students.export",
            "inventory.view", "allocation.view", "allocation.handover", "pool.view",
            "pool.receive", "connectivity.view", "connectivity.request", "reports.view",
        }
    ),
    # A donor follows its own gifts; it never sees the inventory or the pupils.
    Role.DONOR: frozenset({"campaigns.view", "donations.view"}),
    # An operator works on its own dead spots and its own pupils' package requests only.
    Role.OPERATOR: frozenset({"campaigns.view", "connectivity.view", "connectivity.operate"}),
    Role.AUDITOR: frozenset(
        {
            "areas.view", "schools.view", "campaigns.view", "audit.view", "users.view",
            "students.view", "students.export", "donations.view", "ledger.view",
            "inventory.view", "allocation.view", "pool.view", "connectivity.view",
            "reports.view",
        }
    ),
}  # fmt: skip
# Every role has a dashboard of its own: the campaign's progress, a donor's gifts, an operator's
# work.
PERMISSIONS = {role: granted | {"dashboard.view"} for role, granted in PERMISSIONS.items()}

# Roles that may use the staff pages (lists of schools, areas...).
STAFF_ROLES = frozenset({Role.ADMIN, Role.PROVINCE_OFFICER, Role.AREA_OFFICER, Role.SCHOOL_STAFF})


@dataclass(frozen=True)
class Scope:
    role: str
    # Materialised path of the area the user answers for; None with a national role.
    area_path: str | None
    school_id: int | None = None
    donor_id: int | None = None
    operator_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Scope:
        if not user.is_active or not user.is_authenticated:
            return cls(role="", area_path=None)
        if user.role == Role.SCHOOL_STAFF and user.school is not None:
            return cls(user.role, user.school.area.path, school_id=user.school_id)
        return cls(
            role=user.role,
            area_path=user.area.path if user.area else None,
            donor_id=user.donor_id,
            operator_id=user.operator_id,
        )

    @property
    def is_national(self) -> bool:
        return self.role in (Role.ADMIN, Role.AUDITOR) and self.area_path is None

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    def covers_path(self, path: str) -> bool:
        """Whether an area (given by its path) lies inside this scope."""
        if self.is_national:
            return True
        return self.area_path is not None and path.startswith(self.area_path)

    def _within(self, qs: Q_T, area_field: str) -> Q_T:
        prefix = f"{area_field}__" if area_field else ""
        if self.is_national:
            return qs
        if self.area_path is None or self.role in (Role.DONOR, Role.OPERATOR):
            return qs.none()
        return qs.filter(**{f"{prefix}path__startswith": self.area_path})

    def filter_areas(self, qs: Q_T, area_field: str) -> Q_T:
        """Areas (or rows with an area) inside the user's area."""
        return self._within(qs, area_field)

    def filter_schools(self, qs: Q_T, school_field: str) -> Q_T:
        """Schools (or rows with a school): school staff see only their own school."""
        prefix = f"{school_field}__" if school_field else ""
        if self.role == Role.SCHOOL_STAFF:
            return qs.filter(**{f"{prefix}pk": self.school_id})
        return self._within(qs, f"{prefix}area")

    def filter_campaigns(self, qs: Q_T) -> Q_T:
        """Campaigns of the nation, of the user's province, or of an area inside the scope."""
        if self.is_national or self.role in (Role.DONOR, Role.OPERATOR):
            return qs
        if self.area_path is None:
            return qs.none()
        above = path_and_above(self.area_path)
        return qs.filter(
            Q(area__isnull=True)
            | Q(area__path__in=above)
            | Q(area__path__startswith=self.area_path)
        )

    def filter_users(self, qs: Q_T) -> Q_T:
        """Users bound to an area or school inside the scope (admins see everyone)."""
        if self.is_national:
            return qs
        if self.area_path is None or self.role not in (Role.PROVINCE_OFFICER, Role.AUDITOR):
            return qs.none()
        return qs.filter(
            Q(area__path__startswith=self.area_path)
            | Q(school__area__path__startswith=self.area_path)
        )

    def filter_donors(self, qs: Q_T) -> Q_T:
        """Donors recorded in the user's province or nationally; a donor sees only itself."""
        if self.is_national:
            return qs
        if self.role == Role.DONOR:
            return qs.filter(pk=self.donor_id)
        if self.area_path is None or self.role not in (Role.PROVINCE_OFFICER, Role.AUDITOR):
            return qs.none()
        return qs.filter(
            Q(area__isnull=True)
            | Q(area__path__in=path_and_above(self.area_path))
            | Q(area__path__startswith=self.area_path)
        )

    def filter_donations(self, qs: Q_T) -> Q_T:
        """Pledges, donations and spendings of the campaigns in scope; a donor's own gifts."""
        if self.is_national:
            return qs
        if self.role == Role.DONOR:
            # Spendings have no donor: a donor reaches them through its donations' fundings.
            field = "donor_id" if hasattr(qs.model, "donor") else "fundings__donation__donor_id"
            return qs.filter(**{field: self.donor_id}).distinct()
        if self.area_path is None or self.role not in (Role.PROVINCE_OFFICER, Role.AUDITOR):
            return qs.none()
        return qs.filter(campaign__area__path__startswith=self.area_path)

    def filter_runs(self, qs: Q_T) -> Q_T:
        """Allocation runs: kept by the province that runs the campaign (and national roles)."""
        if self.is_national:
            return qs
        if self.area_path is None or self.role not in (Role.PROVINCE_OFFICER, Role.AUDITOR):
            return qs.none()
        return qs.filter(campaign__area__path__startswith=self.area_path)

    def filter_dead_spots(self, qs: Q_T) -> Q_T:
        """Dead spots in the area (a school sees its commune's); an operator sees its own."""
        if self.is_national:
            return qs
        if self.role == Role.OPERATOR:
            return qs.filter(operator_id=self.operator_id)
        return self._within(qs, "area")

    def filter_connectivity(self, qs: Q_T, school_field: str) -> Q_T:
        """Package and broadband requests: by the pupil's school, or the operator's own."""
        if self.role == Role.OPERATOR:
            return qs.filter(operator_id=self.operator_id)
        return self.filter_schools(qs, school_field)

    def filter_devices(self, qs: Q_T) -> Q_T:
        """Devices at a school or store in the area, or held by a campaign of the province."""
        if self.is_national:
            return qs
        if self.role == Role.SCHOOL_STAFF:
            return qs.filter(school_id=self.school_id)
        if self.area_path is None or self.role in (Role.DONOR, Role.OPERATOR):
            return qs.none()
        within = Q(school__area__path__startswith=self.area_path) | Q(
            warehouse__area__path__startswith=self.area_path
        )
        if self.role in (Role.PROVINCE_OFFICER, Role.AUDITOR):
            within |= Q(campaign__area__path__startswith=self.area_path)
        return qs.filter(within)


def authorize(actor: User | None, permission: str, area: Area | None = None) -> None:
    """The check every write service makes before it writes.

    Commands act as the system (actor None). A person's role must allow `permission` (else
    403), and the area written to must lie inside the person's scope.
    """
    if actor is None:
        return
    if not actor.scope.may(permission):
        raise PermissionDenied
    if area is not None and not actor.scope.covers_path(area.path):
        raise DomainError(f"Địa bàn “{area}” nằm ngoài phạm vi quản lý của bạn.", field="area")
