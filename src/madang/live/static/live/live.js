// The browser client of the live protocol (docs/realtime.md): one websocket per page, shared
// by every part of the page that follows a topic or sends a command.
//
//   const live = await import(config.module);   // always the address from the page's config
//   const follow = live.subscribe("announcements.sscw-2030", {
//     onSnapshot(data, meta) { ... },            // the topic's whole state
//     onEvent(type, data, meta) { ... },         // one change, in order, never twice
//     onError(error) { ... },                    // the server refused the subscription
//   });
//   follow.unsubscribe();
//   const reply = await live.send("announcements.post", {edition: "sscw-2030", en: "..."});
//
// The module keeps, per topic, the epoch and the last sequence number applied. After a dropped
// connection it reconnects with jittered, doubling delays and resubscribes with `since` and
// `epoch`, so the server sends exactly the missed events, or a fresh snapshot. Without
// websockets (an old browser, a proxy that refuses them) nothing happens and the page works.
//
// Load it only from the address in the page's config (`{% static 'live/live.js' %}`): one
// address is one module instance, and so one socket per page.

const CONFIG_ID = "madang-live";
const BACKOFF_INITIAL = 200; // ms
const BACKOFF_MAX = 5000;
// A connection that stayed up this long starts the next backoff from the beginning.
const STABLE_AFTER = 10000;
// A page whose socket never opened slows down to this after a few attempts: the site may serve
// no websockets at all, and every attempt costs the server a request.
const NEVER_OPENED_DELAY = 30000;
const NEVER_OPENED_ATTEMPTS = 6;
const SEND_TIMEOUT = 10000;
const MAX_REF = 2 ** 31;

function readConfig() {
  const element = document.getElementById(CONFIG_ID);
  if (!element) return {};
  try {
    return JSON.parse(element.textContent || "{}") || {};
  } catch {
    return {};
  }
}

function socketUrl(configured) {
  const language = document.documentElement.lang || "";
  let url;
  try {
    if (configured) {
      url = new URL(configured, window.location.href);
      if (url.protocol === "http:") url.protocol = "ws:";
      if (url.protocol === "https:") url.protocol = "wss:";
    } else {
      url = new URL("/ws/", window.location.href);
      url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
    }
  } catch {
    return "";
  }
  if (language && !url.searchParams.has("lang")) url.searchParams.set("lang", language);
  return url.href;
}

export class LiveError extends Error {
  constructor(code, message, detail) {
    super(message || code);
    this.name = "LiveError";
    this.code = code;
    this.detail = detail || "";
  }
}

class Topic {
  constructor(name) {
    this.name = name;
    this.epoch = null;
    this.seq = null;
    this.ready = false;
    this.listeners = new Set();
    this.data = undefined; // the last snapshot (handed to listeners that join later)
  }
}

export class LiveConnection {
  constructor(url) {
    this.url = url;
    this.socket = null;
    this.open = false; // welcomed by the server
    this.everOpened = false;
    this.attempts = 0;
    this.delay = BACKOFF_INITIAL;
    this.topics = new Map();
    this.pending = new Map(); // ref -> {resolve, reject, timer, topic}
    this.waiting = new Set(); // sends waiting for the connection
    this.nextRef = 1;
    this.timeout = 50; // seconds of silence before the socket is given up (from welcome)
    this.silenceTimer = null;
    this.retryTimer = null;
    this.statusListeners = new Set();
    this.frameListeners = new Map(); // frame type -> listeners (an app's own server frames)
    this.authenticated = false;
    this.stopped = false;
    this.connectedAt = 0;
    if (typeof window !== "undefined") {
      window.addEventListener("online", () => this.retryNow());
      window.addEventListener("pagehide", (event) => {
        if (!event.persisted) this.stop();
      });
    }
  }

  get supported() {
    return typeof WebSocket !== "undefined" && Boolean(this.url);
  }

  // Listeners of the connection's state: "connecting", "open", "closed".
  // A listener added once the connection is open (a module that loaded after another one's
  // socket was welcomed) hears "open" at once, after its caller's own set-up has run.
  onStatus(listener) {
    this.statusListeners.add(listener);
    if (this.open) {
      queueMicrotask(() => {
        if (!this.open || !this.statusListeners.has(listener)) return;
        try {
          listener("open");
        } catch (error) {
          console.error(error);
        }
      });
    }
    return () => this.statusListeners.delete(listener);
  }

