"""The state of a venue in memory: avatars, their cells, zones, chat and the floor.

Nothing here touches the database or the network: ``hub.py`` feeds commands in and sends the
frames that ``Space.tick`` builds. Positions and presence are ephemeral by design: they live in
the memory of the process that serves the connection, and vanish when it closes.

Area of interest: the floor is cut into square cells of ``CELL`` tiles; an avatar sees the
positions of avatars in its own cell and the eight around it. Moves are collected between
ticks and each tick sends every client one frame (``venue.tick``) with the moves it can see and
the events of its instance (arrivals, departures, zone changes, the floor) and of its zone (chat).

Sharding: a space holds instances of at most ``capacity`` avatars; a newcomer joins the first
instance with room, else a new one. The floor (speaker, queue of raised hands, spotlight) is the
space's, so every instance sees the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from madang.venue.maps import VenueMap

CELL = 8
MOVES_PER_SECOND = 5.0
MOVE_BURST = 2.0
# Tiles one move may cover (walking speed at 5 moves a second, with slack for jitter).
MAX_STEP = 3
CHAT_PER_SECOND = 0.5
CHAT_BURST = 4.0
CHAT_MAX_LENGTH = 300
COLOURS = ("#1d4ed8", "#b91c1c", "#047857", "#7c3aed", "#b45309", "#0e7490", "#be185d", "#374151")
SHAPES = ("circle", "square", "triangle", "diamond")
DEFAULT_SPEAKING_SECONDS = 120

Send = Callable[[str], Awaitable[None]]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Bucket:
    """A token bucket: ``rate`` a second, bursts of ``burst``."""

    __slots__ = ("burst", "rate", "tokens", "updated")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens = rate, burst, burst
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(eq=False)
class Avatar:
    id: str
    connection_id: str
    name: str
    colour: int
    shape: str
    guest: bool
    host: bool
    x: int
    y: int
    zone: str
    instance: int
    send: Send | None = None
    hand_at: float | None = None
    moves: Bucket = field(default_factory=lambda: Bucket(MOVES_PER_SECOND, MOVE_BURST))
    chats: Bucket = field(default_factory=lambda: Bucket(CHAT_PER_SECOND, CHAT_BURST))
    dropped_moves: int = 0
    # The id as a JSON string, for the positions a tick writes by the hundred.
    quoted: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.quoted = dumps(self.id)

    def position(self) -> str:
        """``[id, x, y]`` as JSON (``int`` keeps it JSON whatever number type x and y hold)."""
        return f"[{self.quoted},{int(self.x)},{int(self.y)}]"

    @property
    def cell(self) -> tuple[int, int]:
        return self.x // CELL, self.y // CELL

    def public(self) -> dict[str, Any]:
        """What everyone in the instance knows about this avatar (no account data)."""
        return {
            "id": self.id,
            "name": self.name,
            "colour": COLOURS[self.colour],
            "shape": self.shape,
            "guest": self.guest,
            "host": self.host,
            "zone": self.zone,
            "hand": self.hand_at is not None,
        }


_neighbourhoods: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}


def neighbourhood(cell: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    """The 3 by 3 cells around ``cell`` (itself included), made once per cell (a map has at
    most (MAX_SIDE / CELL + 2) squared of them)."""
    found = _neighbourhoods.get(cell)
    if found is None:
        cx, cy = cell
        found = _neighbourhoods[cell] = tuple(
            (cx + dx, cy + dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
        )
    return found


class Refused(Exception):
    """A command the venue will not carry out; ``code`` says why (see handlers.py)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Instance:
    number: int
    avatars: dict[str, Avatar] = field(default_factory=dict)
    cells: dict[tuple[int, int], set[str]] = field(default_factory=dict)
    # Since the last tick: avatar id -> its cell before its first move.
    moved: dict[str, tuple[int, int]] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    chat: dict[str, list[str]] = field(default_factory=dict)
    # Avatars owed a correction of their own position (a refused move).
    corrected: set[str] = field(default_factory=set)

    def place(self, avatar: Avatar) -> None:
        self.cells.setdefault(avatar.cell, set()).add(avatar.id)

    def unplace(self, avatar: Avatar, cell: tuple[int, int] | None = None) -> None:
        key = cell or avatar.cell
        members = self.cells.get(key)
        if members is not None:
            members.discard(avatar.id)
            if not members:
                del self.cells[key]

    def visible(self, cell: tuple[int, int]) -> list[Avatar]:
        found = []
        for near in neighbourhood(cell):
            for avatar_id in self.cells.get(near, ()):
                found.append(self.avatars[avatar_id])
        return found


