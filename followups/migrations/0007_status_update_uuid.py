"""Status updates get an opaque public id (the API and webhooks stop showing sequential ids); existing rows too."""

import uuid

from django.db import migrations, models


def fill_uuids(apps, schema_editor):
    StatusUpdate = apps.get_model("followups", "StatusUpdate")
    for pk in StatusUpdate.objects.filter(uuid__isnull=True).values_list("pk", flat=True).iterator():
        StatusUpdate.objects.filter(pk=pk).update(uuid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0006_load_baseline"),
    ]

    operations = [
        migrations.AddField(
            model_name="statusupdate",
            name="uuid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="statusupdate",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
