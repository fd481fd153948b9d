import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from songmay.allocation.models import AllocationRun, Assignment, RunStatus

pytestmark = pytest.mark.django_db


def _allocate(*args):
    out = StringIO()
    call_command("allocate", *[str(arg) for arg in args], stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_one_line_and_saves_nothing(alloc_world):
    output = _allocate(alloc_world["campaign"].pk, "--dry-run")
    first = output.splitlines()[0]
    assert first.startswith("Lượt 1 (Bản nháp): 3/5 em có máy, còn 2 em, 0 thiết bị chưa dùng")
    assert "chưa lưu gì" in output
    assert not AllocationRun.objects.exists()


def test_json_prints_the_review_summary(alloc_world):
    body = json.loads(_allocate(alloc_world["campaign"].pk, "--dry-run", "--json"))
    assert body["run"] is None
    assert (body["served"], body["left"], body["idle"]) == (3, 2, 0)
    assert {"by_tier", "by_area", "by_kind", "by_level", "changes"} <= set(body)


def test_without_dry_run_a_draft_is_saved_with_how_to_approve_it(alloc_world):
    output = _allocate(alloc_world["campaign"].pk)
    run = AllocationRun.objects.get()
    assert run.status == RunStatus.DRAFT
    assert f"/api/v1/allocation-runs/{run.pk}/approve" in output
    assert not Assignment.objects.exists()


def test_approve_saves_and_approves_in_one_go(alloc_world):
    body = json.loads(_allocate(alloc_world["campaign"].pk, "--approve", "--json"))
    run = AllocationRun.objects.get(pk=body["run"])
    assert run.status == RunStatus.APPROVED
    assert Assignment.objects.filter(run=run).count() == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999999"], "Không có chương trình số 999999."),
        (["{campaign}", "--user", "ai-do"], "Không có tài khoản “ai-do”."),
    ],
)
def test_bad_input_is_one_line_error(alloc_world, args, message):
    args = [arg.format(campaign=alloc_world["campaign"].pk) for arg in args]
    with pytest.raises(CommandError, match=message):
        _allocate(*args)


def test_a_user_outside_the_province_is_refused(alloc_world):
    user = alloc_world["officer_pt"]
    with pytest.raises(CommandError, match="ngoài phạm vi"):
        _allocate(alloc_world["campaign"].pk, "--user", user.username)
    staff = alloc_world["staff_ln"]
    with pytest.raises(CommandError, match="không được chạy phân bổ"):
        _allocate(alloc_world["campaign"].pk, "--user", staff.username)


def test_the_command_exits_non_zero_on_a_campaign_that_is_not_a_number():
    import subprocess
    import sys
    from pathlib import Path

    manage = Path(__file__).resolve().parents[3] / "manage.py"
    done = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(manage), "allocate", "not-a-number"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "campaign" in done.stderr
