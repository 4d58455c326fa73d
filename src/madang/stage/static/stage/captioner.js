// The captioner's page: Enter sends the line without leaving the page, the field is emptied
// for the next one and keeps the focus. Without JavaScript the form posts and comes back.

const form = document.querySelector("[data-captioner]");
if (form) {
  const input = form.querySelector('input[name="text"]');
  const error = form.querySelector("[data-caption-error]");
  const sent = document.querySelector("[data-sent-lines]");
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy || !input.value.trim()) return;
    busy = true;
    const body = new FormData(form);
    try {
      const response = await fetch(window.location.pathname, {
        method: "POST",
        body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const reply = await response.json().catch(() => ({}));
      if (!response.ok) {
        error.textContent = reply.error || response.statusText;
        return;
      }
      error.textContent = "";
      input.value = "";
      if (sent && reply.line) {
        const item = document.createElement("li");
        const language = document.createElement("span");
        language.className = "lang";
        language.textContent = reply.line.language;
        item.append(language, " ", reply.line.text);
        sent.prepend(item);
        while (sent.children.length > 10) sent.lastElementChild.remove();
      }
    } catch {
      error.textContent = form.dataset.offline || "";
    } finally {
      busy = false;
      input.focus();
    }
  });
}
