"""Pages under the ASGI server: Django's WSGI handler, run in a fixed pool of threads.

When one uvicorn process serves both pages and websockets (``make demo``, or ``make serve``
without Redis), Django's own ASGI handler starts a new thread for every request, so every
request also opens a new database connection, and its work queues behind the event loop's
hops. Here each request is read on the event loop, handed whole to one of ``PAGE_THREADS``
long-lived threads (which keep their database connections, as gunicorn's workers do), and the
response is written back on the loop in pieces of at most ``PIECE_BYTES``. The event loop never
runs Django code, so websockets stay responsive while pages render, and a page never waits for
a busy websocket fan-out longer than the loop needs to pass it a piece.

Everything Django sees is an ordinary WSGI request (``wsgi.multithread`` is true), built from
the ASGI scope as the WSGI and ASGI specifications describe.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from tempfile import SpooledTemporaryFile
from typing import IO, Any

PAGE_THREADS = 4
BODY_IN_MEMORY = 64 * 1024  # larger request bodies are spooled to a temporary file
PIECE_BYTES = 64 * 1024


def wsgi_environ(scope: dict[str, Any], body: IO[bytes]) -> dict[str, Any]:
    """The WSGI environ of an ASGI HTTP request."""
    script_name = scope.get("root_path", "") or ""
    path = scope["path"]
    if script_name and path.startswith(script_name):
        path = path[len(script_name) :]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        # WSGI carries text as latin-1 code points of the raw bytes.
        "SCRIPT_NAME": script_name.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        if b"_" in raw_name:
            # "X_Forwarded_For" would pass for X-Forwarded-For once dashes become
            # underscores: such headers are dropped, as gunicorn and runserver do.
            continue
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        key = name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{name}"
        if key in environ:
            separator = "; " if key == "HTTP_COOKIE" else ","
            environ[key] = f"{environ[key]}{separator}{value}"
        else:
            environ[key] = value
    return environ


class _Response:
    """One WSGI response, produced in a page thread and handed to the loop in pieces."""

    def __init__(self, application: Callable[..., Iterable[bytes]], environ: dict[str, Any]):
        self.application = application
        self.environ = environ
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.piece = b""
        self.finished = False
        self.closed = False
        self._written: list[bytes] = []
        self._iterable: Iterable[bytes] = ()
        self._iterator: Iterator[bytes] = iter(())
        self._sent = False

    def _start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self._sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = int(status.split(" ", 1)[0])
        self.headers = [
            # Django writes cookies as WSGI servers take them, after a space; HTTP has none there.
            (name.lower().encode("latin-1"), value.strip().encode("latin-1"))
            for name, value in headers
        ]
        return self._written.append  # WSGI's legacy write() callable

    def start(self) -> None:
        """Call the application and produce the first piece (in a page thread)."""
        try:
            self._iterable = self.application(self.environ, self._start_response)
            self._iterator = iter(self._iterable)
            self.next_piece()
        except BaseException:
            self.close()
            raise

    def next_piece(self) -> None:
        """The next piece of the body, up to ``PIECE_BYTES`` (in a page thread)."""
        parts, self._written = self._written, []
        size = sum(len(part) for part in parts)
        while size < PIECE_BYTES:
            try:
                chunk = next(self._iterator)
            except StopIteration:
                self.finished = True
                parts += self._written
                self.close()
                break
            if chunk:
                parts.append(chunk)
                size += len(chunk)
        self.piece = b"".join(parts)
        self._sent = True

    def close(self) -> None:
        """WSGI's close(): Django ends the request here (signals, database connections)."""
        if self.closed:
            return
        self.closed = True
        close = getattr(self._iterable, "close", None)
        if close is not None:
            close()


class ThreadedPages:
    """An ASGI application serving a WSGI application from a pool of threads."""

    def __init__(
        self, application: Callable[..., Iterable[bytes]], threads: int = PAGE_THREADS
    ) -> None:
        self.application = application
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pages")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"pages serve HTTP, not {scope['type']}")
        loop = asyncio.get_running_loop()
        with SpooledTemporaryFile(max_size=BODY_IN_MEMORY) as body:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body.write(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body.seek(0)
            response = _Response(self.application, wsgi_environ(scope, body))
            # Once the request is read, the next message is the client leaving (or the
            # server noting the response complete): then no further piece is produced.
            gone = loop.create_task(receive())
            try:
                await loop.run_in_executor(self.executor, response.start)
                await send(
                    {
                        "type": "http.response.start",
                        "status": response.status,
                        "headers": response.headers,
                    }
                )
                while True:
                    await send(
                        {
                            "type": "http.response.body",
                            "body": response.piece,
                            "more_body": not response.finished,
                        }
                    )
                    if response.finished or gone.done():
                        break
                    await loop.run_in_executor(self.executor, response.next_piece)
            finally:
                gone.cancel()
                if not response.closed:
                    # The client went away mid-response: end the request in a page thread.
                    await asyncio.shield(loop.run_in_executor(self.executor, response.close))
