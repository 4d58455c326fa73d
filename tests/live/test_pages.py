"""Pages served by the ASGI application (one uvicorn process): Django in a pool of threads."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest

from madang.config.pages import PIECE_BYTES, ThreadedPages
from tests.live.conftest import Server

pytestmark = pytest.mark.django_db(transaction=True)


def fetch(
    port: int, path: str, method: str = "GET", body: bytes | None = None, headers: Any = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        headers: dict[str, str] = {}
        for name, value in response.getheaders():  # repeated headers (Set-Cookie) joined
            key = name.lower()
            headers[key] = f"{headers[key]}\n{value}" if key in headers else value
        return response.status, headers, response.read()
    finally:
        connection.close()


def test_pages_answer_with_their_query_and_forms_keep_their_csrf_check(server: Server) -> None:
    status, headers, page = fetch(server.port, "/en/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"<html" in page
    query = "한국 <b>"
    status, _headers, page = fetch(server.port, f"/en/search/?q={quote(query)}")
    assert status == 200
    assert "한국 &lt;b&gt;".encode() in page  # decoded from the query string, then escaped
    status, _headers, _page = fetch(
        server.port,
        "/en/prefs/",
        method="POST",
        body=b"language=ko",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 403  # no CSRF token: refused, as under any server


def test_cookies_are_set_and_a_form_with_its_token_is_taken(server: Server) -> None:
    status, headers, _page = fetch(server.port, "/en/accounts/login/")
    assert status == 200
    cookie = headers["set-cookie"]
    assert cookie.startswith("csrftoken=")  # no space before the name: browsers need that
    token = cookie.split(";", 1)[0].split("=", 1)[1]
    status, headers, _page = fetch(
        server.port,
        "/en/prefs/",
        method="POST",
        body=f"language=ko&csrfmiddlewaretoken={token}".encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={token}",
        },
    )
    assert status == 302  # the token was taken; the preferences were kept in cookies
    assert headers["set-cookie"]


def test_pages_are_served_side_by_side(server: Server) -> None:
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _n: fetch(server.port, "/robots.txt")[0], range(16)))
    assert answers == [200] * 16


class Streamer:
    """A WSGI application whose body comes in many chunks, slowly when asked to."""

    def __init__(self, chunks: int, pause: float = 0.0) -> None:
        self.chunks, self.pause = chunks, pause
        self.produced = 0
        self.closed = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return self.body()

    def body(self) -> Iterator[bytes]:
        try:
            for n in range(self.chunks):
                time.sleep(self.pause)
                self.produced += 1
                yield bytes([n % 256]) * 40_000
        finally:
            self.closed.set()


@pytest.fixture
def serve() -> Iterator[Any]:
    import uvicorn

    servers: list[tuple[Any, threading.Thread, socket.socket]] = []

    def start(application: Any) -> int:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(ThreadedPages(application), log_level="warning", lifespan="off")
        instance = uvicorn.Server(config)
        thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not instance.started:
            time.sleep(0.02)
        servers.append((instance, thread, sock))
        return int(sock.getsockname()[1])

    yield start
    for instance, thread, sock in servers:
        instance.should_exit = True
        thread.join(timeout=5)
        sock.close()


def test_a_long_body_arrives_whole_in_pieces_and_the_response_is_closed(serve: Any) -> None:
    application = Streamer(chunks=10)
    status, _headers, body = fetch(serve(application), "/")
    assert status == 200
    assert len(body) == 400_000 > PIECE_BYTES
    assert body == b"".join(bytes([n]) * 40_000 for n in range(10))
    assert application.closed.wait(5)


def test_a_client_that_leaves_stops_the_body_and_the_response_is_closed(serve: Any) -> None:
    application = Streamer(chunks=1000, pause=0.01)
    port = serve(application)
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert client.recv(100).startswith(b"HTTP/1.1 200")
    assert application.closed.wait(5)
    assert application.produced < 1000


def test_headers_reach_django_as_wsgi_has_them_and_underscored_names_are_dropped() -> None:
    from io import BytesIO

    from madang.config.pages import wsgi_environ

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/ko/검색/",
        "query_string": b"q=%ED%95%9C",
        "headers": [
            (b"content-type", b"text/plain"),
            (b"x-forwarded-for", b"203.0.113.9"),
            (b"x_forwarded_for", b"198.51.100.1"),
            (b"cookie", b"a=1"),
            (b"cookie", b"b=2"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    environ = wsgi_environ(scope, BytesIO(b""))
    assert environ["HTTP_X_FORWARDED_FOR"] == "203.0.113.9"
    assert environ["CONTENT_TYPE"] == "text/plain"
    assert environ["HTTP_COOKIE"] == "a=1; b=2"
    assert environ["PATH_INFO"].encode("latin-1").decode() == "/ko/검색/"
    assert environ["QUERY_STRING"] == "q=%ED%95%9C"
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
