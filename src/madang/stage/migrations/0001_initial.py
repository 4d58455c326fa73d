# The stage app's first migration: each area adds its tables in the migrations after it.
from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("program", "0001_initial"),
    ]

    operations: list[migrations.operations.base.Operation] = []
