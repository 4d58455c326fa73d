// The chat panel (stage/chat/_panel.html) and the reactions bar (stage/chat/_reactions.html).
//
// Both follow their topic over the page's one live connection (live/live.js). Text from the
// server is always inserted with textContent, never as HTML. New messages from others are read
// out through a polite live region, one message at a time; the "Read out new messages" box
// pauses that (remembered in this browser). Reactions are sent as clicks and shown as totals
// pushed by the server at most once a second.

import { readJson, storage } from "./page.js";

const STORAGE_PREFIX = "madang-chat:";
const { remember, recall } = storage(STORAGE_PREFIX);
const KEEP = 50;

function fill(template, values) {
  return String(template || "").replace(/%\((\w+)\)s/g, (_match, name) => String(values[name] ?? ""));
}

async function liveModule(address) {
  const pageConfig = readJson("madang-live") || {};
  const chosen = pageConfig.module || address;
  if (!chosen) return null;
  try {
    return await import(chosen);
  } catch {
    return null;
  }
}

class ChatPanel {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.labels = config.labels || {};
    this.list = root.querySelector("[data-chat-messages]");
    this.announcer = root.querySelector("[data-chat-announcer]");
    this.notice = root.querySelector("[data-chat-notice]");
    this.stateLine = root.querySelector("[data-chat-state]");
    this.form = root.querySelector("[data-chat-form]");
    this.error = root.querySelector("[data-chat-error]");
    this.announce = root.querySelector("[data-chat-announce]");
    this.messages = [];
    this.mine = new Set();
    if (this.announce) {
      this.announce.checked = recall("announce") !== "0";
      this.announce.addEventListener("change", () => {
        remember("announce", this.announce.checked ? "1" : "0");
        if (!this.announce.checked && this.announcer) this.announcer.replaceChildren();
      });
    }
    if (this.form) this.form.addEventListener("submit", (event) => this.submit(event));
    this.list.addEventListener("click", (event) => this.clicked(event));
    this.connect();
  }

  async connect() {
    this.live = await liveModule(this.config.liveModule);
    if (!this.live) return;
    this.live.subscribe(this.config.topic, {
      onSnapshot: (data) => {
        this.messages = Array.isArray(data && data.messages) ? [...data.messages] : [];
        this.showState(data);
        this.list.replaceChildren();
        this.render(null);
      },
      onEvent: (type, data) => this.event(type, data),
    });
  }

  event(type, data) {
    if (!data) return;
    if (type === "chat.posted" && data.message) {
      this.messages = this.messages.filter((known) => known.id !== data.message.id);
      this.messages.push(data.message);
      this.messages.sort((a, b) => a.id - b.id);
      this.messages = this.messages.slice(-KEEP);
      this.render(data.message);
    } else if (type === "chat.removed") {
      this.messages = this.messages.filter((known) => known.id !== data.id);
      if (data.oldest && !this.messages.some((known) => known.id === data.oldest.id)) {
        this.messages.push(data.oldest);
        this.messages.sort((a, b) => a.id - b.id);
      }
      this.messages = this.messages.slice(-KEEP);
      this.render(null);
    } else if (type === "chat.settings") {
      this.showState(data);
    }
  }

  showState(data) {
    if (!this.stateLine || !data) return;
    if (data.open === false) this.stateLine.textContent = this.labels.closed || "";
    else if (data.slow) this.stateLine.textContent = fill(this.labels.slow, { seconds: data.slow });
    else this.stateLine.textContent = "";
  }

  isMine(message) {
    return this.mine.has(message.id) || (Boolean(this.config.myTag) && message.tag === this.config.myTag);
  }

  authorOf(message) {
    return message.author || fill(this.labels.participant, { tag: message.tag });
  }

  item(message) {
    const item = document.createElement("li");
    item.className = "chat-message";
    item.dataset.message = String(message.id);
    const author = document.createElement("span");
    author.className = "chat-author";
    author.textContent = this.authorOf(message);
    const text = document.createElement("span");
    text.className = "chat-text";
    text.dir = "auto";
    text.textContent = message.text;
    item.append(author, " ", text);
    const name = this.authorOf(message);
    if (this.config.signedIn && !this.isMine(message)) {
      const report = document.createElement("button");
      report.type = "button";
      report.className = "chat-action";
      report.dataset.report = String(message.id);
      report.textContent = this.labels.report || "Report";
      report.setAttribute("aria-label", fill(this.labels.reportOf, { name }));
      item.append(" ", report);
    }
    if (this.config.canModerate) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chat-action";
      remove.dataset.delete = String(message.id);
      remove.textContent = this.labels.delete || "Delete";
      remove.setAttribute("aria-label", fill(this.labels.deleteOf, { name }));
      item.append(" ", remove);
    }
    return item;
  }

  render(added) {
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    const wanted = new Set(this.messages.map((message) => String(message.id)));
    for (const node of [...this.list.children]) {
      if (!wanted.has(node.dataset.message || "")) node.remove();
    }
    const present = new Set([...this.list.children].map((node) => node.dataset.message));
    let previous = null;
    for (const message of this.messages) {
      const key = String(message.id);
      let node = present.has(key) ? this.list.querySelector(`[data-message="${key}"]`) : null;
      if (!node) {
        node = this.item(message);
        if (previous) previous.after(node);
        else this.list.prepend(node);
      }
      previous = node;
    }
    if (this.messages.length === 0) {
      const empty = document.createElement("li");
      empty.className = "chat-empty";
      empty.textContent = this.labels.empty || "";
      this.list.replaceChildren(empty);
    }
    if (atBottom || added) this.list.scrollTop = this.list.scrollHeight;
    if (added && !this.isMine(added)) this.say(fill(this.labels.says, { name: this.authorOf(added), text: added.text }));
  }

  say(text) {
    if (!this.announcer || !this.announce || !this.announce.checked) return;
    const line = document.createElement("p");
    line.textContent = text;
    this.announcer.append(line);
    while (this.announcer.children.length > 3) this.announcer.firstElementChild.remove();
  }

  async submit(event) {
    if (!this.live) return; // without the live connection the form posts the page
    event.preventDefault();
    const field = this.form.querySelector('input[name="text"]');
    const text = field.value;
    if (!text.trim()) return;
    this.error.textContent = "";
    try {
      const reply = await this.live.send("chat.post", { session: this.config.session, text });
      if (reply && reply.id) this.mine.add(reply.id);
      field.value = "";
      field.focus();
    } catch (error) {
      this.error.textContent = error && error.code && error.code !== "timeout" ? error.message : this.labels.offline || "";
    }
  }

  async clicked(event) {
    const button = event.target.closest("button");
    if (!button || !this.live) return;
    try {
      if (button.dataset.report) {
        await this.live.send("chat.report", { message: Number(button.dataset.report) });
        button.disabled = true;
        this.notice.textContent = this.labels.reported || "";
      } else if (button.dataset.delete) {
        await this.live.send("chat.moderate", {
          session: this.config.session,
          action: "delete",
          message: Number(button.dataset.delete),
        });
        this.notice.textContent = this.labels.deleted || "";
      }
    } catch (error) {
      this.notice.textContent = (error && error.message) || this.labels.offline || "";
    }
  }
}

