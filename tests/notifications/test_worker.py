"""A real Celery worker on the Redis broker sends the email, retrying after a refusal."""

from __future__ import annotations

import email
import email.policy
import os
import secrets
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from madang.config.celery import app as celery_app
from madang.notifications.enums import MessageStatus
from madang.notifications.models import OutboxMessage
from madang.registration import services
from tests.factories.registration import CategoryFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PROJECT_DIR = Path(__file__).resolve().parents[2]


class SmtpServer(socketserver.ThreadingTCPServer):
    """A small SMTP server: refuses the first ``refuse`` senders with 451, then accepts."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, refuse: int) -> None:
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.refuse = refuse
        self.refused = 0
        self.messages: list[bytes] = []


class SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpServer

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 localhost ESMTP")
        data: list[bytes] | None = None
        while line := self.rfile.readline():
            if data is not None:
                if line == b".\r\n":
                    self.server.messages.append(b"".join(data))
                    data = None
                    self.reply("250 OK")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)
                continue
            command = line[:4].upper()
            if command in (b"EHLO", b"HELO"):
                self.reply("250 localhost")
            elif command == b"MAIL" and self.server.refused < self.server.refuse:
                self.server.refused += 1
                self.reply("451 Try again later")
            elif command in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.reply("250 OK")
            elif command == b"DATA":
                data = []
                self.reply("354 End data with <CR><LF>.<CR><LF>")
            elif command == b"QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Not implemented")


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(refuse=1)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def worker(smtp_server: SmtpServer, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    redis_url = str(django_settings.REDIS_URL)
    redis.Redis.from_url(redis_url).flushdb()
    database = connection.settings_dict
    env = {
        **os.environ,
        "MADANG_DATABASE_URL": (
            f"postgresql://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "MADANG_REDIS_URL": redis_url,
        "MADANG_CELERY_EAGER": "false",
        "MADANG_EMAIL_HOST": "127.0.0.1",
        "MADANG_EMAIL_PORT": str(smtp_server.server_address[1]),
        "MADANG_EMAIL_TLS": "false",
        "MADANG_EMAIL_RETRY_SECONDS": "1",
        "MADANG_SITE_URL": "https://week.example.org",
    }
    env.pop("MADANG_EMAIL_BACKEND", None)
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "madang.config",
            "worker",
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield process
    celery_app.conf.task_always_eager = before
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def test_a_worker_sends_the_confirmation_and_retries_a_refused_send(
    worker: subprocess.Popen[bytes], smtp_server: SmtpServer, tmp_path: Path
) -> None:
    category = CategoryFactory()
    registration = services.register_attendee(
        category=category,
        name="김민지",
        email="minji@example.org",
        language="ko",
        client_token=secrets.token_urlsafe(16),
    )
    # The web side only recorded the message and queued it.
    [message] = OutboxMessage.objects.filter(registration=registration)

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status == MessageStatus.SENT or worker.poll() is not None:
            break
        time.sleep(0.5)
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert message.status == MessageStatus.SENT, log
    assert message.attempts == 2
    assert smtp_server.refused == 1
    [raw] = smtp_server.messages
    received: Any = email.message_from_bytes(raw, policy=email.policy.default)
    assert received["To"] == "minji@example.org"
    assert received["Subject"].strip() == message.subject
    assert message.subject.endswith("등록이 확정되었습니다")
    names = sorted(part.get_filename() for part in received.iter_attachments())
    assert names == ["badge-qr.png", f"{category.event.slug}.ics"]
