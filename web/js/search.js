// Searching: by text as you type, by a picture (file, drop, paste), "more like this"; with the
// filters (filters.js) on every request. Results page in as the grid scrolls to its end
// (offset paging; the "More results" button does the same by hand).
//
// API: GET /api/search?q=&k=&offset=&<filters>, POST /api/search (multipart: image [+ q,
// filters], or JSON {"like": id, <filters>}) -> {"results": [{id, path, score, width, height,
// size, format, date, and for a video: duration, time}], "total", "kept", "query_ms"}.
//
// The page's state is on <main data-state="idle|loading|results|empty|error">, which the CSS
// styles and the browser test (tests/browser/web_page_test.py) waits on.
import { $, api, baseName, releaseBlobs, setImage, thumbUrl } from "./api.js";
import { readAddress, writeAddress } from "./address.js";
import { card } from "./cards.js";
import { addressParams, restoreFrom, searchParams, showKept } from "./filters.js";

export const PAGE = 48;
const EMPTY_LIBRARY = "The library is empty. Index a folder with “clipsearch index PATH”, " +
                      "then search here.";
const NUMBERS = new Set(["min_score", "color_weight"]);  // JSON numbers in a POST body

const els = {
  main: $("main"), q: $("q"), messageText: $("message-text"), retry: $("retry"),
  results: $("results"), more: $("more"), queryImage: $("query-image"),
  queryThumb: $("query-thumb"), queryLabel: $("query-label"),
};

// What the grid shows, for the viewer and the keyboard.
export const grid = { results: [], selected: -1, onOpen: () => {} };
let total = null;
let query = null;     // {kind: "text", q} | {kind: "image", file, q} | {kind: "like", id, path}
let inflight = null;  // AbortController of the running search
let appending = false;
let generation = 0;   // ignores answers to superseded searches
let libraryEmpty = false;

export const hasQuery = () => query !== null;

export function setLibraryEmpty(empty) {
  libraryEmpty = empty;
  if (!query) showIdle();
}

// ---- page states ----
export function setState(state, text, retry = false) {
  els.main.dataset.state = state;
  els.messageText.textContent = text;
  els.retry.classList.toggle("hidden", !retry);
  els.results.setAttribute("aria-busy", state === "loading" ? "true" : "false");
}

function showIdle() {
  if (libraryEmpty) setState("empty", EMPTY_LIBRARY);
  else setState("idle", "Type to search, or drop, paste or pick a picture.");
}

function clearResults() {
  releaseBlobs();
  grid.results = [];
  total = null;
  grid.selected = -1;
  els.results.replaceChildren();
  els.more.classList.add("hidden");
}

