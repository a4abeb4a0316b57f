// The clipsearch page: a photo browser over `clipsearch serve`. Views: search (with filters),
// albums, duplicates, status; one full-picture viewer for all of them. This module wires them
// together: the tabs and the address, the search box, the file picker, dropped and pasted
// pictures, the token form. Each view is a module of its own (search.js, filters.js, viewer.js,
// albums.js, duplicates.js, status.js, keyboard.js); api.js holds what they share. No
// libraries, no inline code (the server's Content-Security-Policy forbids it).
import { $, onTokenNeeded, setToken } from "./api.js";
import { readAddress, takeToken, writeAddress } from "./address.js";
import { initAlbums, openAlbum, showAlbums } from "./albums.js";
import { findDuplicates, initDuplicates, setThreshold } from "./duplicates.js";
import { initFilters, loadChoices, useColor } from "./filters.js";
import { initKeyboard } from "./keyboard.js";
import { clearImage, filtersChanged, grid, hasQuery, initSearch, likeListeners, remember,
  restore, runSearch, searchImage, searchLike, searchText, select,
  setLibraryEmpty } from "./search.js";
import { initStatus, loadStatus, onStatus } from "./status.js";
import { closeViewer, initViewer, openViewer } from "./viewer.js";

const DEBOUNCE_MS = 250;
const VIEWS = { search: $("main"), albums: $("albums-view"), duplicates: $("duplicates-view"),
  status: $("status-view") };
const els = {
  q: $("q"), form: $("search-form"), file: $("file"), drop: $("drop"), filters: $("filters"),
  tokenForm: $("token-form"), token: $("token"), clearImage: $("clear-image"),
  queryThumb: $("query-thumb"), tabs: document.querySelectorAll("#views [data-view]"),
};
let view = "search";

// ---- views and the address ----
function showView(name, params = new URLSearchParams()) {
  view = VIEWS[name] ? name : "search";
  document.body.dataset.view = view;  // the CSS hides what belongs to the search view alone
  for (const [n, section] of Object.entries(VIEWS)) section.classList.toggle("hidden", n !== view);
  els.filters.classList.toggle("hidden", view !== "search");
  for (const tab of els.tabs) {
    tab.setAttribute("aria-current", tab.dataset.view === view ? "page" : "false");
  }
  if (view === "search") {
    remember();
    return;
  }
  params.set("view", view);
  writeAddress(params);
  if (view === "albums") {
    if (params.get("album")) openAlbum(params.get("album"));
    else showAlbums();
  } else if (view === "duplicates") {
    setThreshold(params.get("threshold"));
    findDuplicates();
  } else {
    loadStatus();
  }
}

function address(name, key, value) {
  const params = new URLSearchParams({ view: name });
  if (value !== null && value !== undefined) params.set(key, value);
  writeAddress(params);
}

function toSearch() {
  if (view !== "search") showView("search");
}

// ---- the search box ----
// Input-method composition (pinyin, kana, hangul...): between compositionstart and
// compositionend the box holds provisional text ("hong" before it becomes 红), so no search
// fires; one does after compositionend. Browsers order the last input event and compositionend
// differently (Chrome: input first; Safari: compositionend first), so both only restart the
// debounce timer and the search runs once.
let composing = false;
let debounceTimer = 0;

function searchSoon() {
  clearTimeout(debounceTimer);
  debounceTimer = setTimeout(() => {
    toSearch();
    searchText(els.q.value);
  }, DEBOUNCE_MS);
}

function wireSearchBox() {
  els.form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (composing) return;  // the Enter that picks an input-method candidate
    clearTimeout(debounceTimer);
    toSearch();
    searchText(els.q.value);
  });
  els.q.addEventListener("compositionstart", () => {
    composing = true;
    clearTimeout(debounceTimer);
  });
  els.q.addEventListener("compositionend", () => {
    composing = false;
    searchSoon();
  });
  els.q.addEventListener("input", (e) => {
    if (composing || e.isComposing) return;
    searchSoon();
  });
  // Enter (or another key) that ends a composition must not submit the search: keyCode 229 is
  // the key event Safari sends just after compositionend.
  els.q.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (composing || e.isComposing || e.keyCode === 229)) e.preventDefault();
  });
}

// ---- pictures: file picker, drop, paste ----
function pictureQuery(file) {
  toSearch();
  searchImage(file);
}

function wirePictures() {
  els.file.addEventListener("change", () => {
    if (els.file.files.length) pictureQuery(els.file.files[0]);
    els.file.value = "";
  });
  els.clearImage.addEventListener("click", clearImage);
  // A file the browser cannot show (the server will say why) leaves no broken-image icon.
  els.queryThumb.addEventListener("error", () => els.queryThumb.classList.add("hidden"));
  // dragenter/dragleave fire for every child element crossed, hence the depth count.
  let dragDepth = 0;
  const dragsFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files");
  window.addEventListener("dragenter", (e) => {
    if (!dragsFiles(e)) return;
    dragDepth++;
    els.drop.classList.remove("hidden");
  });
  window.addEventListener("dragleave", () => {
    if (--dragDepth <= 0) { dragDepth = 0; els.drop.classList.add("hidden"); }
  });
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => {
    e.preventDefault();
    dragDepth = 0;
    els.drop.classList.add("hidden");
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) pictureQuery(file);
  });
  window.addEventListener("paste", (e) => {
    const items = (e.clipboardData && e.clipboardData.items) || [];
    for (const item of items) {
      if (item.kind === "file" && item.type.startsWith("image/")) {
        e.preventDefault();
        pictureQuery(item.getAsFile());
        return;
      }
    }
  });
}

// ---- everything together ----
function likeFromViewer(r, inColor) {
  if (!r) return;
  if (inColor) useColor();
  searchLike(r);
}

function init() {
  const token = takeToken();
  if (token) setToken(token);
  onTokenNeeded(() => {
    els.tokenForm.classList.remove("hidden");
    els.token.focus();
  });
  els.tokenForm.addEventListener("submit", (e) => {
    e.preventDefault();
    setToken(els.token.value.trim());
    els.tokenForm.classList.add("hidden");
    loadStatus();
    if (hasQuery()) runSearch();
  });
  likeListeners.push(() => {
    closeViewer(false);
    toSearch();
  });
  grid.onOpen = (index) => openViewer(grid.results, index, (last) => {
    if (view === "search") select(last);
  });
  const openIn = (list, index) => openViewer(list, index);
  initViewer({ like: (r) => likeFromViewer(r, false), likeInColor: (r) => likeFromViewer(r, true) });
  initSearch();
  initFilters(filtersChanged);
  initAlbums({ view: openIn, address: (album) => address("albums", "album", album) });
  initDuplicates({ view: openIn, address: (t) => address("duplicates", "threshold", t) });
  initStatus();
  initKeyboard(() => composing);
  wireSearchBox();
  wirePictures();
  for (const tab of els.tabs) tab.addEventListener("click", () => showView(tab.dataset.view));
  let choicesLoaded = false;
  onStatus((s) => {
    setLibraryEmpty(s.images === 0);
    if (!choicesLoaded) {
      choicesLoaded = true;
      loadChoices(s);
    }
  });
  setLibraryEmpty(false);  // the idle page until the status says otherwise
  loadStatus();
  const params = readAddress();
  if (params.get("view")) showView(params.get("view"), params);
  else restore(params);
}

init();
