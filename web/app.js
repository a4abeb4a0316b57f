// The clipsearch page: search as you type, search with a picture (drop, paste, file picker),
// "more like this", a full-size viewer, keyboard navigation. Plain JavaScript, no libraries, no
// inline code (the server's Content-Security-Policy forbids it).
//
// API: GET /api/search?q=&k=&offset=, POST /api/search (multipart: image [+ q], or JSON
// {"like": id}) -> {"results": [{id, path, score, width, height, size, and for a video: duration,
// time (of its best frame, s)}], "total", "query_ms"};
// GET /api/status -> {model, images, indexing}; GET /api/thumbnails/{id}?size=256;
// GET /api/images/{id}. With a server token (#token=... in the address, or typed when asked),
// every call sends "Authorization: Bearer"; pictures are then fetched as blobs.
//
// The page's state is on <main data-state="idle|loading|results|empty|error">, which the CSS
// styles and the browser test (tests/browser/web_page_test.py) waits on.
"use strict";

(() => {
  const PAGE = 48;
  const DEBOUNCE_MS = 250;
  const EMPTY_LIBRARY = "The library is empty. Index a folder with “clipsearch index PATH”, " +
                        "then search here.";
  const $ = (id) => document.getElementById(id);
  const els = {
    main: $("main"), q: $("q"), form: $("search-form"), file: $("file"), status: $("status"),
    messageText: $("message-text"), retry: $("retry"), results: $("results"), more: $("more"),
    drop: $("drop"), viewer: $("viewer"), viewerImg: $("viewer-img"),
    viewerVideo: $("viewer-video"), viewerPath: $("viewer-path"),
    viewerInfo: $("viewer-info"), viewerLike: $("viewer-like"), viewerOpen: $("viewer-open"),
    viewerClose: $("viewer-close"), viewerPrev: $("viewer-prev"), viewerNext: $("viewer-next"),
    tokenForm: $("token-form"), token: $("token"), queryImage: $("query-image"),
    queryThumb: $("query-thumb"), queryLabel: $("query-label"), clearImage: $("clear-image"),
  };

  // ---- state ----
  let token = sessionStorage.getItem("clipsearch-token") || "";
  let results = [];      // what the grid shows
  let total = null;
  let selected = -1;     // index of the selected card
  let viewing = -1;      // index shown in the viewer
  let query = null;      // {kind: "text", q} | {kind: "image", file, q} | {kind: "like", id, path}
  let inflight = null;   // AbortController of the running search
  let generation = 0;    // ignores answers to superseded searches
  let debounceTimer = 0;
  let composing = false; // an input method is composing text in the search box
  let libraryEmpty = false;
  const blobUrls = new Set();

  const hashParams = new URLSearchParams(location.hash.slice(1));
  if (hashParams.get("token")) {
    token = hashParams.get("token");
    sessionStorage.setItem("clipsearch-token", token);
    hashParams.delete("token");
    history.replaceState(null, "", location.pathname + location.search +
                         (hashParams.toString() ? "#" + hashParams : ""));
  }

  // ---- HTTP ----
  async function api(url, options = {}) {
    const headers = new Headers(options.headers || {});
    if (token) headers.set("Authorization", "Bearer " + token);
    let response;
    try {
      response = await fetch(url, { ...options, headers });
    } catch (e) {
      if (e.name === "AbortError") throw e;
      throw new Error("Cannot reach the server. Is clipsearch serve still running?");
    }
    if (response.status === 401) {
      els.tokenForm.classList.remove("hidden");
      els.token.focus();
      throw new Error("This server needs an access token.");
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

  const thumbUrl = (id) => `/api/thumbnails/${encodeURIComponent(id)}?size=256`;
  const imageUrl = (id) => `/api/images/${encodeURIComponent(id)}`;
  const baseName = (path) => (path || "").split("/").pop();
  const isVideo = (r) => typeof r.duration === "number" && r.duration > 0;
  // Formats browsers show as they are; the viewer shows the others (TIFF, HEIF, camera RAW) as
  // the server's largest JPEG thumbnail.
  const shownAsIs = new Set(["jpeg", "png", "gif", "webp", "bmp", "avif"]);
  const viewUrl = (r) => (shownAsIs.has(r.format) ? imageUrl(r.id)
    : `/api/thumbnails/${encodeURIComponent(r.id)}?size=1024`);
  // Seconds as m:ss (a video's matching frame, its length).
  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds || 0));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  // ---- status line ----
  async function loadStatus() {
    try {
      const s = await (await api("/api/status")).json();
      const n = typeof s.images === "number" ? s.images.toLocaleString("en") : "?";
      const model = baseName(String(s.model ?? "").replace(/\/+$/, ""));
      let text = `${n} images · ${model}`;
      els.status.title = `model: ${s.model ?? "?"}`;
      const ix = s.indexing;
      if (ix && ix.running) {
        text += ` · indexing ${ix.done ?? 0}/${ix.total ?? "?"}`;
        setTimeout(loadStatus, 3000);
      }
      els.status.textContent = text;
      libraryEmpty = s.images === 0;
      if (!query) showIdle();
    } catch (e) {
      els.status.textContent = "";
    }
  }

  // ---- page states ----
  function setState(state, text, retry = false) {
    els.main.dataset.state = state;
    els.messageText.textContent = text;
    els.retry.classList.toggle("hidden", !retry);
    els.results.setAttribute("aria-busy", state === "loading" ? "true" : "false");
  }

  function showIdle() {
    if (libraryEmpty) {
      setState("empty", EMPTY_LIBRARY);
    } else {
      setState("idle", "Type to search, or drop, paste or pick a picture.");
    }
  }

  function clearResults() {
    releaseBlobs();
    results = [];
    total = null;
    selected = -1;
    els.results.replaceChildren();
    els.more.classList.add("hidden");
  }

  // ---- searching ----
  function request(offset, signal) {
    if (query.kind === "text") {
      const params = new URLSearchParams({ q: query.q, k: PAGE, offset });
      return api("/api/search?" + params, { signal });
    }
    if (query.kind === "image") {
      const form = new FormData();
      form.append("image", query.file, query.file.name || "pasted-image");
      if (query.q) form.append("q", query.q);
      form.append("k", String(PAGE));
      form.append("offset", String(offset));
      return api("/api/search", { method: "POST", body: form, signal });
    }
    return api("/api/search", {
      method: "POST", signal, headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ like: query.id, k: PAGE, offset }),
    });
  }

  async function runSearch(append = false) {
    if (!query) return;
    if (inflight) inflight.abort();
    inflight = new AbortController();
    const mine = ++generation;
    setState("loading", append ? "Loading more…" : "Searching…");
    try {
      const response = await request(append ? results.length : 0, inflight.signal);
      const body = await response.json();
      if (mine !== generation) return;
      showPage(body, append);
    } catch (e) {
      if (e.name === "AbortError" || mine !== generation) return;
      if (!append) clearResults();  // old results under a failed search would mislead
      setState("error", e.message, true);
    }
  }

  function showPage(body, append) {
    if (!append) clearResults();
    const page = body.results || [];
    const start = results.length;
    results = results.concat(page);
    total = typeof body.total === "number" ? body.total : null;
    const cards = document.createDocumentFragment();
    page.forEach((r, i) => cards.appendChild(card(r, start + i)));
    els.results.appendChild(cards);
    const more = page.length === PAGE && (total === null || results.length < total);
    els.more.classList.toggle("hidden", !more);
    if (results.length === 0) {
      setState("empty", libraryEmpty ? EMPTY_LIBRARY : "No pictures match this search.");
      return;
    }
    const ms = typeof body.query_ms === "number" ? ` in ${Math.round(body.query_ms)} ms` : "";
    const of = total !== null && total > results.length ? ` of ${total}` : "";
    setState("results", `${results.length}${of} results${ms}`);
  }

  function card(r, index) {
    const li = document.createElement("li");
    li.className = "card";
    li.dataset.index = index;
    li.dataset.id = r.id;
    const thumb = document.createElement("button");
    thumb.type = "button";
    thumb.className = "thumb";
    thumb.title = r.path || "";
    const img = document.createElement("img");
    img.loading = "lazy";
    img.decoding = "async";
    img.alt = baseName(r.path);
    setImage(img, thumbUrl(r.id));
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = typeof r.score === "number" ? r.score.toFixed(3) : "";
    score.title = "similarity score";
    thumb.append(img, score);
    if (isVideo(r)) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "▶ " + (typeof r.time === "number" ? clock(r.time) : clock(r.duration));
      badge.title = typeof r.time === "number" ? "video: the best frame is at this time" : "video";
      thumb.append(badge);
    }
    thumb.addEventListener("click", () => openViewer(index));
    thumb.addEventListener("focus", () => select(index, false));
    const meta = document.createElement("div");
    meta.className = "meta";
    const name = document.createElement("span");
    name.className = "name";
    name.lang = "";
    name.textContent = baseName(r.path);
    const details = document.createElement("span");
    details.className = "details";
    details.textContent = r.width && r.height ? `${r.width}×${r.height}` : "";
    details.title = formatBytes(r.size);
    const like = document.createElement("button");
    like.type = "button";
    like.className = "like";
    like.textContent = "More like this";
    like.setAttribute("aria-label", "More like " + baseName(r.path));
    like.addEventListener("click", () => searchLike(r));
    meta.append(name, details, like);
    li.append(thumb, meta);
    return li;
  }

  function searchText(text) {
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

  function searchImage(file) {
    if (!file || !file.type.startsWith("image/")) {
      setState("error", "That is not a picture: drop, paste or pick an image file.");
      return;
    }
    query = { kind: "image", file, q: els.q.value.trim() };
    showQueryImage(URL.createObjectURL(file), "Pictures like ", file.name || "the pasted picture");
    remember();
    runSearch();
  }

  function searchLike(r) {
    closeViewer(false);
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

  function clearImage() {
    hideQueryImage();
    query = null;
    searchText(els.q.value);
    els.q.focus();
  }

  // The text or "like" query in the address (#q=... / #like=ID), so a reload or a shared link
  // shows the same results. Uploaded pictures are not kept.
  function remember() {
    const params = new URLSearchParams();
    if (query && query.kind === "text") params.set("q", query.q);
    if (query && query.kind === "like") params.set("like", query.id);
    const hash = params.toString();
    history.replaceState(null, "", location.pathname + location.search + (hash ? "#" + hash : ""));
  }

  function restore() {
    const like = Number(hashParams.get("like"));
    if (hashParams.has("like") && Number.isInteger(like) && like >= 0) {
      searchLike({ id: like, path: `image ${like}` });
    } else if (hashParams.get("q")) {
      els.q.value = hashParams.get("q");
      searchText(els.q.value);
    }
  }

  // ---- selection, viewer, keyboard ----
  function select(index, focus = true) {
    if (index < 0 || index >= results.length) return;
    const cards = els.results.children;
    if (selected >= 0 && cards[selected]) cards[selected].classList.remove("selected");
    selected = index;
    cards[index].classList.add("selected");
    if (focus) {
      const thumb = cards[index].querySelector(".thumb");
      thumb.focus({ preventScroll: true });
      thumb.scrollIntoView({ block: "nearest" });
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
    const units = ["bytes", "KB", "MB", "GB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  }

  // The path as text nodes with a line-break opportunity after each "/" (long paths on phones).
  function breakablePath(path) {
    const nodes = [];
    path.split("/").forEach((part, i, parts) => {
      nodes.push(document.createTextNode(part + (i < parts.length - 1 ? "/" : "")));
      if (i < parts.length - 1) nodes.push(document.createElement("wbr"));
    });
    return nodes;
  }

  function openViewer(index) {
    const r = results[index];
    if (!r) return;
    viewing = index;
    select(index, false);
    els.viewerImg.removeAttribute("src");
    stopVideo();
    const video = isVideo(r);
    els.viewerImg.classList.toggle("hidden", video);
    els.viewerVideo.classList.toggle("hidden", !video);
    if (video) {
      playFrom(r);
    } else {
      els.viewerImg.alt = baseName(r.path);
      setImage(els.viewerImg, viewUrl(r));
    }
    els.viewerPath.replaceChildren(...breakablePath(r.path || ""));
    const dims = r.width && r.height ? `${r.width} × ${r.height} px` : "";
    const score = typeof r.score === "number" ? `score ${r.score.toFixed(3)}` : "";
    const length = video ? `video ${clock(r.duration)}` : "";
    const at = video && typeof r.time === "number" ? `best frame at ${clock(r.time)}` : "";
    els.viewerInfo.textContent = [dims, length, formatBytes(r.size), score, at]
      .filter(Boolean).join(" · ");
    els.viewerOpen.href = imageUrl(r.id);
    els.viewerOpen.classList.toggle("hidden", Boolean(token));
    els.viewerPrev.disabled = index === 0;
    els.viewerNext.disabled = index === results.length - 1;
    if (!els.viewer.open) els.viewer.showModal();
    els.viewerClose.focus();
  }

  // Plays a video result from the time of its best frame (the server answers Range requests,
  // so the browser seeks without downloading the whole file).
  function playFrom(r) {
    const v = els.viewerVideo;
    const start = typeof r.time === "number" ? r.time : 0;
    v.addEventListener("loadedmetadata", () => {
      v.currentTime = start;
      v.play().catch(() => { /* autoplay refused: the controls are there */ });
    }, { once: true });
    setImage(v, imageUrl(r.id));
  }

  function stopVideo() {
    const v = els.viewerVideo;
    v.pause();
    v.removeAttribute("src");
    v.load();
  }

  function closeViewer(refocus = true) {
    stopVideo();
    if (!refocus) viewing = -1;
    if (els.viewer.open) els.viewer.close();
  }

  function step(delta) {
    const next = viewing + delta;
    if (next >= 0 && next < results.length) openViewer(next);
  }

  function onViewerKey(e) {
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      e.preventDefault();
      step(e.key === "ArrowRight" ? 1 : -1);
    } else if (e.key === "m" || e.key === "M") {
      searchLike(results[viewing]);
    }
  }

  function onGridKey(e) {
    const inSearch = document.activeElement === els.q;
    if (inSearch) {
      if (e.key === "ArrowDown" && results.length) {
        e.preventDefault();
        select(0);
      }
      return;
    }
    const cols = columns();
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols };
    if (e.key in moves) {
      e.preventDefault();
      if (selected < 0) { select(0); return; }
      const next = selected + moves[e.key];
      if (next < 0) els.q.focus();
      else select(Math.min(next, results.length - 1));
    } else if ((e.key === "m" || e.key === "M") && selected >= 0) {
      searchLike(results[selected]);
    }
  }

  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    // Keys for the input method (arrows pick a candidate, Escape cancels), not for the page.
    if (composing || e.isComposing || e.keyCode === 229) return;
    if (els.viewer.open) { onViewerKey(e); return; }  // Escape: the dialog closes itself
    const typing = document.activeElement && document.activeElement.matches("input, textarea");
    if (e.key === "/" && !typing) {
      e.preventDefault();
      els.q.focus();
      els.q.select();
    } else if (e.key === "Escape") {
      if (typing && els.q.value) return;  // the search box clears itself
      els.q.focus();
    } else if (results.length && (!typing || document.activeElement === els.q)) {
      onGridKey(e);
    }
  });

  // ---- wiring ----
  els.form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (composing) return;  // the Enter that picks an input-method candidate
    clearTimeout(debounceTimer);
    searchText(els.q.value);
  });
  // Input-method composition (pinyin, kana, hangul...): between compositionstart and
  // compositionend the box holds provisional text ("hong" before it becomes 红), so no search
  // fires; one does after compositionend. Browsers order the last input event and compositionend
  // differently (Chrome: input first; Safari: compositionend first), so both only restart the
  // debounce timer and the search runs once.
  function searchSoon() {
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(() => searchText(els.q.value), DEBOUNCE_MS);
  }
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
  els.file.addEventListener("change", () => {
    if (els.file.files.length) searchImage(els.file.files[0]);
    els.file.value = "";
  });
  els.clearImage.addEventListener("click", clearImage);
  // A file the browser cannot show (the server will say why) leaves no broken-image icon.
  els.queryThumb.addEventListener("error", () => els.queryThumb.classList.add("hidden"));
  els.retry.addEventListener("click", () => runSearch());
  els.more.addEventListener("click", () => runSearch(true));
  els.viewerClose.addEventListener("click", () => closeViewer());
  els.viewerPrev.addEventListener("click", () => step(-1));
  els.viewerNext.addEventListener("click", () => step(1));
  els.viewerLike.addEventListener("click", () => searchLike(results[viewing]));
  // The dialog gives the focus back to the card it was opened from; move it to the last one shown.
  els.viewer.addEventListener("close", () => {
    stopVideo();
    if (viewing >= 0) select(viewing);
  });
  els.viewer.addEventListener("click", (e) => {
    if (e.target === els.viewer || e.target.tagName === "FIGURE") closeViewer();
  });
  els.tokenForm.addEventListener("submit", (e) => {
    e.preventDefault();
    token = els.token.value.trim();
    sessionStorage.setItem("clipsearch-token", token);
    els.tokenForm.classList.add("hidden");
    loadStatus();
    if (query) runSearch();
  });

  // Dropped and pasted pictures. dragenter/dragleave fire for every child element crossed,
  // hence the depth count.
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

  showIdle();
  loadStatus();
  restore();
})();
