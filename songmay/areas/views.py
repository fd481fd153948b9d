from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render

from songmay.accounts.decorators import AuthenticatedRequest, requires
from songmay.areas import selectors, services
from songmay.areas.forms import AreaForm, SchoolFilterForm, SchoolForm
from songmay.forms import show_domain_error
from songmay.lib.errors import DomainError


@requires("areas.view")
def area_list(request: AuthenticatedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    areas = selectors.area_list(user=request.user, query=query)
    page = Paginator(areas, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "areas/area_list.html",
        {
            "page": page,
            "query": query,
            "can_add": request.user.scope.may("areas.add"),
        },
    )


@requires("areas.view")
def area_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    user = request.user
    area = selectors.area_get(user=user, code=code)
    children = selectors.area_list(user=user, parent=area)
    schools = selectors.school_list(user=user, filters=selectors.SchoolFilters(area=area))
    return render(
        request,
        "areas/area_detail.html",
        {
            "area": area,
            "ancestors": area.ancestors(),
            "children": Paginator(children, 100).get_page(request.GET.get("page")),
            "school_count": schools.count(),
        },
    )


@requires("areas.add")
def area_create(request: AuthenticatedRequest) -> HttpResponse:
    form = AreaForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            area = services.area_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Đã thêm {area.name}.")
            return redirect("areas:area_detail", code=area.code)
    return render(request, "areas/area_form.html", {"form": form})


@requires("schools.view")
def school_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = SchoolFilterForm(request.GET or None, user=user)
    filters = selectors.SchoolFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        active = {"1": True, "0": False}.get(data["active"])
        filters = selectors.SchoolFilters(data["q"], data["area"], data["level"], active)
    schools = selectors.school_list(user=user, filters=filters)
    page = Paginator(schools, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "areas/school_list.html",
        {
            "form": form,
            "page": page,
            "total": page.paginator.count,
            "can_add": user.scope.may("schools.add"),
        },
    )


@requires("schools.view")
def school_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    school = selectors.school_get(user=request.user, pk=pk)
    can_change = request.user.scope.may("schools.change")
    return render(request, "areas/school_detail.html", {"school": school, "can_change": can_change})


@requires("schools.add")
def school_create(request: AuthenticatedRequest) -> HttpResponse:
    form = SchoolForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            school = services.school_create(actor=request.user, data=form.to_data())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"Đã thêm {school.name}.")
            return redirect("areas:school_detail", pk=school.pk)
    return render(request, "areas/school_form.html", {"form": form})


@requires("schools.change")
def school_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    school = selectors.school_get(user=user, pk=pk)
    form = SchoolForm(request.POST or None, user=user, school=school)
    if request.method == "POST" and form.is_valid():
        try:
            services.school_update(actor=user, school=school, data=form.to_data())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Đã lưu thay đổi.")
            return redirect("areas:school_detail", pk=school.pk)
    return render(request, "areas/school_form.html", {"form": form, "school": school})
