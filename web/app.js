// The clipsearch page: search as you type, search with a picture (drop, paste, file picker),
// "more like this", a full-size viewer, keyboard navigation. Plain JavaScript, no libraries, no
// inline code (the server's Content-Security-Policy forbids it).
//
// API: GET /api/search?q=&k=&offset=, POST /api/search (multipart: image [+ q], or JSON
// {"like": id}) -> {"results": [{id, path, score, width, height, size}], "total"?, "query_ms"};
// GET /api/status -> {model, images, indexing}; GET /api/thumbnails/{id}?size=256;
// GET /api/images/{id}. With a server token (#token=... in the address, or typed when asked),
// every call sends "Authorization: Bearer"; pictures are then fetched as blobs.
"use strict";

(() => {
  const PAGE = 48;
  const DEBOUNCE_MS = 250;
  const $ = (id) => document.getElementById(id);
  const els = {
    q: $("q"), form: $("search-form"), file: $("file"), status: $("status"),
    message: $("message"), results: $("results"), more: $("more"), drop: $("drop"),
    viewer: $("viewer"), viewerImg: $("viewer-img"), viewerPath: $("viewer-path"),
    viewerInfo: $("viewer-info"), viewerLike: $("viewer-like"), viewerClose: $("viewer-close"),
    tokenForm: $("token-form"), token: $("token"), queryImage: $("query-image"),
    queryThumb: $("query-thumb"), queryLabel: $("query-label"), clearImage: $("clear-image"),
  };

  // ---- state ----
  let token = sessionStorage.getItem("clipsearch-token") || "";
  let results = [];      // what the grid shows
  let total = null;
  let selected = -1;     // index of the selected card
  let query = null;      // {kind: "text", q} | {kind: "image", file, q} | {kind: "like", id}
  let inflight = null;   // AbortController of the running search
  let generation = 0;    // ignores answers to superseded searches
  let debounceTimer = 0;
  const blobUrls = new Set();

  const hashToken = new URLSearchParams(location.hash.slice(1)).get("token");
  if (hashToken) {
    token = hashToken;
    sessionStorage.setItem("clipsearch-token", token);
    history.replaceState(null, "", location.pathname + location.search);
  }

  // ---- HTTP ----
  async function api(url, options = {}) {
    const headers = new Headers(options.headers || {});
    if (token) headers.set("Authorization", "Bearer " + token);
    const response = await fetch(url, { ...options, headers });
    if (response.status === 401) {
      els.tokenForm.classList.remove("hidden");
      els.token.focus();
      throw new Error("an access token is required");
    }
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try {
        const body = await response.json();
        if (body && body.error) message = body.error;
      } catch (_) { /* not JSON */ }
      if (response.status === 503) message += " (the server is busy; try again)";
      throw new Error(message);
    }
    return response;
  }

  // Sets an <img> source; with a token the picture is fetched (headers) and shown as a blob.
  async function setImage(img, url) {
    if (!token) {
      img.src = url;
      return;
    }
    try {
      const blob = await (await api(url)).blob();
      const objectUrl = URL.createObjectURL(blob);
      blobUrls.add(objectUrl);
      img.src = objectUrl;
    } catch (_) {
      img.alt = "(not available)";
    }
  }

  function releaseBlobs() {
    for (const u of blobUrls) URL.revokeObjectURL(u);
    blobUrls.clear();
  }

  // ---- status line ----
  async function loadStatus() {
    try {
      const s = await (await api("/api/status")).json();
      let text = `${s.images ?? "?"} images · ${s.model ?? ""}`;
      const ix = s.indexing;
      if (ix && ix.running) {
        text += ` · indexing ${ix.done ?? 0}/${ix.total ?? "?"}`;
        setTimeout(loadStatus, 3000);
      }
      els.status.textContent = text;
    } catch (e) {
      els.status.textContent = "";
    }
  }

  // ---- searching ----
  function setMessage(text, kind = "") {
    els.message.textContent = text;
    els.message.className = "message" + (kind ? " " + kind : "");
  }

  async function runSearch(append = false) {
    if (!query) return;
    if (inflight) inflight.abort();
    inflight = new AbortController();
    const mine = ++generation;
    const offset = append ? results.length : 0;
    setMessage(append ? "Loading more" : "Searching", "loading");
    try {
      let response;
      if (query.kind === "text") {
        const params = new URLSearchParams({ q: query.q, k: PAGE, offset });
        response = await api("/api/search?" + params, { signal: inflight.signal });
      } else if (query.kind === "image") {
        const form = new FormData();
        form.append("image", query.file, query.file.name || "pasted-image");
        if (query.q) form.append("q", query.q);
        form.append("k", String(PAGE));
        form.append("offset", String(offset));
        response = await api("/api/search", { method: "POST", body: form, signal: inflight.signal });
      } else {
        response = await api("/api/search", {
          method: "POST", signal: inflight.signal,
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ like: query.id, k: PAGE, offset }),
        });
      }
      const body = await response.json();
      if (mine !== generation) return;
      const page = body.results || [];
      if (!append) {
        releaseBlobs();
        results = [];
        els.results.replaceChildren();
        selected = -1;
      }
      const start = results.length;
      results = results.concat(page);
      total = typeof body.total === "number" ? body.total : null;
      page.forEach((r, i) => els.results.appendChild(card(r, start + i)));
      const more = page.length === PAGE && (total === null || results.length < total);
      els.more.classList.toggle("hidden", !more);
      if (results.length === 0) {
        setMessage("No results.");
      } else {
        const ms = typeof body.query_ms === "number" ? ` in ${body.query_ms.toFixed(0)} ms` : "";
        const of = total !== null ? ` of ${total}` : "";
        setMessage(`${results.length}${of} results${ms}`);
      }
    } catch (e) {
      if (e.name === "AbortError") return;
      if (mine === generation) setMessage(e.message, "error");
    }
  }

  function card(r, index) {
    const li = document.createElement("li");
    li.className = "card";
    li.tabIndex = 0;
    li.dataset.index = index;
    const img = document.createElement("img");
    img.loading = "lazy";
    img.alt = r.path || "";
    img.title = r.path || "";
    setImage(img, `/api/thumbnails/${encodeURIComponent(r.id)}?size=256`);
    img.addEventListener("click", () => openViewer(index));
    const meta = document.createElement("div");
    meta.className = "meta";
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = typeof r.score === "number" ? r.score.toFixed(3) : "";
    const like = document.createElement("button");
    like.type = "button";
    like.className = "link";
    like.textContent = "more like this";
    like.addEventListener("click", () => searchLike(r.id));
    meta.append(score, like);
    li.append(img, meta);
    li.addEventListener("focus", () => select(index, false));
    return li;
  }

  function searchText(text) {
    text = text.trim();
    if (!text) {
      if (query && query.kind === "image") return;
      query = null;
      if (inflight) inflight.abort();
      releaseBlobs();
      results = [];
      els.results.replaceChildren();
      els.more.classList.add("hidden");
      setMessage("Type to search, or drop a picture.");
      return;
    }
    if (query && query.kind === "image") {
      query.q = text;
    } else {
      query = { kind: "text", q: text };
    }
    runSearch();
  }

  function searchImage(file) {
    if (!file || !file.type.startsWith("image/")) {
      setMessage("That is not a picture.", "error");
      return;
    }
    query = { kind: "image", file, q: els.q.value.trim() };
    els.queryThumb.src = URL.createObjectURL(file);
    els.queryLabel.textContent = file.name || "pasted picture";
    els.queryImage.classList.remove("hidden");
    runSearch();
  }

  function clearImage() {
    els.queryImage.classList.add("hidden");
    if (els.queryThumb.src) URL.revokeObjectURL(els.queryThumb.src);
    els.queryThumb.removeAttribute("src");
    query = null;
    searchText(els.q.value);
  }

  function searchLike(id) {
    closeViewer();
    els.queryImage.classList.add("hidden");
    query = { kind: "like", id };
    els.q.value = "";
    runSearch();
    window.scrollTo(0, 0);
  }

  // ---- selection, viewer, keyboard ----
  function select(index, focus = true) {
    if (index < 0 || index >= results.length) return;
    const cards = els.results.children;
    if (selected >= 0 && cards[selected]) cards[selected].classList.remove("selected");
    selected = index;
    cards[index].classList.add("selected");
    if (focus) {
      cards[index].focus({ preventScroll: true });
      cards[index].scrollIntoView({ block: "nearest" });
    }
  }

  function columns() {
    const cards = els.results.children;
    if (cards.length < 2) return 1;
    const top = cards[0].offsetTop;
    let n = 1;
    while (n < cards.length && cards[n].offsetTop === top) n++;
    return n;
  }

  function formatBytes(n) {
    if (typeof n !== "number") return "";
    const units = ["B", "KB", "MB", "GB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  }

  function openViewer(index) {
    const r = results[index];
    if (!r) return;
    select(index, false);
    els.viewerImg.removeAttribute("src");
    els.viewerImg.alt = r.path || "";
    setImage(els.viewerImg, `/api/images/${encodeURIComponent(r.id)}`);
    els.viewerPath.textContent = r.path || "";
    const dims = r.width && r.height ? `${r.width} × ${r.height}` : "";
    els.viewerInfo.textContent = [dims, formatBytes(r.size)].filter(Boolean).join(" · ");
    els.viewerLike.onclick = () => searchLike(r.id);
    els.viewer.classList.remove("hidden");
    els.viewerClose.focus();
  }

  function closeViewer() {
    if (els.viewer.classList.contains("hidden")) return;
    els.viewer.classList.add("hidden");
    if (selected >= 0) select(selected);
  }

  const viewerOpen = () => !els.viewer.classList.contains("hidden");

  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      if (viewerOpen()) closeViewer();
      else if (document.activeElement !== els.q) els.q.focus();
      return;
    }
    const inInput = document.activeElement === els.q || document.activeElement === els.token;
    if (viewerOpen()) {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        const next = selected + (e.key === "ArrowRight" ? 1 : -1);
        if (next >= 0 && next < results.length) openViewer(next);
        e.preventDefault();
      }
      return;
    }
    if (!results.length) return;
    if (inInput && e.key !== "ArrowDown") return;
    const cols = columns();
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols };
    if (e.key in moves) {
      e.preventDefault();
      if (inInput || selected < 0) { select(0); return; }
      const next = selected + moves[e.key];
      if (next < 0) els.q.focus();
      else select(Math.min(next, results.length - 1));
    } else if (e.key === "Enter" && selected >= 0 && !inInput) {
      e.preventDefault();
      openViewer(selected);
    }
  });

  // ---- wiring ----
  els.form.addEventListener("submit", (e) => {
    e.preventDefault();
    clearTimeout(debounceTimer);
    searchText(els.q.value);
  });
  els.q.addEventListener("input", () => {
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(() => searchText(els.q.value), DEBOUNCE_MS);
  });
  els.file.addEventListener("change", () => {
    if (els.file.files.length) searchImage(els.file.files[0]);
    els.file.value = "";
  });
  els.clearImage.addEventListener("click", clearImage);
  els.more.addEventListener("click", () => runSearch(true));
  els.viewerClose.addEventListener("click", closeViewer);
  els.viewer.addEventListener("click", (e) => { if (e.target === els.viewer) closeViewer(); });
  els.tokenForm.addEventListener("submit", (e) => {
    e.preventDefault();
    token = els.token.value.trim();
    sessionStorage.setItem("clipsearch-token", token);
    els.tokenForm.classList.add("hidden");
    loadStatus();
    if (query) runSearch();
  });

  let dragDepth = 0;
  window.addEventListener("dragenter", (e) => {
    if (!e.dataTransfer || !Array.from(e.dataTransfer.types).includes("Files")) return;
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
    if (file) searchImage(file);
  });
  window.addEventListener("paste", (e) => {
    const items = (e.clipboardData && e.clipboardData.items) || [];
    for (const item of items) {
      if (item.kind === "file" && item.type.startsWith("image/")) {
        e.preventDefault();
        searchImage(item.getAsFile());
        return;
      }
    }
  });

  setMessage("Type to search, or drop a picture.");
  loadStatus();
})();
