// Keys: "/" to the search box, arrows through the grid (down from the box enters it), Enter
// opens, M is "more like this", Escape goes back to the box; in the viewer, arrows step and M
// searches. Keys that belong to an input method (composing pinyin, kana, ...) are left alone.
import { $ } from "./api.js";
import { columns, grid, searchLike, select } from "./search.js";
import { current, isOpen, step } from "./viewer.js";

const q = $("q");
const main = $("main");

function onViewerKey(e) {
  if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
    e.preventDefault();
    step(e.key === "ArrowRight" ? 1 : -1);
  } else if (e.key === "m" || e.key === "M") {
    searchLike(current());
  }
}

function onGridKey(e) {
  if (document.activeElement === q) {
    if (e.key === "ArrowDown" && grid.results.length) {
      e.preventDefault();
      select(0);
    }
    return;
  }
  const cols = columns();
  const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols };
  if (e.key in moves) {
    e.preventDefault();
    if (grid.selected < 0) { select(0); return; }
    const next = grid.selected + moves[e.key];
    if (next < 0) q.focus();
    else select(Math.min(next, grid.results.length - 1));
  } else if ((e.key === "m" || e.key === "M") && grid.selected >= 0) {
    searchLike(grid.results[grid.selected]);
  }
}

export function isComposing(e) {
  return e.isComposing || e.keyCode === 229;
}

// `composing()`: an input method is composing text in the search box.
export function initKeyboard(composing) {
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    // Keys for the input method (arrows pick a candidate, Escape cancels), not for the page.
    if (composing() || isComposing(e)) return;
    const typing = document.activeElement &&
      document.activeElement.matches("input, textarea, select");
    if (isOpen()) {  // Escape: the dialog closes itself; typed labels and texts are not keys
      if (!typing) onViewerKey(e);
      return;
    }
    if (e.key === "/" && !typing) {
      e.preventDefault();
      q.focus();
      q.select();
    } else if (e.key === "Escape") {
      if (typing && q.value) return;  // the search box clears itself
      q.focus();
    } else if (grid.results.length && !main.classList.contains("hidden") &&
               (!typing || document.activeElement === q)) {
      onGridKey(e);
    }
  });
}
