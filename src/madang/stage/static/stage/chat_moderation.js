// The chat moderation page (stage/chat/moderate.html) is plain forms; this script only tells
// the moderator, through a polite status line, that new messages or reports have arrived
// since the page was loaded, with a link to refresh it. Text is inserted with textContent.

import { readJson } from "./page.js";

const box = document.querySelector("[data-moderation-live]");
const config = box ? readJson(box.dataset.moderationLive) : null;

if (box && config) {
  const pageConfig = readJson("madang-live") || {};
  const counts = { messages: 0, reports: 0 };
  const show = () => {
    const parts = [];
    if (counts.reports) parts.push(config.labels.reports.replace("%(count)s", String(counts.reports)));
    if (counts.messages) parts.push(config.labels.messages.replace("%(count)s", String(counts.messages)));
    const text = box.querySelector("[data-moderation-text]");
    text.textContent = parts.join(" ");
    box.hidden = parts.length === 0;
  };
  import(pageConfig.module || config.liveModule)
    .then((live) => {
      live.subscribe(config.chatTopic, {
        onEvent: (type) => {
          if (type === "chat.posted") {
            counts.messages += 1;
            show();
          }
        },
      });
      live.subscribe(config.moderationTopic, {
        onEvent: (type) => {
          if (type === "chat.reported") {
            counts.reports += 1;
            show();
          }
        },
      });
    })
    .catch(() => {});
}