class ReactionsBar {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.connect();
  }

  async connect() {
    this.live = await liveModule(this.config.liveModule);
    if (!this.live) return;
    this.root.hidden = false;
    this.live.subscribe(this.config.topic, {
      onSnapshot: (data) => this.show(data && data.totals),
      onEvent: (type, data) => {
        if (type === "reactions.counted" && data) this.show(data.totals);
      },
    });
    this.root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-emoji]");
      if (!button) return;
      button.classList.remove("sent");
      void button.offsetWidth; // restart the small "sent" animation
      button.classList.add("sent");
      this.live.send("reactions.send", { stage: this.config.stage, emoji: button.dataset.emoji }).catch(() => {});
    });
  }

  show(totals) {
    for (const count of this.root.querySelectorAll("[data-reaction-count]")) {
      const value = totals && Number.isInteger(totals[count.dataset.reactionCount]) ? totals[count.dataset.reactionCount] : 0;
      count.textContent = String(value);
    }
  }
}

for (const root of document.querySelectorAll("[data-chat-panel]")) {
  if (root.dataset.ready) continue;
  root.dataset.ready = "1";
  const config = readJson(root.dataset.chatPanel);
  if (config) new ChatPanel(root, config);
}
for (const root of document.querySelectorAll("[data-reactions]")) {
  if (root.dataset.ready) continue;
  root.dataset.ready = "1";
  const config = readJson(root.dataset.reactions);
  if (config) new ReactionsBar(root, config);
}