  // Listeners of an app's own server frames, such as "venue.tick".
  onFrame(type, listener) {
    if (!this.frameListeners.has(type)) this.frameListeners.set(type, new Set());
    this.frameListeners.get(type).add(listener);
    return () => this.frameListeners.get(type).delete(listener);
  }

  emitStatus(status) {
    for (const listener of this.statusListeners) {
      try {
        listener(status);
      } catch (error) {
        console.error(error);
      }
    }
  }

  subscribe(name, handlers = {}) {
    let topic = this.topics.get(name);
    const listener = { ...handlers };
    if (!topic) {
      topic = new Topic(name);
      this.topics.set(name, topic);
      topic.listeners.add(listener);
      if (this.open) this.sendSubscribe(topic);
      else this.connect();
    } else {
      topic.listeners.add(listener);
      if (topic.data !== undefined) call(listener.onSnapshot, topic.data, meta(topic));
    }
    return {
      unsubscribe: () => {
        topic.listeners.delete(listener);
        if (topic.listeners.size === 0 && this.topics.get(name) === topic) {
          this.topics.delete(name);
          if (this.open) this.write("live.unsubscribe", { topic: name });
        }
      },
    };
  }

  // Send a command; resolves with the reply's data, rejects with a LiveError.
  send(type, payload = {}, { timeout = SEND_TIMEOUT } = {}) {
    return new Promise((resolve, reject) => {
      if (!this.supported) {
        reject(new LiveError("unavailable", "Live updates are not available."));
        return;
      }
      const started = Date.now();
      const attempt = () => {
        this.waiting.delete(attempt);
        const left = timeout - (Date.now() - started);
        if (left <= 0) {
          reject(new LiveError("timeout", "No answer from the server."));
          return;
        }
        if (!this.open) {
          this.waiting.add(attempt);
          this.connect();
          setTimeout(() => {
            if (this.waiting.delete(attempt)) {
              reject(new LiveError("timeout", "No answer from the server."));
            }
          }, left);
          return;
        }
        const ref = this.takeRef();
        const timer = setTimeout(() => {
          if (this.pending.delete(ref)) reject(new LiveError("timeout", "No answer from the server."));
        }, left);
        this.pending.set(ref, { resolve, reject, timer });
        this.write(type, { ...payload, ref });
      };
      attempt();
    });
  }

  takeRef() {
    const ref = this.nextRef;
    this.nextRef = this.nextRef + 1 >= MAX_REF ? 1 : this.nextRef + 1;
    return ref;
  }

  connect() {
    if (this.stopped || !this.supported || this.socket || this.retryTimer) return;
    let socket;
    this.attempts += 1;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    this.emitStatus("connecting");
    socket.addEventListener("message", (event) => this.receive(socket, event.data));
    socket.addEventListener("close", (event) => this.closed(socket, event.code));
    // An "error" is always followed by "close", which does the work.
    socket.addEventListener("error", () => {});
  }

  retryNow() {
    if (this.stopped || this.socket) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.delay = BACKOFF_INITIAL;
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close(1000);
  }

