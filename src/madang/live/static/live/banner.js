// The announcements banner of an edition's pages: the organisers' current notices, in the
// page's language, in a polite live region at the top of the main content. Nothing about them
// is in the (cached, shared) page: they arrive over the websocket (live.js). A dismissed notice
// stays hidden in this tab. Without websockets the banner simply never appears.

const CONFIG_ID = "madang-live";
const REGION_ID = "live-announcements";
const MAX_DISMISSED = 50;

function readConfig() {
  const element = document.getElementById(CONFIG_ID);
  if (!element) return null;
  try {
    return JSON.parse(element.textContent || "null");
  } catch {
    return null;
  }
}

class Banner {
  constructor(config) {
    this.topic = config.topic;
    this.labels = config.labels || {};
    this.language = (document.documentElement.lang || "en").slice(0, 2);
    this.storageKey = `madang-live-dismissed:${this.topic}`;
    this.dismissed = this.loadDismissed();
    this.announcements = [];
    this.items = new Map(); // id -> <li>
    // The live region exists before anything is put in it, so screen readers announce additions.
    this.region = document.createElement("div");
    this.region.id = REGION_ID;
    this.region.className = "live-announcements";
    this.region.setAttribute("aria-live", "polite");
    this.section = null;
    this.list = null;
    const host = document.querySelector("main .wrap") || document.querySelector("main");
    (host || document.body).prepend(this.region);
  }

  loadDismissed() {
    try {
      const stored = JSON.parse(window.sessionStorage.getItem(this.storageKey) || "[]");
      return new Set(Array.isArray(stored) ? stored.filter(Number.isInteger) : []);
    } catch {
      return new Set();
    }
  }

  saveDismissed() {
    try {
      const kept = [...this.dismissed].slice(-MAX_DISMISSED);
      window.sessionStorage.setItem(this.storageKey, JSON.stringify(kept));
    } catch {
      // Storage may be full or refused (private windows): dismissal then lasts for this page.
    }
  }

  snapshot(data) {
    this.announcements = Array.isArray(data && data.announcements) ? [...data.announcements] : [];
    this.render();
  }

  event(type, data) {
    if (type === "announcement.posted" && data && data.announcement) {
      const posted = data.announcement;
      this.announcements = this.announcements.filter((a) => a.id !== posted.id);
      this.announcements.push(posted);
    } else if (type === "announcement.withdrawn" && data) {
      this.announcements = this.announcements.filter((a) => a.id !== data.id);
    } else {
      return;
    }
    this.render();
  }

  textOf(announcement) {
    const text = announcement.text || {};
    const other = this.language === "ko" ? "en" : "ko";
    if (text[this.language]) return [text[this.language], this.language];
    if (text[other]) return [text[other], other];
    return ["", this.language];
  }

  visible() {
    return this.announcements
      .filter((a) => Number.isInteger(a.id) && !this.dismissed.has(a.id) && this.textOf(a)[0])
      .sort((a, b) => {
        const when = String(b.posted_at || "").localeCompare(String(a.posted_at || ""));
        return when || b.id - a.id;
      });
  }

  render() {
    const shown = this.visible();
    const wanted = new Set(shown.map((a) => a.id));
    for (const [id, item] of this.items) {
      if (!wanted.has(id)) {
        item.remove();
        this.items.delete(id);
      }
    }
    if (shown.length === 0) {
      if (this.section) this.section.remove();
      this.section = null;
      this.list = null;
      return;
    }
    if (!this.section) this.buildSection();
    // Newest first; items already shown are kept (and so not announced again).
    let previous = null;
    for (const announcement of shown) {
      let item = this.items.get(announcement.id);
      if (!item) {
        item = this.buildItem(announcement);
        this.items.set(announcement.id, item);
      }
      const expected = previous ? previous.nextSibling : this.list.firstChild;
      if (expected !== item) this.list.insertBefore(item, expected);
      previous = item;
    }
  }

  buildSection() {
    this.section = document.createElement("section");
    this.section.className = "live-banner";
    this.section.setAttribute("aria-label", this.labels.region || "Announcements");
    this.list = document.createElement("ul");
    this.list.className = "live-banner-list";
    this.section.append(this.list);
    this.region.append(this.section);
  }

  buildItem(announcement) {
    const [text, language] = this.textOf(announcement);
    const item = document.createElement("li");
    item.className = "live-announcement";
    item.dataset.id = String(announcement.id);
    const paragraph = document.createElement("p");
    paragraph.className = "live-announcement-text";
    paragraph.id = `live-announcement-${announcement.id}`;
    if (language !== this.language) paragraph.lang = language;
    paragraph.textContent = text; // what people wrote: text, never HTML
    const button = document.createElement("button");
    button.type = "button";
    button.className = "live-dismiss";
    button.textContent = this.labels.dismiss || "Dismiss";
    button.setAttribute("aria-describedby", paragraph.id);
    button.addEventListener("click", () => this.dismiss(announcement.id));
    item.append(paragraph, button);
    return item;
  }

  dismiss(id) {
    const item = this.items.get(id);
    const next = item && (item.nextElementSibling || item.previousElementSibling);
    const hadFocus = item && item.contains(document.activeElement);
    this.dismissed.add(id);
    this.saveDismissed();
    this.render();
    if (!hadFocus) return;
    // Keep keyboard users in place: the next notice's button, else the main content.
    const button = next && next.isConnected ? next.querySelector("button") : null;
    const main = document.getElementById("main");
    if (button) button.focus();
    else if (main) main.focus();
  }
}

async function start() {
  const config = readConfig();
  if (!config || !config.topic || !config.module) return;
  if (typeof WebSocket === "undefined") return;
  if (config.stylesheet && !document.querySelector(`link[href="${CSS.escape(config.stylesheet)}"]`)) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = config.stylesheet;
    document.head.append(link);
  }
  const banner = new Banner(config);
  let live;
  try {
    live = await import(config.module);
  } catch {
    return; // the page works without its live parts
  }
  live.subscribe(config.topic, {
    onSnapshot: (data) => banner.snapshot(data),
    onEvent: (type, data) => banner.event(type, data),
  });
}

start();
