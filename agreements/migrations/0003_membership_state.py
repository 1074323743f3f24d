"""Membership states instead of a presumed flag (issue 10): only a confirmed membership widens a partner's scope."""

from django.db import migrations, models


def presumed_to_state(apps, schema_editor):
    Membership = apps.get_model("agreements", "Membership")
    Membership.objects.filter(presumed=True).update(state="presumed")


def state_to_presumed(apps, schema_editor):
    Membership = apps.get_model("agreements", "Membership")
    Membership.objects.exclude(state="confirmed").update(presumed=True)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0002_apikey")]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="note",
            field=models.TextField(
                blank=True, help_text="What the source says, e.g. 'expressed support (2026-02-04)'."
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="state",
            field=models.CharField(
                choices=[
                    ("confirmed", "Confirmed"),
                    ("presumed", "Presumed (not confirmed by a source)"),
                    ("expressed_support", "Expressed support"),
                    ("invited", "Invited"),
                    ("withdrawn", "Withdrawn"),
                ],
                default="confirmed",
                max_length=20,
            ),
        ),
        migrations.RunPython(presumed_to_state, state_to_presumed),
        migrations.RemoveField(model_name="membership", name="presumed"),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("state__in", ["confirmed", "presumed", "expressed_support", "invited", "withdrawn"])
                ),
                name="membership_state_valid",
            ),
        ),
    ]