  write(type, payload) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify([type, payload]));
    return true;
  }

  sendSubscribe(topic) {
    const payload = { topic: topic.name };
    if (topic.epoch !== null && topic.seq !== null) {
      payload.epoch = topic.epoch;
      payload.since = topic.seq;
    }
    const ref = this.takeRef();
    this.pending.set(ref, { topic: topic.name });
    topic.ready = false;
    this.write("live.subscribe", { ...payload, ref });
  }

  heard() {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    // A half-open connection (a sleeping laptop, a dropped network) shows as silence.
    this.silenceTimer = setTimeout(() => {
      if (this.socket) this.socket.close(4000);
    }, this.timeout * 1000);
  }

  receive(socket, text) {
    if (socket !== this.socket) return;
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!Array.isArray(frame) || frame.length !== 2 || typeof frame[1] !== "object") return;
    const [type, payload] = frame;
    this.heard();
    switch (type) {
      case "live.welcome":
        this.welcomed(payload);
        break;
      case "live.ping":
        this.write("live.pong", typeof payload.t === "number" ? { t: payload.t } : {});
        break;
      case "live.snapshot":
        this.snapshot(payload);
        break;
      case "live.event":
        this.event(payload);
        break;
      case "live.subscribed":
        this.subscribed(payload);
        break;
      case "live.ok":
      case "live.error":
        this.reply(type, payload);
        break;
      default:
        for (const listener of [...(this.frameListeners.get(type) || [])]) call(listener, payload);
        break;
    }
  }

  welcomed(payload) {
    this.open = true;
    this.everOpened = true;
    this.attempts = 0;
    this.connectedAt = Date.now();
    this.authenticated = Boolean(payload.authenticated);
    if (typeof payload.timeout === "number" && payload.timeout > 0) this.timeout = payload.timeout;
    this.heard();
    for (const topic of this.topics.values()) this.sendSubscribe(topic);
    for (const waiting of [...this.waiting]) waiting();
    this.emitStatus("open");
  }

  snapshot(payload) {
    const topic = this.topics.get(payload.topic);
    if (!topic) return;
    topic.epoch = payload.epoch;
    topic.seq = payload.seq;
    topic.data = payload.data;
    for (const listener of [...topic.listeners]) {
      call(listener.onSnapshot, payload.data, meta(topic));
    }
  }

  event(payload) {
    const topic = this.topics.get(payload.topic);
    if (!topic) return;
    const seq = Number(payload.seq);
    if (topic.epoch === payload.epoch && topic.seq !== null && seq <= topic.seq) return;
    topic.epoch = payload.epoch;
    topic.seq = seq;
    for (const listener of [...topic.listeners]) {
      call(listener.onEvent, payload.type, payload.data, meta(topic));
    }
  }

  subscribed(payload) {
    if (typeof payload.ref === "number") this.pending.delete(payload.ref);
    const topic = this.topics.get(payload.topic);
    if (!topic) return;
    topic.epoch = payload.epoch;
    topic.seq = payload.seq;
    topic.ready = true;
  }

  reply(type, payload) {
    const entry = typeof payload.ref === "number" ? this.pending.get(payload.ref) : undefined;
    if (!entry) return; // an error about no frame of ours in particular (a rate limit)
    this.pending.delete(payload.ref);
    if (entry.topic !== undefined) {
      // A refused subscription: tell its listeners; it is tried again on the next connection.
      const topic = this.topics.get(entry.topic);
      const error = new LiveError(payload.code, payload.message, payload.detail);
      if (topic) for (const listener of [...topic.listeners]) call(listener.onError, error);
      return;
    }
    clearTimeout(entry.timer);
    if (type === "live.ok") entry.resolve(payload.data || {});
    else entry.reject(new LiveError(payload.code, payload.message, payload.detail));
  }

  closed(socket, code) {
    if (socket !== this.socket) return;
    const wasOpen = this.open;
    this.socket = null;
    this.open = false;
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
    for (const [ref, entry] of this.pending) {
      this.pending.delete(ref);
      if (entry.reject) {
        clearTimeout(entry.timer);
        entry.reject(new LiveError("disconnected", "The connection was lost."));
      }
    }
    for (const topic of this.topics.values()) topic.ready = false;
    this.emitStatus("closed");
    if (this.stopped) return;
    if (wasOpen && Date.now() - this.connectedAt > STABLE_AFTER) this.delay = BACKOFF_INITIAL;
    // Refused for flooding or too many windows: waiting longer is the only help.
    if (code === 1008 || code === 4429) this.delay = BACKOFF_MAX;
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (this.stopped || this.retryTimer) return;
    let delay = this.delay * (0.5 + Math.random() / 2);
    if (!this.everOpened && this.attempts >= NEVER_OPENED_ATTEMPTS) {
      delay = NEVER_OPENED_DELAY * (0.5 + Math.random() / 2);
    }
    this.delay = Math.min(BACKOFF_MAX, this.delay * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }
}

function meta(topic) {
  return { topic: topic.name, epoch: topic.epoch, seq: topic.seq };
}

function call(callback, ...args) {
  if (typeof callback !== "function") return;
  try {
    callback(...args);
  } catch (error) {
    console.error(error);
  }
}

let shared = null;

// The page's one connection, made on first use.
export function connection() {
  if (!shared) shared = new LiveConnection(socketUrl(readConfig().url));
  return shared;
}

export function subscribe(topic, handlers) {
  return connection().subscribe(topic, handlers);
}

export function send(type, payload, options) {
  return connection().send(type, payload, options);
}

export function onStatus(listener) {
  return connection().onStatus(listener);
}

export function onFrame(type, listener) {
  return connection().onFrame(type, listener);
}

export { readConfig as config };
