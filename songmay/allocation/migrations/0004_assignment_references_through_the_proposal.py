"""The proposal now required, and the assignment's other references left to it (see
`Assignment`); apart from 0003 because PostgreSQL does not alter a table whose rows were just
updated in the same transaction."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('allocation', '0003_assignment_is_an_approved_proposal'),
        ('campaigns', '0001_initial'),
        ('inventory', '0002_device_status_updated_in_place'),
        ('students', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='assignment',
            name='proposal',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='assignment', to='allocation.proposal'),
        ),
        migrations.AlterField(
            model_name='assignment',
            name='campaign',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='campaigns.campaign'),
        ),
        migrations.AlterField(
            model_name='assignment',
            name='device',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='inventory.device'),
        ),
        migrations.AlterField(
            model_name='assignment',
            name='need',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='students.need'),
        ),
        migrations.AlterField(
            model_name='assignment',
            name='run',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='allocation.allocationrun'),
        ),
        migrations.AlterField(
            model_name='assignment',
            name='student',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='students.student'),
        ),
    ]
