import secrets

from django.db import migrations, models

import madang.registration.models


def give_each_a_token(apps, schema_editor):  # type: ignore[no-untyped-def]
    Registration = apps.get_model("registration", "Registration")
    for registration in Registration.objects.filter(manage_token__isnull=True).only("pk"):
        registration.manage_token = secrets.token_urlsafe(32)
        registration.save(update_fields=["manage_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0002_agenda"),
    ]

    operations = [
        # Added empty, filled one by one, then made unique: a default would give every
        # existing row the same token.
        migrations.AddField(
            model_name="registration",
            name="manage_token",
            field=models.CharField(
                editable=False, max_length=64, null=True, verbose_name="personal link token"
            ),
        ),
        migrations.RunPython(give_each_a_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="registration",
            name="manage_token",
            field=models.CharField(
                default=madang.registration.models.new_manage_token,
                editable=False,
                max_length=64,
                unique=True,
                verbose_name="personal link token",
            ),
        ),
    ]
