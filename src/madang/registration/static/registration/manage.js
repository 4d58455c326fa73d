// After an action on the personal page, move keyboard and screen-reader focus to its result.
const notice = document.querySelector("[data-focus-on-load]");
if (notice) notice.focus();
