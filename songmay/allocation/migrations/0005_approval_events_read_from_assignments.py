"""A device's history now shows its allocations from the assignments themselves
(`inventory.selectors.device_timeline`), and an approval writes no device event. The events
that earlier approvals wrote would show each allocation twice: they go, each the same device's
"available → assigned" at the very moment of its assignment."""

from django.db import migrations
from django.db.models import Exists, OuterRef

NOTE = "Phân bổ theo lượt số "


def drop_approval_events(apps, schema_editor):
    Assignment = apps.get_model("allocation", "Assignment")
    DeviceEvent = apps.get_model("inventory", "DeviceEvent")
    same = Assignment.objects.filter(device_id=OuterRef("device_id"), created_at=OuterRef("at"))
    DeviceEvent.objects.filter(
        kind="status", from_status="available", to_status="assigned", note__startswith=NOTE
    ).filter(Exists(same)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("allocation", "0004_assignment_references_through_the_proposal"),
        ("inventory", "0002_device_status_updated_in_place"),
    ]

    operations = [migrations.RunPython(drop_approval_events, migrations.RunPython.noop)]
