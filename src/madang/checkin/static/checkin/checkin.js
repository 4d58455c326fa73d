// Check-in at one entrance: scans are queued on the device (localStorage) with a random nonce,
// sent to the sync endpoint in batches, and kept until the server has answered each one, so the
// page keeps working offline and a scan sent twice is still counted once (the server keys scans
// by nonce). Live counts are polled every few seconds while online.
const config = JSON.parse(document.getElementById("checkin-config").textContent);
const text = JSON.parse(document.getElementById("checkin-text").textContent);
const QUEUE_KEY = `madang-checkin-queue:${config.slug}`;
const FEEDBACK_KEY = "madang-checkin-feedback";
const POLL_MS = 5000;
const RETRY_MS = 5000;
const SAME_CODE_MS = 3000;
const LOG_LENGTH = 20;

const panel = document.getElementById("checkin-result");
const form = document.getElementById("checkin-form");
const input = document.getElementById("checkin-code");
const queueLabel = document.getElementById("checkin-queue");
const onlineLabel = document.getElementById("checkin-online");
const log = document.getElementById("checkin-log");
const feedback = document.getElementById("checkin-feedback");

let syncing = false;
let lastTried = 0;

// --- the queue ------------------------------------------------------------------------------

function readQueue() {
  try {
    const stored = JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]");
    return Array.isArray(stored) ? stored : [];
  } catch {
    return [];
  }
}

function writeQueue(queue) {
  localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
  queueLabel.textContent = text.queue.replace("{count}", String(queue.length));
  queueLabel.dataset.count = String(queue.length);
}

function newNonce() {
  if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // Pages served over plain HTTP have no randomUUID; build a version-4 UUID by hand.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function timeOf(iso) {
  return new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined, {
    hour: "2-digit",
    minute: "2-digit",
  });
}

// --- showing results ------------------------------------------------------------------------

function show(result) {
  panel.dataset.tone = result.tone;
  panel.dataset.result = result.result || "";
  panel.querySelector(".checkin-result-title").textContent = result.title || "";
  const name = [result.name, result.category].filter(Boolean).join(" · ");
  const nameLine = panel.querySelector(".checkin-result-name");
  nameLine.textContent = name;
  nameLine.dir = "auto";
  panel.querySelector(".checkin-result-detail").textContent = result.detail || "";
  signal(result.tone);
}

function addToLog(result, later) {
  const item = document.createElement("li");
  item.dataset.tone = result.tone;
  item.dataset.result = result.result || "";
  const title = document.createElement("strong");
  title.textContent = result.title || "";
  item.append(title);
  if (result.name) {
    const name = document.createElement("bdi");
    name.textContent = ` ${result.name}`;
    item.append(name);
  }
  const detail = document.createElement("span");
  detail.textContent = ` ${result.detail || ""}${later ? ` (${text.sentLater})` : ""}`;
  item.append(detail);
  log.prepend(item);
  while (log.children.length > LOG_LENGTH) log.lastElementChild.remove();
}

function signal(tone) {
  if (!feedback.checked || tone === "idle" || tone === "queued") return;
  if (navigator.vibrate) navigator.vibrate(tone === "ok" ? 80 : [120, 80, 120]);
  try {
    const audio = new AudioContext();
    const tones = tone === "ok" ? [880] : tone === "warn" ? [440, 440] : [220, 220, 220];
    tones.forEach((frequency, index) => {
      const oscillator = audio.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(audio.destination);
      oscillator.start(audio.currentTime + index * 0.18);
      oscillator.stop(audio.currentTime + index * 0.18 + 0.12);
    });
  } catch {
    // No audio on this device: the panel and vibration still say it.
  }
}

function setOnline(online) {
  onlineLabel.dataset.state = online ? "online" : "offline";
  onlineLabel.textContent = online ? text.online : text.offline;
}

// --- scanning and sending -------------------------------------------------------------------

function scan(code) {
  const clean = code.trim();
  if (!clean) {
    show({ tone: "bad", title: text.empty, detail: "" });
    return;
  }
  const queue = readQueue();
  const earlier = queue.find((item) => item.code === clean && item.entrance === config.entrance);
  const item = {
    nonce: newNonce(),
    entrance: config.entrance,
    code: clean,
    scanned_at: new Date().toISOString(),
  };
  queue.push(item);
  writeQueue(queue);
  if (navigator.onLine) {
    show({ tone: "queued", title: text.sending, detail: "" });
  } else {
    const detail = earlier ? text.queuedAgain.replace("{time}", timeOf(earlier.scanned_at)) : text.queuedDetail;
    show({ tone: "queued", title: text.queuedTitle, detail });
  }
  sync();
}

