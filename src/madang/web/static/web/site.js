// Adds the visitor's own clock time beside edition times, when their time zone differs,
// and announces the number of sessions after the programme filters swap the list (htmx).
const visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const language = document.documentElement.lang || "en";
const yourTime = document.documentElement.dataset.yourTime || "your time";

function formatTime(iso) {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return "";
  return new Intl.DateTimeFormat(language, {
    weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: visitorZone,
  }).format(moment);
}

function addVisitorTimes(root) {
  for (const range of root.querySelectorAll(".when[data-zone]")) {
    if (range.dataset.zone === visitorZone || range.querySelector(".visitor-time")) continue;
    const times = range.querySelectorAll("time[datetime]");
    if (times.length === 0) continue;
    const start = formatTime(times[0].getAttribute("datetime"));
    if (!start) continue;
    const label = document.createElement("span");
    label.className = "visitor-time";
    label.textContent = `(${yourTime}: ${start})`;
    range.append(label);
  }
}

addVisitorTimes(document);

document.body.addEventListener("htmx:afterSwap", (event) => {
  addVisitorTimes(event.target);
  const status = document.getElementById("program-status");
  const count = event.target.querySelector("[data-count-text]");
  if (status && count) status.textContent = count.textContent.trim();
});
