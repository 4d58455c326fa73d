// Small helpers shared by the stage's scripts (player, chat, Q&A and polls, moderation).

// The JSON a template put in <script type="application/json" id="…">, or null.
export function readJson(id) {
  const element = id && document.getElementById(id);
  if (!element) return null;
  try {
    return JSON.parse(element.textContent || "null");
  } catch {
    return null;
  }
}

// Choices remembered in this browser under keys starting with ``prefix``; when storage is
// refused (a private window) a choice lasts for the page.
export function storage(prefix) {
  return {
    remember(key, value) {
      try {
        window.localStorage.setItem(prefix + key, value);
      } catch {
        // Storage refused: the choice lasts for this page.
      }
    },
    recall(key) {
      try {
        return window.localStorage.getItem(prefix + key);
      } catch {
        return null;
      }
    },
  };
}
