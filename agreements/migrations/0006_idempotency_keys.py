import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0005_security_events"),
    ]

    operations = [
        migrations.CreateModel(
            name="IdempotencyKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("caller", models.CharField(help_text="key:<API key id> or user:<user id>.", max_length=40)),
                ("key", models.CharField(max_length=255)),
                ("fingerprint", models.CharField(max_length=64)),
                ("status_code", models.PositiveSmallIntegerField()),
                ("response_body", models.JSONField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "idempotency key",
                "indexes": [models.Index(fields=["caller", "created_at"], name="idempotency_key_caller_age")],
                "constraints": [
                    models.UniqueConstraint(fields=("caller", "key"), name="idempotency_key_unique_per_caller")
                ],
            },
        ),
    ]
