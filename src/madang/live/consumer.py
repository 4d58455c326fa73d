"""The one websocket consumer: authentication, heartbeat, limits, subscriptions and dispatch.

Served at ``/ws/`` (``config/asgi.py``) behind the session's authentication and an origin check.
The protocol is described for client authors in docs/realtime.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import translation
from redis.exceptions import RedisError

from madang.common import errors
from madang.common.realtime import Published, bind_serving_loop, encode, store
from madang.live import handlers, protocol, topics
from madang.live.limits import TokenBucket, client_address, counter, keeper_for_loop
from madang.live.protocol import ErrorCode, FrameError
from madang.live.relay import Relay, relay_for_loop
from madang.live.watcher import Watcher, watcher_for_loop

logger = logging.getLogger("madang.live")

ERROR_CODES: dict[type[errors.DomainError], str] = {
    errors.PermissionDenied: ErrorCode.FORBIDDEN,
    errors.NotFound: ErrorCode.NOT_FOUND,
    errors.Conflict: ErrorCode.CONFLICT,
    errors.Busy: ErrorCode.BUSY,
    errors.InvalidInput: ErrorCode.INVALID,
}


def _in_thread(function: Any) -> Any:
    """Run a blocking call (Redis) in the thread pool, off the event loop."""
    return sync_to_async(function, thread_sensitive=False)


@dataclass
class Subscription:
    topic: topics.Topic
    name: str
    key: str
    epoch: str = ""
    seq: int = 0
    ready: bool = False


def connection_language(scope: dict[str, Any]) -> str:
    """The language of error messages: ``?lang=``, then the language cookie, then the browser."""
    supported = {code for code, _name in settings.LANGUAGES}
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    wanted = query.get("lang", [""])[0]
    if wanted in supported:
        return str(wanted)
    cookie = scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in supported:
        return str(cookie)
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            for code, _quality in translation.trans_real.parse_accept_lang_header(
                value.decode("latin-1")[:200]
            ):
                base = code.split("-")[0].lower()
                if base in supported:
                    return base
    return str(settings.LANGUAGE_CODE)


class LiveConsumer(AsyncWebsocketConsumer):
    """One browser tab (or kiosk, or device): many subscriptions over one socket."""

    holding_place = False
    heartbeat_task: asyncio.Task[None] | None = None
    context: handlers.HandlerContext | None = None
    # Events reach a connection through its process's relay (live/relay.py), which holds the
    # one channel-layer membership per topic; a connection has no channel-layer channel.
    channel_layer_alias = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self._serve(scope, receive, send)
        except (ConnectionError, OSError, RedisError):
            # Redis cannot be reached where the connection needs it. Refuse politely: clients
            # retry with backoff, and resync once Redis is back.
            logger.warning("websocket refused: channel layer unavailable", exc_info=True)
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": protocol.CLOSE_TRY_AGAIN})

    async def _serve(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' ``AsyncConsumer.__call__`` for a consumer without a channel-layer channel.

        Channels waits on the socket and the channel layer together, which costs a task and an
        ``asyncio.wait`` per frame received; with only the socket to read (events come through
        the relay), the next message is simply awaited, one at a time as before.
        """
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        with contextlib.suppress(StopConsumer):
            while True:
                await self.dispatch(await receive())

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        bind_serving_loop(loop)
        self.watcher: Watcher = watcher_for_loop(float(settings.LIVE_RESYNC_CHECK_SECONDS))
        self.relay: Relay = relay_for_loop()
        self.connection_id = uuid.uuid4().hex
        self.user: Any = self.scope.get("user") or AnonymousUser()
        self.language = connection_language(self.scope)
        self.address = client_address(self.scope)
        self.client_key = (
            f"user:{self.user.pk}" if self.user.is_authenticated else f"addr:{self.address}"
        )
        self.subscriptions: dict[str, Subscription] = {}
        self.bucket = TokenBucket(
            float(settings.LIVE_FRAMES_PER_SECOND), float(settings.LIVE_FRAME_BURST)
        )
        self.strikes = 0
        self.last_limited_reply = 0.0
        self.last_heard = time.monotonic()
        self.lock = asyncio.Lock()
        await self.accept()
        limit = int(
            settings.LIVE_MAX_CONNECTIONS_PER_USER
            if self.user.is_authenticated
            else settings.LIVE_MAX_CONNECTIONS_PER_ADDRESS
        )
        allowed = await _in_thread(counter().acquire)(self.client_key, self.connection_id, limit)
        if not allowed:
            await self.send_error(ErrorCode.TOO_MANY_CONNECTIONS)
            await self.close(code=protocol.CLOSE_TOO_MANY_CONNECTIONS)
            return
        self.holding_place = True
        keeper_for_loop().hold(self.client_key, self.connection_id)
        await self.send_frame(
            protocol.WELCOME,
            {
                "heartbeat": float(settings.LIVE_HEARTBEAT_SECONDS),
                "timeout": float(settings.LIVE_HEARTBEAT_TIMEOUT),
                "authenticated": bool(self.user.is_authenticated),
                "max_frame_bytes": int(settings.LIVE_MAX_FRAME_BYTES),
            },
        )
        self.heartbeat_task = loop.create_task(self._heartbeat())

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch hops to the one sync thread to close stale database
        # connections before every message: one hop per event per subscriber, which made a
        # fan-out to thousands queue behind that thread. This consumer reaches the database
        # only through database_sync_to_async, which closes them around each call itself.
        if message["type"] == "websocket.receive":  # the frequent one, straight through
            text = message.get("text")
            if text is not None:
                await self.receive(text_data=text)
            else:
                await self.receive(bytes_data=message.get("bytes"))
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        if self.heartbeat_task is not None:
            self.heartbeat_task.cancel()
        for name in list(getattr(self, "subscriptions", {})):
            await self._leave(name)
        if hasattr(self, "connection_id"):
            await handlers.connection_closed(self.connection_id)
        if self.holding_place:
            self.holding_place = False
            keeper_for_loop().drop(self.connection_id)
            await _in_thread(counter().release)(self.client_key, self.connection_id)

    # Sending -----------------------------------------------------------------------------

    async def send_frame(self, frame_type: str, payload: dict[str, Any]) -> None:
        await self.base_send({"type": "websocket.send", "text": encode(frame_type, payload)})

    async def send_error(
        self, code: str, *, ref: int | None = None, detail: str = "", message: str = ""
    ) -> None:
        with translation.override(self.language):
            text = str(message) if message else protocol.error_message(code)
        payload: dict[str, Any] = {"code": code, "message": text}
        if ref is not None:
            payload["ref"] = ref
        if detail:
            payload["detail"] = detail
        await self.send_frame(protocol.ERROR, payload)

    # Receiving ---------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self.last_heard = time.monotonic()
        if not self.bucket.take():
            await self._rate_limited()
            return
        if text_data is None:
            await self._refuse(FrameError(ErrorCode.MALFORMED))
            return
        ref = None
        try:
            frame = protocol.parse(text_data, max_bytes=int(settings.LIVE_MAX_FRAME_BYTES))
            ref = frame.ref
            await self._dispatch_frame(frame)
        except FrameError as exc:
            await self._refuse(exc)
        except Exception:
            # A bug in a handler costs its sender one error frame, never the connection.
            logger.exception("live frame failed")
            await self.send_error(ErrorCode.INTERNAL, ref=ref)

    async def _refuse(self, exc: FrameError) -> None:
        self.strikes += 1
        if self.strikes > int(settings.LIVE_MAX_STRIKES):
            await self.close(code=protocol.CLOSE_POLICY)
            return
        await self.send_error(exc.code, ref=exc.ref, detail=exc.detail)

    async def _rate_limited(self) -> None:
        self.strikes += 1
        if self.strikes > int(settings.LIVE_MAX_STRIKES):
            await self.close(code=protocol.CLOSE_POLICY)
            return
        now = time.monotonic()
        if now - self.last_limited_reply >= 1.0:  # one reply a second, not one per frame
            self.last_limited_reply = now
            await self.send_error(ErrorCode.RATE_LIMITED)

    async def _dispatch_frame(self, frame: protocol.Frame) -> None:
        if frame.type == protocol.PING:
            protocol.validate(frame.payload, protocol.PING_SCHEMA, ref=frame.ref)
            await self.send_frame(protocol.PONG, dict(frame.payload))
        elif frame.type == protocol.PONG:
            protocol.validate(frame.payload, protocol.PING_SCHEMA, ref=frame.ref)
        elif frame.type == "live.subscribe":
            payload = protocol.validate(frame.payload, protocol.SUBSCRIBE_SCHEMA, ref=frame.ref)
            await self._subscribe(payload, frame.ref)
        elif frame.type == "live.unsubscribe":
            payload = protocol.validate(frame.payload, protocol.UNSUBSCRIBE_SCHEMA, ref=frame.ref)
            await self._leave(payload["topic"])
            await self._ok(frame.ref, {"topic": payload["topic"]})
        else:
            found = handlers.get(frame.type)
            if found is None:
                raise FrameError(ErrorCode.UNKNOWN_TYPE, ref=frame.ref)
            payload = protocol.validate(frame.payload, found.schema, ref=frame.ref)
            if found.cost > 1 and not self.bucket.take(found.cost - 1):
                await self._rate_limited()
                return
            await self._run_handler(found, payload, frame.ref)

    async def _ok(self, ref: int | None, data: dict[str, Any] | None) -> None:
        reply: dict[str, Any] = {"data": data or {}}
        if ref is not None:
            reply["ref"] = ref
        await self.send_frame(protocol.OK, reply)

    async def _run_handler(
        self, found: handlers.Handler, payload: dict[str, Any], ref: int | None
    ) -> None:
        context = self.context
        if context is None:
            # The same for every frame of the connection.
            context = self.context = handlers.HandlerContext(
                user=self.user,
                language=self.language,
                client_address=self.address,
                connection_id=self.connection_id,
                send=self._send_text,
            )
        if found.in_loop:
            await self._run_in_loop(found, context, payload, ref)
            return

        def call() -> tuple[dict[str, Any] | None, str, str]:
            with translation.override(self.language):
                try:
                    result = found.function(context, payload)
                except errors.DomainError as exc:
                    return None, ERROR_CODES.get(type(exc), ErrorCode.INVALID), exc.message
            return (dict(result) if result is not None else {}), "", ""

        result, code, message = await database_sync_to_async(call)()
        if code:
            await self.send_error(code, ref=ref, message=message)
        else:
            await self._ok(ref, result)

    async def _send_text(self, text: str) -> None:
        await self.base_send({"type": "websocket.send", "text": text})

    async def _run_in_loop(
        self,
        found: handlers.Handler,
        context: handlers.HandlerContext,
        payload: dict[str, Any],
        ref: int | None,
    ) -> None:
        try:
            if found.translates:
                with translation.override(self.language):
                    result = await found.function(context, payload)
            else:
                # It activates the language itself around the little text it makes (an error).
                result = await found.function(context, payload)
        except errors.DomainError as exc:
            code = ERROR_CODES.get(type(exc), ErrorCode.INVALID)
            await self.send_error(code, ref=ref, message=exc.message)
            return
        if result is not None:
            await self._ok(ref, dict(result))

    # Subscriptions -----------------------------------------------------------------------

    async def _subscribe(self, payload: dict[str, Any], ref: int | None) -> None:
        name: str = payload["topic"]
        resolved = topics.resolve(name)
        if resolved is None:
            raise FrameError(ErrorCode.NOT_FOUND, "topic", ref=ref)
        if name not in self.subscriptions and len(self.subscriptions) >= int(
            settings.LIVE_MAX_TOPICS
        ):
            raise FrameError(ErrorCode.TOO_MANY_TOPICS, ref=ref)
        topic, key = resolved
        async with self.lock:
            subscription = self.subscriptions.get(name) or Subscription(topic, name, key)
            self.subscriptions[name] = subscription
            subscription.ready = False
            try:
                # Join first: whatever is published from now on reaches this connection.
                await self.relay.join(name, self)
                code, message = await self._bring_up_to_date(
                    subscription, since=payload.get("since"), epoch=payload.get("epoch")
                )
            except Exception:
                logger.warning("live subscription to %s failed", name, exc_info=True)
                code, message = ErrorCode.BUSY, ""
            if code:
                await self._leave(name)
                await self.send_error(code, ref=ref, message=message)
                return
            subscription.ready = True
            self.watcher.add(name, self)
            reply: dict[str, Any] = {"topic": name, "epoch": subscription.epoch}
            reply["seq"] = subscription.seq
            if ref is not None:
                reply["ref"] = ref
            await self.send_frame(protocol.SUBSCRIBED, reply)

    async def _bring_up_to_date(
        self, subscription: Subscription, *, since: int | None, epoch: str | None
    ) -> tuple[str, str]:
        """Bring the client up to date: the events it missed, or a snapshot.

        Returns an error code and message, or two empty strings.
        """
        if since is not None and epoch:
            missed = await _in_thread(store().since)(subscription.name, epoch, since)
            if missed is not None:
                await self._send_events(subscription, missed, epoch, since)
                return "", ""
        # The number is read before the snapshot: every event up to it had committed before
        # the snapshot was read, so it is in the snapshot; later ones follow as events.
        current_epoch, current_seq = await _in_thread(store().state)(subscription.name)

        def read() -> tuple[dict[str, Any] | None, str, str]:
            with translation.override(self.language):
                try:
                    return subscription.topic.snapshot(subscription.key, self.user), "", ""
                except errors.DomainError as exc:
                    return None, ERROR_CODES.get(type(exc), ErrorCode.INVALID), exc.message

        data, code, message = await database_sync_to_async(read)()
        if data is None:
            return code, message
        subscription.epoch, subscription.seq = current_epoch, current_seq
        await self.send_frame(
            protocol.SNAPSHOT,
            {"topic": subscription.name, "epoch": current_epoch, "seq": current_seq, "data": data},
        )
        return "", ""

    async def _send_events(
        self, subscription: Subscription, missed: list[Published], epoch: str, since: int
    ) -> None:
        subscription.epoch, subscription.seq = epoch, since
        for published in missed:
            await self.send(text_data=published.frame())
            subscription.seq = published.seq

    async def _leave(self, name: str) -> None:
        if self.subscriptions.pop(name, None) is None:
            return
        self.watcher.discard(name, self)
        await self.relay.leave(name, self)

    async def _catch_up(self, subscription: Subscription) -> None:
        """Fill a gap from the buffer, or start over from a snapshot."""
        code, message = await self._bring_up_to_date(
            subscription, since=subscription.seq, epoch=subscription.epoch
        )
        if code:
            await self.send_error(code, message=message)

    # Events from the channel layer and the watcher ----------------------------------------

    async def live_event(self, message: dict[str, Any]) -> None:
        async with self.lock:
            subscription = self.subscriptions.get(message["group"])
            if subscription is None or not subscription.ready:
                return
            seq = int(message["seq"])
            if message["epoch"] == subscription.epoch:
                if seq <= subscription.seq:
                    return  # already applied (from the snapshot or a catch-up)
                if seq == subscription.seq + 1:
                    subscription.seq = seq
                    await self.send(text_data=message["frame"])
                    return
            try:
                await self._catch_up(subscription)
            except Exception:
                logger.warning("live catch-up failed", exc_info=True)

    def check(self, group: str, epoch: str, seq: int) -> None:
        subscription = self.subscriptions.get(group)
        if subscription is None or not subscription.ready or self.lock.locked():
            # Busy: a delivery (waiting for the socket) or a catch-up is under way, which may
            # bring the subscription up to date; the watcher's next tick looks again.
            return
        if epoch != subscription.epoch or seq > subscription.seq:
            asyncio.get_running_loop().create_task(self._checked(group, epoch, seq))

    async def _checked(self, group: str, epoch: str, seq: int) -> None:
        async with self.lock:
            subscription = self.subscriptions.get(group)
            if subscription is None or not subscription.ready:
                return
            if epoch == subscription.epoch and seq <= subscription.seq:
                return
            try:
                await self._catch_up(subscription)
            except Exception:
                logger.warning("live catch-up failed", exc_info=True)

    # Heartbeat ---------------------------------------------------------------------------

    async def _heartbeat(self) -> None:
        interval = float(settings.LIVE_HEARTBEAT_SECONDS)
        timeout = float(settings.LIVE_HEARTBEAT_TIMEOUT)
        try:
            while True:
                await asyncio.sleep(interval)
                if time.monotonic() - self.last_heard > timeout:
                    await self.close(code=protocol.CLOSE_HEARTBEAT)
                    return
                await self.send_frame(protocol.PING, {"t": int(time.time() * 1000)})
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.debug("heartbeat stopped", exc_info=True)
