"""`songmay backup` and `songmay restore` round-trip a whole demo campaign and its scans."""

import subprocess

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from songmay.audit.models import AuditEntry
from songmay.campaigns.demo import load_demo
from songmay.donations.models import Donation
from songmay.inventory.models import Device
from songmay.ops.backup import _major, backup_create, backup_restore, pg_program
from songmay.students.models import Need, Student

SCAN = "handovers/2021/10/bien-ban-1.pdf"


def _counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def _sample():
    return {
        "students": list(
            Student.objects.order_by("pk").values_list("pk", "full_name", "date_of_birth")[:50]
        ),
        "needs": list(
            Need.objects.order_by("-pk").values_list("pk", "level", "household", "school_id")[:50]
        ),
        "devices": list(Device.objects.order_by("pk").values_list("asset_tag", "status")[:50]),
        "money": list(Donation.objects.order_by("pk").values_list("number", "amount")),
    }


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_brings_back_the_demo_campaign_and_its_files(areas, tmp_path):
    load_demo()
    default_storage.save(SCAN, ContentFile(b"%PDF-1.4 bien ban"))
    before, rows = _counts(), _sample()
    assert before["students.Student"] == 17_049
    archive = tmp_path / "songmay.tar.gz"

    call_command("backup", str(archive))

    first = Student.objects.order_by("pk").first()
    Student.objects.filter(pk=first.pk).update(full_name="Sửa sau khi sao lưu")
    Device.objects.filter(pk__in=Device.objects.values("pk")[:10]).update(status="lost")
    AuditEntry.objects.all().delete()
    Donation.objects.filter(kind="money").update(amount=1)
    default_storage.delete(SCAN)
    default_storage.save("stray.txt", ContentFile(b"after the backup"))
    assert _counts() != before

    call_command("restore", str(archive), "--yes")

    assert _counts() == before
    assert _sample() == rows
    with default_storage.open(SCAN) as scan:
        assert scan.read() == b"%PDF-1.4 bien ban"
    assert not default_storage.exists("stray.txt")


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    junk = tmp_path / "not-a-backup.tar.gz"
    junk.write_bytes(b"PK\x03\x04 a spreadsheet, not a backup")
    with pytest.raises(CommandError, match="không phải tệp sao lưu"):
        call_command("restore", str(junk), "--yes")
    with pytest.raises(CommandError, match="Không có tệp"):
        call_command("restore", str(tmp_path / "missing.tar.gz"), "--yes")


@pytest.mark.django_db
def test_restore_without_yes_in_a_script_changes_nothing(tmp_path):
    with pytest.raises(CommandError, match="thêm --yes"):
        call_command("restore", str(tmp_path / "any.tar.gz"))


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_one_engine_is_not_restored_into_the_other(tmp_path, monkeypatch):
    archive = tmp_path / "backup.tar.gz"
    backup_create(archive)
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    monkeypatch.setattr(connection, "vendor", other)
    with pytest.raises(Exception, match="không khôi phục vào"):
        backup_restore(archive)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
@pytest.mark.django_db
def test_the_pg_dump_found_is_at_least_the_server_version():
    server = connection.pg_version // 10000
    for name in ("pg_dump", "pg_restore"):
        program = pg_program(name)
        version = subprocess.run(  # noqa: S603 - the program pg_program found
            [program, "--version"], capture_output=True, text=True, check=True
        ).stdout
        assert _major(version) >= server
