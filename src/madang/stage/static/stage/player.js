// The stage player (stage/player.html): switches language tracks, the sound-only mode and the
// sign-language video in place (remembering the choice in this browser), shows live captions
// in the chosen language, the number of viewers and the countdown to the next session.
// Without JavaScript the same choices work through the form's query string.
//
// Text from the server (caption lines, labels) is always inserted with textContent.

import { readJson, storage } from "./page.js";

const STORAGE_PREFIX = "madang-stage:";
const { remember, recall } = storage(STORAGE_PREFIX);
const VISIBLE_LINES = 4;
const HLS_TYPE = "application/vnd.apple.mpegurl";

function playsHlsNatively() {
  const video = document.createElement("video");
  return Boolean(video.canPlayType && video.canPlayType(HLS_TYPE));
}

function element(tag, attributes = {}) {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) made.setAttribute(name, "");
    else if (value !== false && value !== undefined && value !== null) made.setAttribute(name, value);
  }
  return made;
}

function buildScreen(player, title, files, { muted = false } = {}) {
  if (!player || player.kind === "none") return null;
  if (player.kind === "youtube" || player.kind === "embed") {
    const frame = element("iframe", {
      class: "stage-frame",
      src: player.src,
      title,
      allow: "autoplay; encrypted-media; picture-in-picture; fullscreen",
      allowfullscreen: true,
      referrerpolicy: "strict-origin-when-cross-origin",
    });
    if (player.kind === "embed") {
      frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-presentation allow-popups");
    }
    return frame;
  }
  if (player.kind === "hls" || player.kind === "video") {
    const video = element("video", {
      class: "stage-video",
      controls: true,
      playsinline: true,
      preload: "none",
      src: player.src,
      "aria-label": title,
      "data-hls": player.kind === "hls",
      muted,
    });
    // The attribute only sets the default; the property mutes an element made by script.
    video.muted = muted;
    for (const file of files || []) {
      video.append(
        element("track", { kind: "captions", srclang: file.language, label: file.label, src: file.url }),
      );
    }
    return video;
  }
  if (player.kind === "audio") {
    return element("audio", { class: "stage-audio", controls: true, preload: "none", src: player.src, "aria-label": title });
  }
  const note = element("p", { class: "stage-no-embed" });
  const link = element("a", { href: player.url, rel: "noopener", target: "_blank" });
  link.textContent = player.url;
  note.append(link);
  return note;
}

