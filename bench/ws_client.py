"""A lean websocket client for benchmarks that open a thousand connections in one process.

The `websockets` package spends more CPU per frame than the server under test does when a client
process reads ten frames a second on each of hundreds of connections: on a 2-core machine the
clients then take the server's CPU and inflate the latency being measured. This client speaks
just what the benchmarks need (RFC 6455 without extensions: the server runs without
permessage-deflate, as `make serve` does): the opening handshake, text frames (masked, as a
client must), fragmented messages, ping/pong and close. It checks what it receives (no mask, no
reserved bits, known opcodes, valid UTF-8) and raises ``ProtocolError`` otherwise.

Messages are handed to ``on_message(text, received)`` straight from ``data_received``, where
``received`` is the ``time.time()`` at which the bytes reached this process, without a task
switch per frame; until one is set they queue for ``await recv()``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
import struct
import time
from collections.abc import Callable
from typing import Any

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# Masking keys from a generator seeded by the system once, not a system call per frame: the
# benchmarks talk to their own server on loopback, with no proxy for masking to protect.
_masks = random.Random(os.urandom(16))
MAX_HEAD = 16384


class ProtocolError(Exception):
    """The server broke the websocket protocol (or refused the handshake)."""


def mask(payload: bytes, key: bytes) -> bytes:
    """``payload`` XOR the repeated 4-byte ``key`` (RFC 6455, 5.3)."""
    n = len(payload)
    if not n:
        return b""
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked frame."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    key = _masks.getrandbits(32).to_bytes(4, "big")
    return head + key + mask(payload, key)


class Connection(asyncio.Protocol):
    def __init__(self, host: str, path: str, origin: str, max_size: int) -> None:
        self.request_key = base64.b64encode(os.urandom(16))
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.request_key.decode()}\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
        ).encode()
        self.max_size = max_size
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.open = False
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.on_message: Callable[[str, float], Any] | None = None
        self.fragments: list[bytes] = []
        self.fragment_opcode = 0
        self.error = ""  # why the connection was dropped, if this client dropped it

    # asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("connection closed"))
        if not self.closed.done():
            self.closed.set_result(None)
        self.queue.put_nowait(None)  # wakes a reader waiting in recv()

    def data_received(self, data: bytes) -> None:
        received = time.time()
        self.buffer += data
        try:
            if not self.open and not self._handshake():
                return
            self._frames(received)
        except ProtocolError as exc:
            if not self.opened.done():
                self.opened.set_exception(exc)
            self.error = str(exc)
            self.abort()

    # Sending -------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        if not self.open or self.transport is None or self.transport.is_closing():
            raise ConnectionError("not open")
        self.transport.write(client_frame(0x1, text.encode()))

    async def recv(self) -> str:
        """The next message (only while ``on_message`` is unset)."""
        text = await self.queue.get()
        if text is None:
            self.queue.put_nowait(None)
            raise ConnectionError(self.error or "connection closed")
        return text

    def abort(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.abort()

    # Reading -------------------------------------------------------------------------------

    def _handshake(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                raise ProtocolError("handshake response too long")
            return False
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        del self.buffer[: end + 4]
        if not head[0].startswith("HTTP/1.1 101"):
            raise ProtocolError(f"handshake refused: {head[0]}")
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        expected = base64.b64encode(hashlib.sha1(self.request_key + GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            raise ProtocolError("wrong Sec-WebSocket-Accept")
        if headers.get("sec-websocket-extensions"):
            raise ProtocolError("an extension was negotiated though none was offered")
        self.open = True
        self.opened.set_result(None)
        return True

    def _frames(self, received: float) -> None:
        buffer = self.buffer
        while len(buffer) >= 2:
            first, second = buffer[0], buffer[1]
            if second & 0x80:
                raise ProtocolError("a server frame was masked")
            if first & 0x70:
                raise ProtocolError("reserved bits set")
            length, start = second & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            if length > self.max_size:
                raise ProtocolError("frame too large")
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            self._frame(first & 0x80, first & 0x0F, payload, received)

    def _frame(self, fin: int, opcode: int, payload: bytes, received: float) -> None:
        if opcode in (0x1, 0x2):
            if self.fragments:
                raise ProtocolError("a new message inside a fragmented one")
            if not fin:
                self.fragments, self.fragment_opcode = [payload], opcode
                return
            self._message(opcode, payload, received)
        elif opcode == 0x0:
            if not self.fragments:
                raise ProtocolError("a continuation without a message")
            self.fragments.append(payload)
            if sum(map(len, self.fragments)) > self.max_size:
                raise ProtocolError("message too large")
            if fin:
                whole, self.fragments = b"".join(self.fragments), []
                self._message(self.fragment_opcode, whole, received)
        elif opcode == 0x9:
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(client_frame(0xA, payload))
        elif opcode == 0xA:
            pass
        elif opcode == 0x8:
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(client_frame(0x8, payload[:2]))
                self.transport.close()
            self.open = False
            if not self.closed.done():
                self.closed.set_result(None)
        else:
            raise ProtocolError(f"unknown opcode {opcode}")

    def _message(self, opcode: int, payload: bytes, received: float) -> None:
        try:
            text = payload.decode()
        except UnicodeDecodeError as exc:
            raise ProtocolError("a message was not UTF-8") from exc
        if self.on_message is not None:
            self.on_message(text, received)
        else:
            self.queue.put_nowait(text)


async def connect(
    url: str, *, origin: str, timeout: float = 60, max_size: int = 2**22
) -> Connection:
    """Open ``ws://host:port/path``; the connection once its handshake is done."""
    if not url.startswith("ws://"):
        raise ValueError("only ws:// URLs")
    rest = url[len("ws://") :]
    host_port, _, path = rest.partition("/")
    host, _, port = host_port.partition(":")
    loop = asyncio.get_running_loop()
    _transport, connection = await asyncio.wait_for(
        loop.create_connection(
            lambda: Connection(host_port, "/" + path, origin, max_size), host, int(port or 80)
        ),
        timeout,
    )
    await asyncio.wait_for(asyncio.shield(connection.opened), timeout)
    return connection
