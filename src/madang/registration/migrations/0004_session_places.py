import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("program", "0001_initial"),
        ("registration", "0003_registration_manage_token"),
    ]

    operations = [
        migrations.CreateModel(
            name="SessionPlace",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("booked", "Booked"),
                            ("waitlisted", "On the waiting list"),
                            ("cancelled", "Cancelled"),
                        ],
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                (
                    "client_token",
                    models.CharField(editable=False, max_length=64, verbose_name="client token"),
                ),
                ("booked_at", models.DateTimeField(blank=True, null=True, verbose_name="booked")),
                (
                    "promoted_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="moved up from the waiting list"
                    ),
                ),
                (
                    "cancelled_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="cancelled"),
                ),
                (
                    "registration",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="session_places",
                        to="registration.registration",
                        verbose_name="registration",
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="places",
                        to="program.session",
                        verbose_name="session",
                    ),
                ),
            ],
            options={
                "verbose_name": "session place",
                "verbose_name_plural": "session places",
                "ordering": ["created_at", "id"],
                "indexes": [
                    models.Index(
                        fields=["session", "status", "created_at", "id"],
                        name="registration_session_queue",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("client_token",), name="registration_session_place_token_unique"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("status__in", ("booked", "waitlisted"))),
                        fields=("session", "registration"),
                        name="registration_session_place_one_active",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("status__in", ["booked", "waitlisted", "cancelled"])),
                        name="registration_session_place_status_known",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "booked"), _negated=True),
                            ("booked_at__isnull", False),
                            _connector="OR",
                        ),
                        name="registration_session_place_booked_has_time",
                    ),
                ],
            },
        ),
    ]
