// The virtual venue in the browser: one script for the map view (a canvas) and the accessible
// view (lists and buttons), over the page's one live connection (docs/realtime.md, "Virtual
// venue"). Names and messages are what people wrote: they are set as text, never as HTML, and on
// the canvas drawn with fillText.

const root = document.querySelector("[data-venue]");
const configElement = document.getElementById("venue-config");
const MOVE_INTERVAL = 200; // ms: at most 5 positions a second
const STEP_INTERVAL = 125; // ms per tile walked

if (root && configElement) start(JSON.parse(configElement.textContent || "{}"));

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}

async function start(config) {
  const live = await import(config.live);
  const mode = root.dataset.venue;
  const labels = config.labels || {};
  const map = config.map;
  const zones = new Map(map.zones.map((zone) => [zone.key, zone]));
  const blocked = new Set();
  for (const [x, y, w, h] of map.walls) {
    for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) blocked.add(`${i},${j}`);
  }
  const free = (x, y) => x >= 0 && y >= 0 && x < map.width && y < map.height && !blocked.has(`${x},${y}`);
  const zoneAt = (x, y) => {
    for (const zone of map.zones) {
      const [zx, zy, zw, zh] = zone.rect;
      if (x >= zx && x < zx + zw && y >= zy && y < zy + zh) return zone.key;
    }
    return "";
  };

  const $ = (selector) => root.querySelector(selector);
  const form = $("[data-venue-join]");
  const panels = $("[data-venue-panels]");
  const announcer = root.querySelector("[data-announce]") || document.querySelector("[data-announce]");
  const errorBox = $("[data-error]");
  const state = {
    me: null,
    host: false,
    people: new Map(),
    positions: new Map(),
    floor: null,
    joinedWith: null,
    cell: 8,
  };

  function announce(text) {
    if (!announcer) return;
    const line = document.createElement("p");
    line.textContent = text;
    announcer.append(line);
    while (announcer.childNodes.length > 5) announcer.firstChild.remove();
  }

  function showError(error) {
    if (errorBox) errorBox.textContent = error && error.message ? error.message : "";
  }

  // Joining ------------------------------------------------------------------------------

  const connection = live.connection();
  if (!connection.supported) {
    $("[data-join-error]").textContent = labels.noSocket;
    return;
  }
  connection.onStatus((status) => {
    if (status === "open") {
      if (connection.authenticated) {
        const note = $("[data-signed-in]");
        note.hidden = false;
        note.textContent = labels.signedIn;
        const guest = $("[data-guest-field]");
        if (guest) guest.hidden = true;
      }
      if (state.joinedWith) join(state.joinedWith).catch(showError);
    } else if (status === "closed" && state.joinedWith) {
      showError({ message: labels.disconnected });
    }
  });
  connection.connect();

  async function join(payload) {
    const data = await live.send("venue.join", payload);
    state.joinedWith = payload;
    state.me = data.you;
    state.host = Boolean(data.host);
    state.cell = data.cell || 8;
    state.people = new Map(data.people.map((person) => [person.id, person]));
    state.positions = new Map();
    for (const [id, x, y] of data.positions) state.positions.set(id, { x, y });
    state.floor = data.floor;
    form.hidden = true;
    panels.hidden = false;
    const zonesSection = $("[data-zones-section]");
    if (zonesSection) zonesSection.hidden = false;
    $("[data-host-tools]").hidden = !state.host;
    $("[data-instance]").textContent = fill(labels.instance, {
      number: data.instance,
      count: data.instances,
    });
    showError(null);
    announce(labels.entered);
    renderFloor();
    renderZone();
    renderPeople();
    if (mode === "canvas") $("[data-canvas]").focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const payload = {
      space: config.space,
      colour: Number(data.get("colour") || 0),
      shape: String(data.get("shape") || "circle"),
    };
    const name = String(data.get("name") || "").trim();
    if (name && !connection.authenticated) payload.name = name;
    $("[data-join-error]").textContent = "";
    join(payload).catch((error) => {
      $("[data-join-error]").textContent = error.message;
    });
  });

  // What the server sends every tick --------------------------------------------------------

  live.onFrame("venue.tick", (payload) => {
    // Moves in view, one's own among them (already drawn where one walked): skipped.
    for (const [id, x, y] of payload.m || []) {
      if (id !== state.me) state.positions.set(id, { x, y });
    }
    // Where one really stands, after a refused move or a jump to a zone.
    if (payload.c) {
      me().x = payload.c[0];
      me().y = payload.c[1];
      walk.target = null;
    }
    let peopleChanged = false;
    for (const [kind, data] of payload.e || []) {
      if (kind === "arrived" || kind === "present") {
        // "present": someone who was here already, only now known to this server process.
        state.people.set(data.id, data);
        peopleChanged = true;
        if (kind === "arrived" && data.id !== state.me) announce(fill(labels.arrived, { name: data.name }));
      } else if (kind === "left") {
        state.people.delete(data.id);
        state.positions.delete(data.id);
        peopleChanged = true;
        announce(fill(labels.left, { name: data.name }));
      } else if (kind === "gone") {
        state.positions.delete(data.id);
      } else if (kind === "zone") {
        const person = state.people.get(data.id);
        if (person) person.zone = data.zone;
        peopleChanged = true;
        if (data.id === state.me) renderZone();
      } else if (kind === "floor") {
        const before = state.floor || {};
        state.floor = data;
        if (data.speaker && data.speaker !== before.speaker) {
          announce(fill(labels.floor, { name: data.speaker_name }));
        } else if (!data.speaker && before.speaker) {
          announce(labels.floorEnded);
        }
        if (data.spotlight && data.spotlight !== before.spotlight) {
          announce(fill(labels.spotlight, { text: data.spotlight }));
        }
        renderFloor();
        peopleChanged = true;
      } else if (kind === "chat") {
        addChat(data);
      }
    }
    if (peopleChanged) renderPeople();
  });

  function me() {
    let mine = state.positions.get(state.me);
    if (!mine) {
      mine = { x: 0, y: 0 };
      state.positions.set(state.me, mine);
    }
    return mine;
  }

  // Panels: floor, zone, chat, people --------------------------------------------------------

  function renderFloor() {
    const floor = state.floor || {};
    $("[data-floor-speaker]").textContent = floor.speaker
      ? fill(labels.floor, { name: floor.speaker_name })
      : labels.floorEnded;
    const spotlight = $("[data-spotlight]");
    spotlight.hidden = !floor.spotlight;
    spotlight.textContent = floor.spotlight ? fill(labels.spotlight, { text: floor.spotlight }) : "";
    const queue = $("[data-queue]");
    queue.replaceChildren();
    for (const person of floor.queue || []) {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = person.name + (person.id === state.me ? ` (${labels.you})` : "");
      item.append(name);
      if (state.host) {
        for (const [action, label] of [
          ["give", labels.give],
          ["lower", labels.lower],
        ]) {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "button secondary";
          button.textContent = label;
          button.setAttribute("aria-label", `${label}: ${person.name}`);
          button.addEventListener("click", () => floorAction(action, { avatar: person.id }));
          item.append(" ", button);
        }
      }
      queue.append(item);
    }
    const mine = (floor.queue || []).some((person) => person.id === state.me);
    $("[data-hand]").setAttribute("aria-pressed", String(mine));
    updateTimer();
  }

  function updateTimer() {
    const floor = state.floor || {};
    const timer = $("[data-floor-timer]");
    if (!floor.ends_at) {
      timer.textContent = "";
      return;
    }
    const seconds = Math.max(0, Math.round((floor.ends_at - Date.now()) / 1000));
    timer.textContent = fill(labels.remaining, { seconds });
  }
  setInterval(updateTimer, 1000);

  function renderZone() {
    const person = state.people.get(state.me);
    const key = person ? person.zone : "";
    const zone = zones.get(key);
    $("[data-zone-name]").textContent = zone ? zone.name : labels.corridor;
    const call = config.calls[key] || "";
    const callBox = $("[data-call]");
    callBox.hidden = !call;
    if (call) {
      const link = $("[data-call-link]");
      link.href = call;
      link.textContent = fill(labels.call, { zone: zone ? zone.name : "" });
    }
    $("[data-chat]").replaceChildren();
    for (const stage of root.querySelectorAll("[data-stage-zone]")) {
      stage.hidden = !(zone && zone.kind === "stage");
    }
    if (state.me) announce(fill(labels.moved, { zone: zone ? zone.name : labels.corridor }));
  }

  function addChat(message) {
    const list = $("[data-chat]");
    const item = document.createElement("li");
    const name = document.createElement("strong");
    name.textContent = message.name;
    const text = document.createElement("span");
    text.textContent = ` ${message.text}`;
    item.append(name, text);
    list.append(item);
    while (list.children.length > 50) list.firstElementChild.remove();
  }

  function describe(person) {
    const parts = [person.name];
    if (person.id === state.me) parts.push(`(${labels.you})`);
    if (person.guest) parts.push(`(${labels.guest})`);
    if (person.host) parts.push(`(${labels.host})`);
    if (person.hand) parts.push(`(${labels.hand})`);
    return parts.join(" ");
  }

  function renderPeople() {
    if (mode !== "list") return;
    const queue = new Set(((state.floor || {}).queue || []).map((person) => person.id));
    for (const item of root.querySelectorAll("[data-zone-list] > li")) {
      const key = item.dataset.zone;
      const here = [...state.people.values()].filter((person) => (person.zone || "") === key);
      here.sort((a, b) => a.name.localeCompare(b.name));
      const list = item.querySelector("[data-people]");
      list.replaceChildren();
      for (const person of here.slice(0, 200)) {
        const entry = document.createElement("li");
        const name = document.createElement("span");
        name.textContent = describe({ ...person, hand: queue.has(person.id) });
        entry.append(name);
        if (state.host && person.id !== state.me) {
          // Hosts give the floor to anyone present, hand raised or not.
          const button = document.createElement("button");
          button.type = "button";
          button.className = "button secondary";
          button.textContent = labels.give;
          button.setAttribute("aria-label", `${labels.give}: ${person.name}`);
          button.addEventListener("click", () => floorAction("give", { avatar: person.id }));
          entry.append(" ", button);
        }
        list.append(entry);
      }
      item.querySelector("[data-count]").textContent = `(${fill(labels.people, { count: here.length })})`;
    }
  }

  // Commands ---------------------------------------------------------------------------------

  async function floorAction(action, extra = {}) {
    try {
      const seconds = Number($("[data-seconds]").value) || 120;
      const payload = { action, ...extra };
      if (action === "give" || action === "next") payload.seconds = Math.min(1800, Math.max(10, seconds));
      const reply = await live.send("venue.floor", payload);
      state.floor = reply.floor;
      renderFloor();
      showError(null);
    } catch (error) {
      showError(error);
    }
  }

  $("[data-hand]").addEventListener("click", async () => {
    const raised = $("[data-hand]").getAttribute("aria-pressed") !== "true";
    try {
      await live.send("venue.hand", { raised });
      $("[data-hand]").setAttribute("aria-pressed", String(raised));
      showError(null);
    } catch (error) {
      showError(error);
    }
  });
  $("[data-floor-next]").addEventListener("click", () => floorAction("next"));
  $("[data-floor-end]").addEventListener("click", () => floorAction("end"));
  $("[data-spotlight-send]").addEventListener("click", () =>
    floorAction("spotlight", { text: $("[data-spotlight-text]").value }),
  );
  $("[data-spotlight-clear]").addEventListener("click", () => floorAction("clear"));
  $("[data-chat-form]").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("[data-chat-text]");
    const text = input.value.trim();
    if (!text) return;
    try {
      await live.send("venue.chat", { text });
      input.value = "";
      showError(null);
    } catch (error) {
      showError(error);
    }
  });
  $("[data-leave]").addEventListener("click", async () => {
    state.joinedWith = null;
    try {
      await live.send("venue.leave", {});
    } catch {
      // Closing the page drops the avatar anyway.
    }
    window.location.reload();
  });
  for (const button of root.querySelectorAll("[data-goto]")) {
    button.addEventListener("click", async () => {
      try {
        const reply = await live.send("venue.goto", { zone: button.dataset.goto });
        me().x = reply.x;
        me().y = reply.y;
        showError(null);
      } catch (error) {
        showError(error);
      }
    });
  }

  // Walking (map view) ---------------------------------------------------------------------

  const walk = { keys: new Set(), target: null, lastStep: 0, lastSent: 0, sent: "" };

  function sendPosition(now) {
    const mine = me();
    const key = `${mine.x},${mine.y}`;
    if (key === walk.sent || now - walk.lastSent < MOVE_INTERVAL) return;
    walk.lastSent = now;
    walk.sent = key;
    connection.write("venue.move", { x: mine.x, y: mine.y });
  }

  function stepTowards(now) {
    if (!state.me || now - walk.lastStep < STEP_INTERVAL) return;
    let dx = 0;
    let dy = 0;
    for (const key of walk.keys) {
      if (key === "left") dx = -1;
      if (key === "right") dx = 1;
      if (key === "up") dy = -1;
      if (key === "down") dy = 1;
    }
    const mine = me();
    if (!dx && !dy && walk.target) {
      dx = Math.sign(walk.target.x - mine.x);
      dy = Math.sign(walk.target.y - mine.y);
      if (!dx && !dy) walk.target = null;
    }
    if (!dx && !dy) return;
    walk.lastStep = now;
    if (free(mine.x + dx, mine.y + dy)) {
      mine.x += dx;
      mine.y += dy;
    } else if (dx && free(mine.x + dx, mine.y)) {
      mine.x += dx;
    } else if (dy && free(mine.x, mine.y + dy)) {
      mine.y += dy;
    } else {
      walk.target = null;
      return;
    }
    const person = state.people.get(state.me);
    if (person) {
      const zone = zoneAt(mine.x, mine.y);
      if (zone !== person.zone) {
        person.zone = zone;
        renderZone();
      }
    }
  }

  if (mode !== "canvas") {
    setInterval(() => {
      if (state.me) sendPosition(performance.now());
    }, MOVE_INTERVAL);
    return;
  }

  const canvas = $("[data-canvas]");
  const context = canvas.getContext("2d");
  const KEYS = {
    ArrowLeft: "left", a: "left", A: "left",
    ArrowRight: "right", d: "right", D: "right",
    ArrowUp: "up", w: "up", W: "up",
    ArrowDown: "down", s: "down", S: "down",
  };
  canvas.addEventListener("keydown", (event) => {
    const direction = KEYS[event.key];
    if (!direction) return;
    event.preventDefault();
    walk.keys.add(direction);
    walk.target = null;
  });
  canvas.addEventListener("keyup", (event) => {
    const direction = KEYS[event.key];
    if (direction) walk.keys.delete(direction);
  });
  canvas.addEventListener("blur", () => walk.keys.clear());

  function tileOf(event) {
    const box = canvas.getBoundingClientRect();
    const x = Math.floor(((event.clientX - box.left) / box.width) * map.width);
    const y = Math.floor(((event.clientY - box.top) / box.height) * map.height);
    return { x: Math.max(0, Math.min(map.width - 1, x)), y: Math.max(0, Math.min(map.height - 1, y)) };
  }
  canvas.addEventListener("pointerdown", (event) => {
    if (!state.me) return;
    event.preventDefault();
    canvas.focus();
    walk.target = tileOf(event);
  });

  const ZONE_FILL = { stage: "#fde68a", audience: "#dbeafe", booth: "#dcfce7", lounge: "#fce7f3" };

  // The people drawn on the map, also as text (for screen readers), renewed once a second.
  const nearby = $("[data-nearby]");
  let nearbyAt = 0;
  function renderNearby(now, shown) {
    if (now - nearbyAt < 1000) return;
    nearbyAt = now;
    const items = shown.map(([id, person, position]) => {
      const item = document.createElement("li");
      item.dataset.id = id;
      item.dataset.x = String(position.x);
      item.dataset.y = String(position.y);
      item.textContent = `${describe(person)} (${position.x}, ${position.y})`;
      return item;
    });
    nearby.replaceChildren(...items);
  }

  function draw(now) {
    stepTowards(now);
    if (state.me) sendPosition(now);
    const scale = Math.min(canvas.width / map.width, canvas.height / map.height);
    context.fillStyle = "#f8fafc";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.font = `${Math.max(10, scale * 1.2)}px system-ui, sans-serif`;
    for (const zone of map.zones) {
      const [x, y, w, h] = zone.rect;
      context.fillStyle = ZONE_FILL[zone.kind] || "#e5e7eb";
      context.fillRect(x * scale, y * scale, w * scale, h * scale);
      context.fillStyle = "#1f2937";
      context.fillText(zone.name, x * scale + 4, y * scale + scale * 1.4);
    }
    context.fillStyle = "#475569";
    for (const [x, y, w, h] of map.walls) context.fillRect(x * scale, y * scale, w * scale, h * scale);
    const mine = state.me ? me() : null;
    // Positions outside the cells around one's own are no longer sent, so no longer drawn.
    const range = state.cell * 2;
    const shown = [];
    for (const [id, position] of state.positions) {
      const person = state.people.get(id);
      if (!person) continue;
      const far =
        mine && (Math.abs(position.x - mine.x) > range || Math.abs(position.y - mine.y) > range);
      if (id !== state.me && far) continue;
      drawAvatar(person, position, scale, id === state.me);
      shown.push([id, person, position]);
    }
    if (state.me) renderNearby(now, shown);
    requestAnimationFrame(draw);
  }

  function drawAvatar(person, position, scale, mine) {
    const cx = (position.x + 0.5) * scale;
    const cy = (position.y + 0.5) * scale;
    const r = Math.max(4, scale * 0.45);
    context.fillStyle = person.colour;
    context.beginPath();
    if (person.shape === "square") context.rect(cx - r, cy - r, r * 2, r * 2);
    else if (person.shape === "triangle") {
      context.moveTo(cx, cy - r);
      context.lineTo(cx + r, cy + r);
      context.lineTo(cx - r, cy + r);
      context.closePath();
    } else if (person.shape === "diamond") {
      context.moveTo(cx, cy - r);
      context.lineTo(cx + r, cy);
      context.lineTo(cx, cy + r);
      context.lineTo(cx - r, cy);
      context.closePath();
    } else context.arc(cx, cy, r, 0, Math.PI * 2);
    context.fill();
    if (mine) {
      context.strokeStyle = "#111827";
      context.lineWidth = 2;
      context.stroke();
    }
    context.fillStyle = "#111827";
    context.fillText(person.name, cx - r, cy - r - 2);
  }

  requestAnimationFrame(draw);
}