@dataclass
class Floor:
    speaker: str | None = None
    speaker_name: str = ""
    ends_at: float | None = None  # epoch seconds
    spotlight: str = ""

    def data(self, queue: list[Avatar]) -> dict[str, Any]:
        return {
            "speaker": self.speaker,
            "speaker_name": self.speaker_name,
            "ends_at": int(self.ends_at * 1000) if self.ends_at else None,
            "spotlight": self.spotlight,
            "queue": [{"id": avatar.id, "name": avatar.name} for avatar in queue],
        }


class Space:
    """One venue space in this process: its instances, avatars and floor."""

    def __init__(self, key: int, venue_map: VenueMap, capacity: int) -> None:
        self.key = key
        self.map = venue_map
        self.capacity = max(1, capacity)
        self.instances: dict[int, Instance] = {}
        self.avatars: dict[str, Avatar] = {}
        self.floor = Floor()
        # With several serving processes (hub.py): what this process changed since the last
        # tick, for the others to apply, and which process each remote avatar belongs to.
        self.relay = False
        self.ops: list[list[Any]] = []
        self.relay_moves: dict[str, tuple[int, int]] = {}
        self.home: dict[str, str] = {}
        self._applying = False
        # A process keeps a space without clients of its own until then (monotonic time).
        self.kept_until = 0.0

    def _op(self, *op: Any) -> None:
        if self.relay and not self._applying:
            self.ops.append(list(op))

    def take_ops(self) -> tuple[list[list[Any]], list[list[Any]]]:
        """The changes to relay, and the moves (one per avatar), emptied."""
        ops, moves = self.ops, [[key, x, y] for key, (x, y) in self.relay_moves.items()]
        self.ops, self.relay_moves = [], {}
        return ops, moves

    # Joining and leaving ----------------------------------------------------------------

    def choose_instance(self, wanted: int | None = None) -> Instance:
        if wanted is not None:
            return self.instances.get(wanted) or self.instances.setdefault(wanted, Instance(wanted))
        for number in sorted(self.instances):
            if len(self.instances[number].avatars) < self.capacity:
                return self.instances[number]
        number = 1
        while number in self.instances:
            number += 1
        created = self.instances[number] = Instance(number)
        return created

    def join(
        self,
        *,
        avatar_id: str,
        connection_id: str,
        name: str,
        colour: int,
        shape: str,
        guest: bool,
        host: bool,
        send: Send | None,
        instance_number: int | None = None,
        at: tuple[int, int] | None = None,
        event: str = "arrived",
    ) -> Avatar:
        """Place a new avatar; its instance hears ``event`` about it ("arrived", or "present"
        for someone who was there already and is only now known to this process)."""
        instance = self.choose_instance(instance_number)
        x, y = at or self.map.spawn
        zone = self.map.zone_at(x, y)
        avatar = Avatar(
            id=avatar_id,
            connection_id=connection_id,
            name=name,
            colour=colour % len(COLOURS),
            shape=shape if shape in SHAPES else SHAPES[0],
            guest=guest,
            host=host,
            x=x,
            y=y,
            zone=zone.key if zone else "",
            instance=instance.number,
            send=send,
        )
        self.avatars[avatar.id] = avatar
        instance.avatars[avatar.id] = avatar
        instance.place(avatar)
        instance.events.append(dumps([event, avatar.public()]))
        instance.moved.setdefault(avatar.id, avatar.cell)
        self._op("join", self.state_of(avatar))
        return avatar

    def state_of(self, avatar: Avatar) -> dict[str, Any]:
        """An avatar as another process needs it to mirror it."""
        return {
            "id": avatar.id,
            "name": avatar.name,
            "colour": avatar.colour,
            "shape": avatar.shape,
            "guest": avatar.guest,
            "host": avatar.host,
            "x": avatar.x,
            "y": avatar.y,
            "instance": avatar.instance,
            "hand_at": avatar.hand_at,
        }

    def leave(self, avatar_id: str) -> Avatar | None:
        avatar = self.avatars.pop(avatar_id, None)
        if avatar is None:
            return None
        self.home.pop(avatar_id, None)
        self.relay_moves.pop(avatar_id, None)
        self._op("leave", avatar_id)
        instance = self.instances[avatar.instance]
        instance.unplace(avatar)
        instance.avatars.pop(avatar.id, None)
        instance.moved.pop(avatar.id, None)
        instance.corrected.discard(avatar.id)
        instance.events.append(dumps(["left", {"id": avatar.id, "name": avatar.name}]))
        # Everyone who could see the avatar hears it is gone (as a move off the floor).
        instance.events.append(dumps(["gone", {"id": avatar.id, "x": avatar.x, "y": avatar.y}]))
        if avatar.hand_at is not None:
            avatar.hand_at = None
            self._floor_changed()
        if self.floor.speaker == avatar.id:
            self.floor = Floor(spotlight=self.floor.spotlight)
            self._floor_changed()
        if not instance.avatars:
            del self.instances[instance.number]
        return avatar

    def snapshot(self, avatar: Avatar) -> dict[str, Any]:
        """What a newcomer needs: everyone in its instance, the positions in view, the floor."""
        instance = self.instances[avatar.instance]
        return {
            "you": avatar.id,
            "instance": avatar.instance,
            "instances": len(self.instances),
            "people": [other.public() for other in instance.avatars.values()],
            "positions": [[other.id, other.x, other.y] for other in instance.visible(avatar.cell)],
            "floor": self.floor.data(self.queue()),
            "cell": CELL,
        }

    # Moving ------------------------------------------------------------------------------

    def path_is_free(self, x0: int, y0: int, x1: int, y1: int) -> bool:
        """Whether a straight walk from (x0, y0) to (x1, y1) crosses no wall."""
        steps = max(abs(x1 - x0), abs(y1 - y0))
        for step in range(1, steps + 1):
            x = x0 + round((x1 - x0) * step / steps)
            y = y0 + round((y1 - y0) * step / steps)
            if not self.map.free(x, y):
                return False
        return True

    def move(self, avatar_id: str, x: int, y: int) -> bool:
        """Move an avatar by one step; False when the move is dropped (rate) or refused."""
        avatar = self.avatars.get(avatar_id)
        if avatar is None:
            raise Refused("not_joined")
        if not avatar.moves.take():
            avatar.dropped_moves += 1
            return False
        instance = self.instances[avatar.instance]
        if (
            max(abs(x - avatar.x), abs(y - avatar.y)) > MAX_STEP
            or not self.map.free(x, y)
            or not self.path_is_free(avatar.x, avatar.y, x, y)
        ):
            instance.corrected.add(avatar.id)
            return False
        self._put(avatar, instance, x, y)
        return True

    def go_to_zone(self, avatar_id: str, zone_key: str) -> Avatar:
        """Move an avatar straight into a zone (the accessible view's buttons)."""
        avatar = self.avatars.get(avatar_id)
        if avatar is None:
            raise Refused("not_joined")
        zone = self.map.zone(zone_key)
        if zone is None:
            raise Refused("no_zone")
        instance = self.instances[avatar.instance]
        there = sum(1 for other in instance.avatars.values() if other.zone == zone.key)
        x, y = self.map.free_tile_in(zone, there)
        self._put(avatar, instance, x, y)
        instance.corrected.add(avatar.id)
        return avatar

    def _put(self, avatar: Avatar, instance: Instance, x: int, y: int) -> None:
        old_cell = avatar.cell
        instance.moved.setdefault(avatar.id, old_cell)
        if self.relay and not self._applying:
            self.relay_moves[avatar.id] = (x, y)
        if (x // CELL, y // CELL) != old_cell:
            instance.unplace(avatar, old_cell)
            avatar.x, avatar.y = x, y
            instance.place(avatar)
        else:
            avatar.x, avatar.y = x, y
        zone = self.map.zone_at(x, y)
        zone_key = zone.key if zone else ""
        if zone_key != avatar.zone:
            avatar.zone = zone_key
            instance.events.append(dumps(["zone", {"id": avatar.id, "zone": zone_key}]))

    # Chat and the floor ------------------------------------------------------------------

    def chat(self, avatar_id: str, text: str, at: float) -> dict[str, Any]:
        avatar = self.avatars.get(avatar_id)
        if avatar is None:
            raise Refused("not_joined")
        cleaned = " ".join("".join(c for c in text if c.isprintable()).split())
        if not cleaned or len(cleaned) > CHAT_MAX_LENGTH:
            raise Refused("chat_length")
        if not avatar.zone:
            raise Refused("no_zone")
        if not avatar.chats.take():
            raise Refused("chat_rate")
        message = {
            "id": avatar.id,
            "name": avatar.name,
            "zone": avatar.zone,
            "text": cleaned,
            "at": int(at * 1000),
        }
        instance = self.instances[avatar.instance]
        frame = dumps(["chat", message])
        instance.chat.setdefault(avatar.zone, []).append(frame)
        self._op("chat", avatar.instance, avatar.zone, frame)
        return message

    def queue(self) -> list[Avatar]:
        raised = [avatar for avatar in self.avatars.values() if avatar.hand_at is not None]
        return sorted(raised, key=lambda avatar: avatar.hand_at or 0.0)

    def hand(self, avatar_id: str, raised: bool, at: float) -> None:
        avatar = self.avatars.get(avatar_id)
        if avatar is None:
            raise Refused("not_joined")
        if raised and avatar.hand_at is None:
            avatar.hand_at = at
        elif not raised:
            avatar.hand_at = None
        else:
            return
        self._floor_changed()

    def floor_action(
        self, avatar_id: str, action: str, *, target: str = "", seconds: int = 0, text: str = ""
    ) -> dict[str, Any]:
        """A host's floor command: give, next, end, spotlight, clear (the spotlight), lower."""
        avatar = self.avatars.get(avatar_id)
        if avatar is None:
            raise Refused("not_joined")
        if not avatar.host:
            raise Refused("not_host")
        now = time.time()
        seconds = seconds or DEFAULT_SPEAKING_SECONDS
        if action in ("give", "next"):
            speaker = (
                self.avatars.get(target) if action == "give" else next(iter(self.queue()), None)
            )
            if speaker is None:
                raise Refused("no_speaker")
            speaker.hand_at = None
            self.floor.speaker, self.floor.speaker_name = speaker.id, speaker.name
            self.floor.ends_at = now + seconds
        elif action == "end":
            self.floor.speaker, self.floor.speaker_name, self.floor.ends_at = None, "", None
        elif action == "spotlight":
            cleaned = " ".join("".join(c for c in text if c.isprintable()).split())
            if not cleaned or len(cleaned) > CHAT_MAX_LENGTH:
                raise Refused("chat_length")
            self.floor.spotlight = cleaned
        elif action == "clear":
            self.floor.spotlight = ""
        elif action == "lower":
            lowered = self.avatars.get(target)
            if lowered is None:
                raise Refused("no_speaker")
            lowered.hand_at = None
        else:
            raise Refused("unknown_action")
        self._floor_changed()
        return self.floor.data(self.queue())

    def _floor_changed(self) -> None:
        self._op(
            "floor",
            {
                "speaker": self.floor.speaker,
                "speaker_name": self.floor.speaker_name,
                "ends_at": self.floor.ends_at,
                "spotlight": self.floor.spotlight,
                "hands": {a.id: a.hand_at for a in self.avatars.values() if a.hand_at is not None},
            },
        )
        frame = dumps(["floor", self.floor.data(self.queue())])
        for instance in self.instances.values():
            instance.events = [
                event for event in instance.events if not event.startswith('["floor"')
            ]
            instance.events.append(frame)

    def expire_floor(self, now: float) -> None:
        if self.floor.ends_at is not None and now >= self.floor.ends_at:
            self.floor.speaker, self.floor.speaker_name, self.floor.ends_at = None, "", None
            self._floor_changed()

    # Changes made by other processes (hub.py relays them) ------------------------------------

    def apply(self, home: str, ops: list[list[Any]], moves: list[list[Any]]) -> None:
        """Mirror what another serving process changed in this space."""
        self._applying = True
        try:
            for op in ops:
                self._apply_one(home, op)
            for avatar_id, x, y in moves:
                avatar = self.avatars.get(avatar_id)
                if avatar is not None and avatar.send is None and self.map.free(x, y):
                    self._put(avatar, self.instances[avatar.instance], x, y)
        finally:
            self._applying = False

    def _apply_one(self, home: str, op: list[Any]) -> None:
        kind = op[0]
        if kind in ("join", "present"):
            # "join": someone arrived; "present": someone already there when this process
            # entered the space (the answer to its hello), whom clients add without an
            # announcement.
            state = op[1]
            known = self.avatars.get(state["id"])
            if known is not None:
                if known.send is not None:
                    return  # one of ours: never replaced by a mirror
                self.leave(known.id)
            avatar = self.join(
                avatar_id=state["id"],
                connection_id="",
                name=state["name"],
                colour=state["colour"],
                shape=state["shape"],
                guest=state["guest"],
                host=state["host"],
                send=None,
                instance_number=state["instance"],
                at=(state["x"], state["y"]) if self.map.free(state["x"], state["y"]) else None,
                event="arrived" if kind == "join" else "present",
            )
            avatar.hand_at = state.get("hand_at")
            self.home[avatar.id] = home
        elif kind == "leave":
            leaving = self.avatars.get(op[1])
            if leaving is not None and leaving.send is None:
                self.leave(leaving.id)
        elif kind == "chat":
            instance = self.instances.get(op[1])
            if instance is not None:
                instance.chat.setdefault(op[2], []).append(op[3])
        elif kind == "floor":
            data = op[1]
            self.floor = Floor(
                speaker=data["speaker"],
                speaker_name=data["speaker_name"],
                ends_at=data["ends_at"],
                spotlight=data["spotlight"],
            )
            hands = data.get("hands") or {}
            for avatar in self.avatars.values():
                avatar.hand_at = hands.get(avatar.id)
            self._floor_changed()

    def forget_home(self, home: str) -> None:
        """Drop the avatars of a process that stopped speaking (it ended without saying so)."""
        for avatar_id in [key for key, owner in self.home.items() if owner == home]:
            avatar = self.avatars.get(avatar_id)
            if avatar is not None and avatar.send is None:
                self._applying = True
                try:
                    self.leave(avatar_id)
                finally:
                    self._applying = False

    def local_state(self) -> list[list[Any]]:
        """Ops that recreate this process's own avatars elsewhere, as people already here."""
        ops: list[list[Any]] = [
            ["present", self.state_of(avatar)] for avatar in self.avatars.values() if avatar.send
        ]
        return ops

    # The tick ----------------------------------------------------------------------------

    def tick(self) -> list[tuple[Send, str]]:
        """The frames to send now, one per client that has news, and the state reset."""
        out: list[tuple[Send, str]] = []
        for instance in self.instances.values():
            out.extend(self._tick_instance(instance))
        return out

    def _tick_instance(self, instance: Instance) -> list[tuple[Send, str]]:
        """One frame per client with news; clients with the same view share one string.

        The work grows with the cells that saw moves and the cells clients stand in, not with
        clients times the moves they see: each cell's moves are joined once, each cell's view
        (its neighbourhood of 3 by 3 cells) once, and a client with nothing of its own this
        tick (it kept its cell and is owed no correction) gets the frame memoised for its cell
        and zone.
        A client's own moves are in "m" like the others' (the client skips its own id); a
        correction of its position travels apart, as "c".
        """
        if not (instance.moved or instance.events or instance.chat or instance.corrected):
            return []
        avatars = instance.avatars
        moving: dict[tuple[int, int], list[str]] = {}
        # Viewer cell -> the moves of those who walked out of its view (sent once more).
        leaving: dict[tuple[int, int], list[str]] = {}
        changed_cell: dict[str, tuple[int, int]] = {}
        for avatar_id, old_cell in instance.moved.items():
            avatar = avatars.get(avatar_id)
            if avatar is None:
                continue
            entry = avatar.position()
            cell = avatar.cell
            moving.setdefault(cell, []).append(entry)
            if old_cell != cell:
                changed_cell[avatar.id] = old_cell
                still_seen = neighbourhood(cell)
                for near in neighbourhood(old_cell):
                    if near not in still_seen:
                        leaving.setdefault(near, []).append(entry)
        joined = {cell: ",".join(entries) for cell, entries in moving.items()}
        # "gone" events are moves off the floor for whoever could see the avatar.
        events = ",".join(instance.events)
        chats = {zone: ",".join(lines) for zone, lines in instance.chat.items()}
        views: dict[tuple[int, int], str] = {}
        shared: dict[tuple[tuple[int, int], str], str | None] = {}
        corrected = instance.corrected
        out: list[tuple[Send, str]] = []
        for avatar in avatars.values():
            if avatar.send is None:
                continue
            cell = avatar.cell
            view = views.get(cell)
            if view is None:
                found = [seen for near in neighbourhood(cell) if (seen := joined.get(near))]
                found.extend(leaving.get(cell, ()))
                view = views[cell] = ",".join(found)
            left_cell = changed_cell.get(avatar.id)
            if left_cell is None and avatar.id not in corrected:
                key = (cell, avatar.zone)
                if key in shared:
                    frame = shared[key]
                else:
                    frame = shared[key] = self._frame(view, events, chats.get(avatar.zone, ""))
                if frame is not None:
                    out.append((avatar.send, frame))
                continue
            parts = [view] if view else []
            if left_cell is not None:
                # Walking into other cells shows those standing there.
                seen_before = set(neighbourhood(left_cell))
                for near in neighbourhood(cell):
                    if near in seen_before:
                        continue
                    for other_id in instance.cells.get(near, ()):
                        if other_id not in instance.moved:
                            other = avatars[other_id]
                            parts.append(other.position())
            correction = dumps([avatar.x, avatar.y]) if avatar.id in corrected else ""
            frame = self._frame(",".join(parts), events, chats.get(avatar.zone, ""), correction)
            if frame is not None:
                out.append((avatar.send, frame))
        instance.moved.clear()
        instance.events.clear()
        instance.chat.clear()
        instance.corrected.clear()
        return out

    @staticmethod
    def _frame(moves: str, events: str, chat: str, correction: str = "") -> str | None:
        """A ``venue.tick`` frame from pre-joined JSON parts, or None when it holds nothing."""
        if not (moves or events or chat or correction):
            return None
        news = events + "," + chat if events and chat else events or chat
        frame = '["venue.tick",{"m":[' + moves + '],"e":[' + news + "]"
        if correction:
            frame += ',"c":' + correction
        return frame + "}]"