// ---- requests ----
function request(offset, signal) {
  const filters = searchParams();
  if (query.kind === "text") {
    const params = new URLSearchParams({ q: query.q, k: PAGE, offset, ...filters });
    return api("/api/search?" + params, { signal });
  }
  if (query.kind === "image") {
    const form = new FormData();
    form.append("image", query.file, query.file.name || "pasted-image");
    if (query.q) form.append("q", query.q);
    form.append("k", String(PAGE));
    form.append("offset", String(offset));
    for (const [name, value] of Object.entries(filters)) form.append(name, value);
    return api("/api/search", { method: "POST", body: form, signal });
  }
  const body = { like: query.id, k: PAGE, offset };
  for (const [name, value] of Object.entries(filters)) {
    body[name] = NUMBERS.has(name) ? Number(value) : value;
  }
  return api("/api/search", {
    method: "POST", signal, headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

export async function runSearch(append = false) {
  if (!query || (append && appending)) return;
  if (inflight) inflight.abort();
  inflight = new AbortController();
  appending = append;
  const mine = ++generation;
  setState("loading", append ? "Loading more…" : "Searching…");
  try {
    const response = await request(append ? grid.results.length : 0, inflight.signal);
    const body = await response.json();
    if (mine !== generation) return;
    showPage(body, append);
  } catch (e) {
    if (e.name === "AbortError" || mine !== generation) return;
    if (!append) clearResults();  // old results under a failed search would mislead
    setState("error", e.message, true);
  } finally {
    if (mine === generation) appending = false;
  }
}

function showPage(body, append) {
  if (!append) clearResults();
  const page = body.results || [];
  const start = grid.results.length;
  grid.results = grid.results.concat(page);
  // With a cutoff the answer says how many reach it: that is the whole, not the candidates.
  total = typeof body.kept === "number" ? body.kept
    : typeof body.total === "number" ? body.total : null;
  const cards = document.createDocumentFragment();
  const actions = { open: (i) => grid.onOpen(i), like: searchLike, focus: (i) => select(i, false) };
  page.forEach((r, i) => cards.appendChild(card(r, start + i, actions)));
  els.results.appendChild(cards);
  els.more.classList.toggle("hidden", !hasMore(page.length));
  showKept(body.kept, grid.results.length);
  requestAnimationFrame(loadMoreIfNear);
  if (grid.results.length === 0) {
    setState("empty", libraryEmpty ? EMPTY_LIBRARY : "No pictures match this search.");
    return;
  }
  const ms = typeof body.query_ms === "number" ? ` in ${Math.round(body.query_ms)} ms` : "";
  const of = total !== null && total > grid.results.length ? ` of ${total}` : "";
  setState("results", `${grid.results.length}${of} results${ms}`);
}

const hasMore = (pageLength) => pageLength === PAGE &&
  (total === null || grid.results.length < total);

// ---- the kinds of query ----
export function searchText(text) {
  text = text.trim();
  if (query && query.kind === "like") hideQueryImage();
  if (query && query.kind === "image") {
    query.q = text;
    runSearch();
    return;
  }
  if (!text) {
    query = null;
    generation++;
    if (inflight) inflight.abort();
    clearResults();
    showIdle();
    remember();
    return;
  }
  query = { kind: "text", q: text };
  remember();
  runSearch();
}

function showQueryImage(src, label, strong) {
  if (els.queryThumb.src.startsWith("blob:")) URL.revokeObjectURL(els.queryThumb.src);
  els.queryThumb.classList.remove("hidden");
  els.queryThumb.alt = strong;
  if (src.startsWith("blob:")) els.queryThumb.src = src;
  else setImage(els.queryThumb, src);
  const name = document.createElement("strong");
  name.lang = "";  // a file name: any language (see index.html)
  name.textContent = strong;
  els.queryLabel.replaceChildren(label, name);
  els.queryImage.classList.remove("hidden");
}

export function searchImage(file) {
  if (!file || !file.type.startsWith("image/")) {
    setState("error", "That is not a picture: drop, paste or pick an image file.");
    return;
  }
  query = { kind: "image", file, q: els.q.value.trim() };
  showQueryImage(URL.createObjectURL(file), "Pictures like ", file.name || "the pasted picture");
  remember();
  runSearch();
}

export const likeListeners = [];  // the viewer closes, the search view shows

export function searchLike(r) {
  likeListeners.forEach((fn) => fn());
  query = { kind: "like", id: r.id, path: r.path };
  els.q.value = "";
  showQueryImage(thumbUrl(r.id), "Pictures like ", baseName(r.path));
  remember();
  runSearch();
  window.scrollTo(0, 0);
}

function hideQueryImage() {
  els.queryImage.classList.add("hidden");
  if (els.queryThumb.src.startsWith("blob:")) URL.revokeObjectURL(els.queryThumb.src);
  els.queryThumb.removeAttribute("src");
}

export function clearImage() {
  hideQueryImage();
  query = null;
  searchText(els.q.value);
  els.q.focus();
}

// The filters changed: the same query again, and the address says so.
export function filtersChanged() {
  remember();
  if (query) runSearch();
}

// ---- the address ----
// The text or "like" query and the filters (#q=...&since=...&sort=date&min=0.22). Uploaded
// pictures are not kept.
export function remember() {
  const params = new URLSearchParams();
  if (query && query.kind === "text") params.set("q", query.q);
  if (query && query.kind === "like") params.set("like", query.id);
  addressParams(params);
  writeAddress(params);
}

export function restore(params = readAddress()) {
  restoreFrom(params);
  const like = Number(params.get("like"));
  if (params.has("like") && Number.isInteger(like) && like >= 0) {
    searchLike({ id: like, path: `image ${like}` });
  } else if (params.get("q")) {
    els.q.value = params.get("q");
    searchText(els.q.value);
  }
}

// ---- selection ----
export function select(index, focus = true) {
  if (index < 0 || index >= grid.results.length) return;
  const cards = els.results.children;
  if (grid.selected >= 0 && cards[grid.selected]) cards[grid.selected].classList.remove("selected");
  grid.selected = index;
  cards[index].classList.add("selected");
  if (focus) {
    const thumb = cards[index].querySelector(".thumb");
    thumb.focus({ preventScroll: true });
    thumb.scrollIntoView({ block: "nearest" });
  }
}

export function columns() {
  const cards = els.results.children;
  if (cards.length < 2) return 1;
  const top = cards[0].offsetTop;
  let n = 1;
  while (n < cards.length && cards[n].offsetTop === top) n++;
  return n;
}

// ---- paging in as the grid scrolls ----
// The end of the grid within half a screen below the viewport: the next page, now.
function loadMoreIfNear() {
  if (els.more.classList.contains("hidden") || els.main.classList.contains("hidden")) return;
  if (els.more.getBoundingClientRect().top < 1.5 * window.innerHeight) runSearch(true);
}

export function initSearch() {
  els.retry.addEventListener("click", () => runSearch());
  els.more.addEventListener("click", () => runSearch(true));
  // The "More results" button doubles as the sentinel: when it comes within half a screen of
  // the viewport, the next page loads.
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && !els.more.classList.contains("hidden")) {
      runSearch(true);
    }
  }, { rootMargin: "0px 0px 50% 0px" });
  observer.observe(els.more);
}
