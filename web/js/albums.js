// The albums view: the albums the catalog keeps (GET /api/albums) with their sizes and a few
// covers (each album's best members), an album's members best first (GET /api/albums/{name},
// paged as the list scrolls), and running a theme file (pasted or read from a file) as a
// background job (POST /api/jobs {kind: "albums"}, jobs.js) with its progress, a way to cancel it,
// and its outcome.
import { $, el, getJson, releaseBlobs, setImage, thumbUrl } from "./api.js";
import { card } from "./cards.js";
import { JobCancelled, showProgress, startJob } from "./jobs.js";

const COVERS = 4;
const PAGE = 48;
const els = {
  view: $("albums-view"), list: $("album-list"), message: $("albums-message"),
  members: $("album-members"), title: $("album-title"), back: $("album-back"),
  grid: $("album-grid"), more: $("album-more"), themes: $("themes"), themeFile: $("theme-file"),
  exclusive: $("themes-exclusive"), run: $("themes-run"), progress: $("themes-progress"),
  progressText: $("themes-progress-text"), cancel: $("themes-cancel"), outcome: $("themes-outcome"),
};

let open = { name: null, results: [], total: 0 };
let running = null;  // the theme file's job while it runs
let hooks = { view: () => {}, address: () => {} };

function say(text, state = "ready") {
  els.message.textContent = text;
  els.view.dataset.state = state;
}

export async function showAlbums() {
  els.members.classList.add("hidden");
  els.list.classList.remove("hidden");
  open = { name: null, results: [], total: 0 };
  say("Loading albums…", "loading");
  try {
    const { albums } = await getJson("/api/albums");
    els.list.replaceChildren(...albums.map(albumTile));
    say(albums.length ? `${albums.length} albums` : "No albums yet: run a theme file below.");
  } catch (e) {
    say(e.message, "error");
  }
}

function albumTile(a) {
  const covers = el("span", { className: "covers" });
  const tile = el("li", { className: "album", dataset: { name: a.name } },
    el("button", { type: "button", className: "album-open" }, covers,
      el("span", { className: "album-name", lang: "", textContent: a.name }),
      el("span", { className: "album-count", textContent: `${a.count} pictures` })));
  tile.querySelector("button").addEventListener("click", () => openAlbum(a.name));
  if (a.count > 0) loadCovers(a.name, covers);
  return tile;
}

async function loadCovers(name, covers) {
  try {
    const page = await getJson(`/api/albums/${encodeURIComponent(name)}?k=${COVERS}`);
    for (const r of page.results) {
      const img = el("img", { loading: "lazy", alt: "" });
      setImage(img, thumbUrl(r.id));
      covers.append(img);
    }
  } catch (_) { /* a tile without covers still opens */ }
}

export async function openAlbum(name) {
  releaseBlobs();
  open = { name, results: [], total: 0 };
  els.list.classList.add("hidden");
  els.members.classList.remove("hidden");
  els.title.textContent = name;
  els.grid.replaceChildren();
  hooks.address(name);
  await loadMembers();
}

async function loadMembers() {
  const name = open.name;
  say(`Loading ${name}…`, "loading");
  try {
    const url = `/api/albums/${encodeURIComponent(name)}?k=${PAGE}&offset=${open.results.length}`;
    const page = await getJson(url);
    if (open.name !== name) return;
    const start = open.results.length;
    open.results = open.results.concat(page.results);
    open.total = page.total;
    els.grid.append(...page.results.map((r, i) => card(r, start + i, {
      open: (index) => hooks.view(open.results, index),
    })));
    els.more.classList.toggle("hidden", open.results.length >= open.total);
    say(`${open.total} pictures, best first`);
  } catch (e) {
    say(e.message, "error");
  }
}

// ---- theme files ----
async function runThemes() {
  let themes;
  try {
    themes = JSON.parse(els.themes.value);
  } catch (e) {
    els.outcome.textContent = `The theme file is not valid JSON: ${e.message}`;
    els.outcome.className = "outcome error";
    return;
  }
  els.run.disabled = true;
  els.cancel.classList.remove("hidden");
  els.progress.classList.remove("hidden");
  els.outcome.textContent = "Classifying the library against the themes…";
  els.outcome.className = "outcome";
  const onProgress = (p) => showProgress(els.progress, els.progressText, p,
    "steps (themes, then pictures)");
  onProgress({ done: 0, total: 0 });
  try {
    running = startJob({ kind: "albums", themes, exclusive: els.exclusive.checked }, onProgress);
    const r = await running.done;
    els.outcome.textContent = `${r.classified} pictures classified` +
      (r.restarted ? " (themes changed: albums made afresh)" : "") + ": " +
      r.albums.map((a) => `${a.name} ${a.count}`).join(", ");
    await showAlbums();
  } catch (e) {
    els.outcome.textContent = e instanceof JobCancelled ? "Cancelled." : e.message;
    els.outcome.className = "outcome error";
    if (e instanceof JobCancelled) showAlbums();  // what the library holds now
  } finally {
    running = null;
    els.run.disabled = false;
    els.cancel.classList.add("hidden");
    els.progress.classList.add("hidden");
    els.progressText.textContent = "";
  }
}

// `view(list, index)` opens the viewer; `address(album)` keeps the open album in the address.
export function initAlbums(callbacks) {
  hooks = callbacks;
  els.back.addEventListener("click", () => {
    hooks.address(null);
    showAlbums();
  });
  els.more.addEventListener("click", loadMembers);
  els.run.addEventListener("click", runThemes);
  els.cancel.addEventListener("click", () => running && running.cancel());
  els.themeFile.addEventListener("change", async () => {
    const file = els.themeFile.files[0];
    if (file) els.themes.value = await file.text();
    els.themeFile.value = "";
  });
}
