"""``madang send-reminders``: the background jobs, for set-ups without a Celery beat."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from madang.notifications import tasks


class Command(BaseCommand):
    help = (
        "Send the reminder to confirmed registrants of editions that start tomorrow (each gets "
        "one, however often this runs) and retry emails that failed or were never sent. "
        "Run it hourly from cron when no Celery beat runs."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        reminders = tasks.send_day_before_reminders()
        retried = tasks.retry_stalled_messages()
        self.stdout.write(f"{reminders} reminder(s) queued, {retried} message(s) retried.")
