// Q&A and polls of a session, live over the websocket (docs/realtime.md): the audience page,
// the moderator console, the hall's kiosk screen and the panel of the stage page.
//
// The pages work without JavaScript (plain forms); this module follows the session's topics,
// redraws the lists when they change, and sends the forms in the background so the page stays
// where it is. Text written by people is always inserted with textContent, never as HTML.

import { readJson } from "./page.js";

const ANSWERED = "answered";

function make(tag, attributes = {}, text) {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) made.setAttribute(name, "");
    else if (value !== false && value !== undefined && value !== null) made.setAttribute(name, value);
  }
  if (text !== undefined) made.textContent = String(text);
  return made;
}

function localized(value) {
  if (!value || typeof value !== "object") return String(value || "");
  const language = (document.documentElement.lang || "ko").slice(0, 2);
  return value[language] || value.ko || value.en || "";
}

// The same order and merge as the server (stage/interaction/queries.py and handlers.py).
function publicOrder(q) {
  return [q.pinned ? 0 : 1, q.status === ANSWERED ? 1 : 0, -q.votes, q.id];
}

function moderationOrder(q) {
  return q.status === "pending" ? [0, q.id, 0, 0, 0] : [1, ...publicOrder(q)];
}

function compare(a, b) {
  for (let i = 0; i < a.length; i += 1) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

function merge(known, incoming) {
  if (!known || incoming.rev > known.rev) return incoming;
  if (incoming.rev < known.rev) return null;
  const merged = { ...incoming };
  if (!incoming.options) {
    merged.votes = Math.max(known.votes, incoming.votes);
  } else if (incoming.voters !== null && known.voters !== null) {
    merged.voters = Math.max(known.voters, incoming.voters);
    const votes = new Map(known.options.map((o) => [o.id, o.votes]));
    merged.options = incoming.options.map((o) => ({
      ...o,
      votes: Math.max(o.votes, votes.get(o.id) || 0),
    }));
  }
  return merged;
}

function share(votes, total) {
  return total > 0 ? Math.round((100 * votes) / total) : 0;
}

class Interaction {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.mode = config.mode;
    this.labels = config.labels || {};
    this.questions = new Map();
    // The revision at which each question left this list (rejected, or no longer public). A
    // vote published just before a rejection can arrive after it, carrying the older revision;
    // it must not bring the question back. Kept across snapshots, which may be followed by
    // events read before them (docs/realtime.md).
    this.gone = new Map();
    this.polls = new Map();
    this.votedQuestions = new Set(config.votedQuestions || []);
    this.votedPolls = new Set(config.votedPolls || []);
    this.questionsBox = root.querySelector("[data-questions]");
    this.pollsBox = root.querySelector("[data-polls]");
    this.status = root.querySelector("[data-interaction-status]");
    this.liveState = root.querySelector("[data-live-state]");
    this.csrf = root.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
  }

  label(name) {
    return this.labels[name] || name;
  }

  async start() {
    if (this.mode === "audience" || this.mode === "console") {
      this.root.addEventListener("submit", (event) => this.submit(event));
    }
    let live;
    try {
      live = await import(this.config.liveModule);
    } catch {
      return;
    }
    live.onStatus((status) => {
      this.root.dataset.liveStatus = status;
      if (this.liveState) {
        this.liveState.hidden = false;
        this.liveState.textContent = status === "open" ? this.label("connected") : this.label("offline");
      }
    });
    live.subscribe(this.config.qaTopic, {
      onSnapshot: (data) => {
        this.questions = new Map((data.questions || []).map((q) => [q.id, q]));
        this.renderQuestions();
        this.root.dataset.qaReady = "true";
      },
      onEvent: (type, data) => {
        this.applyQuestion(type, data);
        this.renderQuestions();
      },
    });
    live.subscribe(this.config.pollsTopic, {
      onSnapshot: (data) => {
        this.polls = new Map((data.polls || []).map((p) => [p.id, p]));
        this.renderPolls();
        this.root.dataset.pollsReady = "true";
      },
      onEvent: (type, data) => {
        if (type === "poll.updated") {
          const newer = merge(this.polls.get(data.poll.id), data.poll);
          if (newer) this.polls.set(newer.id, newer);
        }
        this.renderPolls();
      },
    });
  }

  applyQuestion(type, data) {
    if (type === "question.updated") {
      const id = data.question.id;
      const known = this.questions.get(id);
      if (!known && this.gone.has(id) && data.question.rev <= this.gone.get(id)) return;
      const newer = merge(known, data.question);
      if (!newer) return;
      if (this.mode === "console" && !known && newer.status === "pending") this.say(this.label("newQuestion"));
      const shown =
        this.mode === "console" ? newer.status !== "rejected" : ["approved", ANSWERED].includes(newer.status);
      if (shown) {
        this.questions.set(id, newer);
        this.gone.delete(id);
      } else {
        this.questions.delete(id);
        this.gone.set(id, newer.rev);
      }
    } else if (type === "question.removed") {
      const known = this.questions.get(data.id);
      if (known && data.rev < known.rev) return;
      this.questions.delete(data.id);
      this.gone.set(data.id, Math.max(data.rev, this.gone.get(data.id) ?? data.rev));
    }
  }

  // Sending forms -------------------------------------------------------------------------------

  say(text, isError = false) {
    if (!this.status) return;
    this.status.replaceChildren(make("p", { class: isError ? "notice error" : "notice success" }, text));
  }

  async submit(event) {
    const form = event.target;
    // Read attributes: a field named "action" shadows the form's own properties.
    if (!(form instanceof HTMLFormElement) || (form.getAttribute("method") || "").toLowerCase() !== "post") return;
    event.preventDefault();
    // Buttons stay enabled (a disabled button would lose the keyboard focus); a second press
    // while the first is on its way is ignored.
    if (form.dataset.busy) return;
    form.dataset.busy = "true";
    const body = new FormData(form, event.submitter || undefined);
    let answer = null;
    let ok = false;
    try {
      const response = await fetch(form.getAttribute("action") || window.location.href, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": this.csrf },
      });
      answer = await response.json();
      ok = response.ok;
    } catch {
      answer = { error: this.label("failed") };
    }
    delete form.dataset.busy;
    if (!ok) {
      this.say(answer?.error || this.label("failed"), true);
      return;
    }
    const action = body.get("action");
    if (action === "vote") this.votedQuestions.add(Number(body.get("question")));
    if (action === "poll") this.votedPolls.add(Number(body.get("poll")));
    if (action === "ask" || action === "create-poll") form.reset();
    this.say(answer?.message || "");
    this.renderQuestions();
    this.renderPolls();
  }

  hidden(name, value) {
    return make("input", { type: "hidden", name, value });
  }

  postForm(className) {
    const form = make("form", { method: "post", class: className });
    if (this.csrf) form.append(this.hidden("csrfmiddlewaretoken", this.csrf));
    return form;
  }

  button(text, attributes = {}) {
    return make("button", { type: "submit", class: "button secondary", ...attributes }, text);
  }

  // Drawing -------------------------------------------------------------------------------------

  renderQuestions() {
    if (!this.questionsBox) return;
    const order = this.mode === "console" ? moderationOrder : publicOrder;
    const items = [...this.questions.values()].sort((a, b) => compare(order(a), order(b)));
    const list = make("ol", { class: "qa-list", "data-qa-list": true });
    if (!items.length) list.append(make("li", { class: "qa-empty" }, this.label("noQuestions")));
    for (const q of items) list.append(this.questionItem(q));
    // Keep the keyboard where it was: on the same question's button, or its neighbour's.
    const focused = document.activeElement;
    const before = focused && this.questionsBox.contains(focused) ? focused.closest("[data-question]") : null;
    const index = before ? [...before.parentElement.children].indexOf(before) : -1;
    this.questionsBox.replaceChildren(list);
    if (before) {
      const same = list.querySelector(`[data-question="${before.dataset.question}"]`);
      const target = same || list.children[Math.min(index, list.children.length - 1)];
      const button =
        target?.querySelector(`button[value="${focused.value}"]:not([disabled])`) ||
        target?.querySelector("button:not([disabled])");
      (button || this.questionsBox.closest("section")?.querySelector("h2") || document.body).focus?.();
    }
  }

  questionItem(q) {
    const item = make("li", {
      class: `qa-item status-${q.status}${q.pinned ? " is-pinned" : ""}`,
      "data-question": q.id,
    });
    const textId = `question-${q.id}-text`;
    item.append(make("p", { class: "qa-text", id: textId }, q.text));
    const meta = make("p", { class: "qa-meta" });
    meta.append(make("span", { class: "qa-name" }, q.name || this.label("anonymous")), " · ");
    meta.append(make("span", { class: "qa-votes" }, `${q.votes} ${this.label("votes")}`));
    if (q.pinned) meta.append(" ", make("span", { class: "badge" }, this.label("pinned")));
    if (q.status === ANSWERED) meta.append(" ", make("span", { class: "badge muted" }, this.label("answered")));
    if (q.status === "pending") meta.append(" ", make("span", { class: "badge warning" }, this.label("pending")));
    item.append(meta);
    if (this.mode === "audience") {
      const form = this.postForm("qa-actions");
      form.append(this.hidden("action", "vote"), this.hidden("question", q.id));
      if (this.votedQuestions.has(q.id)) {
        form.append(this.button(this.label("voted"), { disabled: true }));
      } else {
        form.append(
          this.button(this.label("vote"), { "aria-label": `${this.label("vote")}: ${q.text.slice(0, 60)}` }),
        );
      }
      item.append(form);
    } else if (this.mode === "console") {
      const form = this.postForm("qa-actions button-row");
      form.append(this.hidden("question", q.id));
      // Each button names the question it acts on to a screen reader.
      const action = (name, primary = false) =>
        this.button(this.label(name), {
          name: "action",
          value: name,
          class: primary ? "button" : "button secondary",
          "aria-describedby": textId,
        });
      if (q.status === "pending") form.append(action("approve", true));
      if (q.status !== "pending") form.append(action(q.pinned ? "unpin" : "pin"));
      if (q.status !== ANSWERED && q.status !== "pending") form.append(action("answer"));
      form.append(action("reject"));
      item.append(form);
    }
    return item;
  }

  renderPolls() {
    if (!this.pollsBox) return;
    const items = [...this.polls.values()].sort((a, b) => b.id - a.id);
    const box = make("div", { class: "poll-list", "data-poll-list": true });
    if (!items.length) box.append(make("p", { class: "poll-empty" }, this.label("noPolls")));
    for (const poll of items) box.append(this.pollSection(poll));
    // Keep a half-filled ballot: redraw the others only.
    const editing = this.pollsBox.querySelector(".poll-form :checked");
    if (editing) {
      const kept = editing.closest("section");
      const replacement = [...box.children].find((s) => s.dataset.poll === kept.dataset.poll);
      const id = Number(kept.dataset.poll);
      const stillOpen = this.polls.get(id)?.status === "open" && !this.votedPolls.has(id);
      if (replacement && stillOpen) replacement.replaceWith(kept);
    }
    this.pollsBox.replaceChildren(box);
  }

  pollSection(poll) {
    const titleId = `poll-${poll.id}-title`;
    const section = make("section", {
      class: `poll status-${poll.status}`,
      "aria-labelledby": titleId,
      "data-poll": poll.id,
    });
    const question = localized(poll.question);
    section.append(make("h3", { id: titleId }, question));
    const state = make("p", { class: "poll-state" });
    const badge = { open: "badge", closed: "badge muted", draft: "badge warning" }[poll.status] || "badge";
    state.append(make("span", { class: badge }, this.label(poll.status)));
    if (poll.voters !== null) state.append(` · ${poll.voters} ${this.label("voters")}`);
    section.append(state);
    const voted = this.votedPolls.has(poll.id);
    if (this.mode === "audience" && poll.status === "open" && !voted) {
      const form = this.postForm("poll-form");
      form.append(this.hidden("action", "poll"), this.hidden("poll", poll.id));
      const fieldset = make("fieldset");
      fieldset.append(make("legend", {}, question));
      for (const option of poll.options) {
        const id = `poll-${poll.id}-option-${option.id}`;
        const choice = make("div", { class: "choice" });
        choice.append(
          make("input", {
            type: poll.kind === "multiple" ? "checkbox" : "radio",
            id,
            name: "option",
            value: option.id,
            required: poll.kind !== "multiple",
          }),
          make("label", { for: id }, localized(option.text)),
        );
        fieldset.append(choice);
      }
      form.append(fieldset, make("button", { type: "submit", class: "button" }, this.label("sendVote")));
      section.append(form);
    } else if (poll.voters !== null) {
      const list = make("ul", { class: "poll-results" });
      for (const option of poll.options) {
        const percent = share(option.votes, poll.voters);
        const row = make("li");
        const bar = make("span", { class: "poll-bar", "aria-hidden": "true" });
        const fill = make("span");
        fill.style.width = `${percent}%`;
        bar.append(fill);
        row.append(
          make("span", { class: "poll-option" }, localized(option.text)),
          " ",
          make("span", { class: "poll-count" }, `${option.votes} (${percent}%)`),
          bar,
        );
        list.append(row);
      }
      section.append(list);
    } else {
      const list = make("ul", { class: "poll-options" });
      for (const option of poll.options) list.append(make("li", {}, localized(option.text)));
      section.append(list);
      const note = (this.mode === "audience" && voted ? `${this.label("voted")}. ` : "") + this.label("hidden");
      section.append(make("p", { class: "poll-hidden" }, note));
    }
    if (this.mode === "console") {
      const form = this.postForm("button-row");
      form.append(this.hidden("poll", poll.id));
      const action = (name, value, primary = false) =>
        this.button(this.label(name), { name: "action", value, class: primary ? "button" : "button secondary" });
      if (poll.status === "draft") form.append(action("openPoll", "open", true));
      if (poll.status === "open") form.append(action("closePoll", "close"));
      if (poll.status !== "draft") form.append(poll.revealed ? action("hide", "hide") : action("reveal", "reveal"));
      section.append(form);
    }
    return section;
  }
}

for (const root of document.querySelectorAll("[data-interaction]")) {
  const config = readJson(root.dataset.configId);
  if (config && config.qaTopic) new Interaction(root, config).start();
  const reloadIn = Number(root.dataset.reloadIn || 0);
  // The kiosk shows the next session when the current one ends.
  if (reloadIn > 0) window.setTimeout(() => window.location.reload(), reloadIn * 1000);
}
