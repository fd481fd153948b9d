"""Each assignment points at the proposal it approves, and keeps its other references without
foreign-key checks of their own: the database keeps them through the proposal (see
`Assignment`)."""

import django.db.models.deletion
from django.db import migrations, models


def link_proposals(apps, schema_editor):
    """Every assignment so far was written from a proposal of its run, the same need and the
    same device."""
    Assignment = apps.get_model("allocation", "Assignment")
    Proposal = apps.get_model("allocation", "Proposal")
    proposal = Proposal.objects.filter(
        run_id=models.OuterRef("run_id"),
        need_id=models.OuterRef("need_id"),
        device_id=models.OuterRef("device_id"),
    ).values("pk")[:1]
    Assignment.objects.update(proposal_id=models.Subquery(proposal))


class Migration(migrations.Migration):

    dependencies = [
        ('allocation', '0002_alter_unserved_tier'),
    ]

    operations = [
        migrations.AddField(
            model_name='assignment',
            name='proposal',
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='assignment', to='allocation.proposal'),
        ),
        migrations.RunPython(link_proposals, migrations.RunPython.noop),
    ]