async function sync() {
  if (syncing) return;
  const queue = readQueue();
  if (queue.length === 0) return;
  syncing = true;
  lastTried = Date.now();
  const batch = queue.slice(0, config.batch);
  let answer = null;
  try {
    const response = await fetch(config.syncUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrfToken },
      body: JSON.stringify({ scans: batch }),
    });
    answer = { status: response.status, body: await response.json().catch(() => ({})) };
  } catch {
    answer = null;
  }
  syncing = false;
  if (answer === null) {
    setOnline(false);
    return;
  }
  setOnline(true);
  if (answer.status !== 200) {
    // Signed out, not allowed, too many or a server error: keep the scans and say why.
    show({ tone: "bad", title: answer.body.error || text.syncFailed, detail: "" });
    return;
  }
  const results = Array.isArray(answer.body.results) ? answer.body.results : [];
  const done = new Set(results.filter((r) => !r.retry).map((r) => r.nonce));
  writeQueue(readQueue().filter((item) => !done.has(item.nonce)));
  const sentAt = Date.now();
  results.forEach((result) => {
    const item = batch.find((b) => b.nonce === result.nonce);
    const later = item ? sentAt - Date.parse(item.scanned_at) > 10000 : false;
    addToLog(result, later);
  });
  if (results.length) show(results[results.length - 1]);
  poll();
  if (readQueue().length && done.size) sync();
}

// --- live counts ----------------------------------------------------------------------------

function fillRows(body, rows, cells) {
  body.replaceChildren(
    ...rows.map((row) => {
      const line = document.createElement("tr");
      const head = document.createElement("th");
      head.scope = "row";
      const values = cells(row);
      head.textContent = values[0];
      line.append(head);
      values.slice(1).forEach((value) => {
        const cell = document.createElement("td");
        cell.textContent = value === null || value === undefined ? "—" : String(value);
        line.append(cell);
      });
      if (row.direction) line.dataset.entrance = String(row.id);
      return line;
    }),
  );
}

async function poll() {
  if (!navigator.onLine) return;
  try {
    const response = await fetch(config.countsUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    const counts = await response.json();
    fillRows(document.getElementById("checkin-halls"), counts.halls, (h) => [h.name, h.inside, h.capacity]);
    fillRows(document.getElementById("checkin-entrances"), counts.entrances, (e) => [
      `${e.hall} · ${e.name}`, e.accepted, e.repeats, e.refused,
    ]);
  } catch {
    // Offline: the counts stay as they were and the next poll tries again.
  }
}

// --- the camera -----------------------------------------------------------------------------

async function setUpCamera() {
  const status = document.getElementById("checkin-camera-status");
  const toggle = document.getElementById("checkin-camera-toggle");
  const video = document.getElementById("checkin-video");
  let formats = [];
  if ("BarcodeDetector" in window) {
    try {
      formats = await window.BarcodeDetector.getSupportedFormats();
    } catch {
      formats = [];
    }
  }
  if (!formats.includes("qr_code") || !navigator.mediaDevices) {
    status.textContent = text.cameraUnsupported;
    status.dataset.state = "unsupported";
    return;
  }
  status.textContent = text.cameraReady;
  status.dataset.state = "ready";
  toggle.hidden = false;
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  let stream = null;
  let lastCode = "";
  let lastSeen = 0;

  async function look() {
    if (!stream) return;
    try {
      const found = await detector.detect(video);
      const code = found.length ? found[0].rawValue : "";
      const now = Date.now();
      if (code && (code !== lastCode || now - lastSeen > SAME_CODE_MS)) {
        lastCode = code;
        lastSeen = now;
        scan(code);
      }
    } catch {
      // A frame that could not be read; try the next one.
    }
    setTimeout(look, 200);
  }

  toggle.addEventListener("click", async () => {
    if (stream) {
      stream.getTracks().forEach((track) => track.stop());
      stream = null;
      video.hidden = true;
      toggle.textContent = text.cameraStart;
      status.textContent = text.cameraReady;
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch {
      status.textContent = text.cameraDenied;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    toggle.textContent = text.cameraStop;
    status.textContent = text.cameraOn;
    look();
  });
}

// --- start ----------------------------------------------------------------------------------

form.addEventListener("submit", (event) => {
  event.preventDefault();
  scan(input.value);
  input.value = "";
  input.focus();
});
feedback.checked = localStorage.getItem(FEEDBACK_KEY) === "1";
feedback.addEventListener("change", () => localStorage.setItem(FEEDBACK_KEY, feedback.checked ? "1" : "0"));
window.addEventListener("online", () => {
  setOnline(true);
  sync();
});
window.addEventListener("offline", () => setOnline(false));
setInterval(() => {
  if (Date.now() - lastTried >= RETRY_MS) sync();
}, RETRY_MS);
setInterval(poll, POLL_MS);
setOnline(navigator.onLine);
writeQueue(readQueue());
setUpCamera();
if (config.pending) {
  // A code sent before this script ran posted the form to the page: scan it now, and keep a
  // reload from posting it again.
  history.replaceState(null, "", location.href);
  scan(config.pending);
} else {
  sync();
}
form.dataset.ready = "true";