class StagePlayer {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.labels = config.labels || {};
    this.screen = root.querySelector("[data-screen]");
    this.signBox = root.querySelector("[data-sign]");
    this.status = root.querySelector("[data-player-status]");
    this.form = root.querySelector("[data-stage-options]");
    this.linesBox = root.querySelector("[data-caption-lines]");
    this.languageSelect = root.querySelector("[data-caption-language]");
    this.captionsToggle = root.querySelector("[data-captions-toggle]");
    this.lines = [];
    this.shownIds = new Set();
    const params = new URLSearchParams(window.location.search);
    this.state = {
      track: params.has("track") ? Number(params.get("track")) : this.recalledTrack(),
      audio: params.has("audio") ? params.get("audio") === "1" : recall(`audio:${config.stage}`) === "1",
      sign: params.has("sign") ? params.get("sign") === "1" : recall(`sign:${config.stage}`) === "1",
    };
    const apply = this.form && this.form.querySelector("[data-apply]");
    if (apply) apply.hidden = true;
    if (this.form) {
      this.form.addEventListener("change", () => this.readForm());
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.readForm();
      });
    }
    const language = recall(`captions:${config.stage}`) || document.documentElement.lang || "";
    if (this.languageSelect) {
      if ([...this.languageSelect.options].some((option) => option.value === language)) {
        this.languageSelect.value = language;
      }
      this.languageSelect.addEventListener("change", () => {
        remember(`captions:${config.stage}`, this.languageSelect.value);
        this.renderLines(false);
      });
    }
    if (this.captionsToggle) {
      this.captionsToggle.checked = recall(`captions-on:${config.stage}`) !== "0";
      this.captionsToggle.addEventListener("change", () => {
        remember(`captions-on:${config.stage}`, this.captionsToggle.checked ? "1" : "0");
        this.linesBox.hidden = !this.captionsToggle.checked;
      });
      this.linesBox.hidden = !this.captionsToggle.checked;
    }
    this.syncForm();
    this.render();
    this.connect();
  }

  recalledTrack() {
    const stored = recall(`track:${this.config.stage}`);
    return stored === null ? null : Number(stored);
  }

  track() {
    const tracks = this.config.tracks || [];
    return tracks.find((track) => track.id === this.state.track) || tracks[0];
  }

  syncForm() {
    if (!this.form) return;
    const track = this.track();
    for (const radio of this.form.querySelectorAll('input[name="track"]')) {
      radio.checked = track && Number(radio.value) === track.id;
    }
    const audio = this.form.querySelector('input[name="audio"]');
    if (audio) audio.checked = this.state.audio;
    const sign = this.form.querySelector('input[name="sign"]');
    if (sign) sign.checked = this.state.sign;
  }

  readForm() {
    const chosen = this.form.querySelector('input[name="track"]:checked');
    if (chosen) this.state.track = Number(chosen.value);
    const audio = this.form.querySelector('input[name="audio"]');
    this.state.audio = Boolean(audio && audio.checked);
    const sign = this.form.querySelector('input[name="sign"]');
    this.state.sign = Boolean(sign && sign.checked);
    remember(`track:${this.config.stage}`, String(this.state.track ?? ""));
    remember(`audio:${this.config.stage}`, this.state.audio ? "1" : "0");
    remember(`sign:${this.config.stage}`, this.state.sign ? "1" : "0");
    const params = new URLSearchParams(window.location.search);
    params.set("track", String(this.track() ? this.track().id : ""));
    for (const name of ["audio", "sign"]) {
      if (this.state[name]) params.set(name, "1");
      else params.delete(name);
    }
    window.history.replaceState(null, "", `${window.location.pathname}?${params}`);
    this.render();
  }

  render() {
    const track = this.track();
    if (!track || !this.screen) return;
    this.root.dataset.track = String(track.id);
    let message = "";
    let built;
    if (this.state.audio && track.audio.kind !== "none") {
      built = buildScreen(track.audio, `${track.label} · ${this.labels.soundOnly || ""}`, []);
    } else {
      built = buildScreen(track.video.kind !== "none" ? track.video : track.audio, track.label, this.config.files);
      if (this.state.audio) message = this.labels.noAudio || "";
    }
    const previous = this.screen.firstElementChild;
    const same = previous && built && previous.tagName === built.tagName &&
      previous.getAttribute("src") === built.getAttribute("src");
    if (!same) {
      this.screen.replaceChildren(...(built ? [built] : []));
    }
    this.screen.classList.toggle("sound-only", this.state.audio);
    const video = this.screen.querySelector("video[data-hls]");
    if (video && !playsHlsNatively()) message = this.labels.noHls || "";
    if (this.status) this.status.textContent = message;
    this.renderSign();
  }

  renderSign() {
    if (!this.signBox) return;
    const sign = this.config.sign;
    const show = this.state.sign && sign && sign.kind !== "none";
    this.signBox.hidden = !show;
    this.root.querySelector(".stage-screens")?.classList.toggle("with-sign", Boolean(show));
    if (!show) {
      this.signBox.replaceChildren();
      return;
    }
    if (!this.signBox.firstElementChild) {
      const built = buildScreen(sign, this.labels.sign || "", [], { muted: true });
      if (built) this.signBox.replaceChildren(built);
    }
  }

  // Live captions and the viewer count ------------------------------------------------------

  async connect() {
    const pageConfig = readJson("madang-live") || {};
    const address = pageConfig.module || this.config.liveModule;
    if (!address) return;
    let live;
    try {
      live = await import(address);
    } catch {
      return;
    }
    this.live = live;
    live.subscribe(this.config.captionsTopic, {
      onSnapshot: (data) => {
        this.lines = Array.isArray(data && data.lines) ? [...data.lines] : [];
        this.renderLines(false);
      },
      onEvent: (type, data) => {
        if (type !== "caption.line" || !data || !data.line) return;
        this.lines = this.lines.filter((line) => line.id !== data.line.id);
        this.lines.push(data.line);
        this.lines.sort((a, b) => a.id - b.id);
        this.lines = this.lines.slice(-30);
        this.renderLines(true);
      },
    });
    const viewers = document.querySelector("[data-stage-viewers]");
    live.subscribe(this.config.viewersTopic, {
      onSnapshot: (data, meta) => {
        this.showCount(viewers, data && data.count);
        this.watch();
      },
      onEvent: (type, data) => {
        if (type === "viewers.counted") this.showCount(viewers, data && data.count);
      },
    });
    const renew = Math.max(5, Number(this.config.renewSeconds) || 20) * 1000;
    window.setInterval(() => this.watch(), renew);
    window.addEventListener("pagehide", () => {
      live.send("stage.unwatch", { stage: this.config.stage }).catch(() => {});
    });
  }

  watch() {
    if (!this.live) return;
    this.live
      .send("stage.watch", { stage: this.config.stage })
      .then((reply) => {
        const viewers = document.querySelector("[data-stage-viewers]");
        if (reply && Number.isInteger(reply.count)) this.showCount(viewers, reply.count);
      })
      .catch(() => {});
  }

  showCount(box, count) {
    if (!box || !Number.isInteger(count)) return;
    const number = box.querySelector("[data-count]");
    if (number) number.textContent = String(count);
    box.hidden = false;
  }

  renderLines(onlyNew) {
    if (!this.linesBox) return;
    const language = this.languageSelect ? this.languageSelect.value : "";
    const chosen = this.lines.filter((line) => !language || line.language === language).slice(-VISIBLE_LINES);
    if (!onlyNew) {
      // A new language or a snapshot: redraw without announcing the old lines again.
      this.linesBox.setAttribute("aria-live", "off");
      this.linesBox.replaceChildren();
      this.shownIds = new Set();
    }
    if (!onlyNew && chosen.length === 0) {
      const empty = element("p", { class: "caption-empty" });
      empty.textContent = this.labels.noCaptions || "";
      this.linesBox.append(empty);
    }
    if (chosen.length > 0) this.linesBox.querySelector(".caption-empty")?.remove();
    for (const line of chosen) {
      if (this.shownIds.has(line.id)) continue;
      const paragraph = element("p", { class: "caption-line", lang: line.language, "data-line": String(line.id) });
      paragraph.textContent = line.text;
      this.linesBox.append(paragraph);
      this.shownIds.add(line.id);
    }
    while (this.linesBox.children.length > VISIBLE_LINES) {
      this.linesBox.firstElementChild.remove();
    }
    if (!onlyNew) {
      window.setTimeout(() => this.linesBox.setAttribute("aria-live", "polite"), 0);
    }
  }
}

function formatDuration(seconds) {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const two = (value) => String(value).padStart(2, "0");
  return hours > 0 ? `${hours}:${two(minutes)}:${two(rest)}` : `${minutes}:${two(rest)}`;
}

function startCountdowns(labels) {
  for (const box of document.querySelectorAll("[data-countdown]")) {
    const target = Date.parse(box.dataset.countdown);
    if (Number.isNaN(target)) continue;
    const tick = () => {
      const left = Math.round((target - Date.now()) / 1000);
      if (left <= 0) {
        box.textContent = labels.startingNow || "";
        return false;
      }
      box.textContent = (labels.startsIn || "%(time)s").replace("%(time)s", formatDuration(left));
      return true;
    };
    if (tick()) {
      const timer = window.setInterval(() => {
        if (!tick()) window.clearInterval(timer);
      }, 1000);
    }
  }
}

let labels = {};
for (const root of document.querySelectorAll("[data-stage-player]")) {
  if (root.dataset.ready) continue;
  root.dataset.ready = "1";
  const config = readJson(root.dataset.stagePlayer);
  if (!config) continue;
  labels = config.labels || labels;
  new StagePlayer(root, config);
}
startCountdowns(labels);
