// The full view of one picture (or video, played from its best frame): its path, size and
// date; "More like this" (and "in this colour"); its classification against labels the user
// types (POST /api/classify) and its similarity to texts typed there (POST /api/similarity).
// Arrow keys or the side buttons step through the list it was opened from.
import { $, baseName, breakablePath, clock, el, formatBytes, formatDate, hasToken, imageUrl,
  isVideo, postJson, setImage, viewUrl } from "./api.js";

const els = {
  viewer: $("viewer"), img: $("viewer-img"), video: $("viewer-video"), path: $("viewer-path"),
  info: $("viewer-info"), like: $("viewer-like"), likeColor: $("viewer-like-color"),
  open: $("viewer-open"), close: $("viewer-close"), prev: $("viewer-prev"),
  next: $("viewer-next"), labelsForm: $("viewer-labels-form"), labels: $("viewer-labels"),
  textsForm: $("viewer-texts-form"), texts: $("viewer-texts"), scores: $("viewer-scores"),
};

let list = [];     // the results it steps through
let viewing = -1;  // index shown
let onClose = () => {};
let actions = { like: () => {}, likeInColor: () => {} };

export const isOpen = () => els.viewer.open;
export const viewingIndex = () => viewing;

// Opens `items[index]`; `closed(index)` is told which one was shown last.
export function openViewer(items, index, closed = () => {}) {
  const r = items[index];
  if (!r) return;
  list = items;
  viewing = index;
  onClose = closed;
  els.img.removeAttribute("src");
  stopVideo();
  const video = isVideo(r);
  els.img.classList.toggle("hidden", video);
  els.video.classList.toggle("hidden", !video);
  if (video) {
    playFrom(r);
  } else {
    els.img.alt = baseName(r.path);
    setImage(els.img, viewUrl(r));
  }
  els.path.replaceChildren(...breakablePath(r.path || ""));
  const dims = r.width && r.height ? `${r.width} × ${r.height} px` : "";
  const score = typeof r.score === "number" ? `score ${r.score.toFixed(3)}` : "";
  const length = video ? `video ${clock(r.duration)}` : "";
  const at = video && typeof r.time === "number" ? `best frame at ${clock(r.time)}` : "";
  els.info.textContent = [dims, length, formatBytes(r.size), formatDate(r.date), score, at]
    .filter(Boolean).join(" · ");
  els.open.href = imageUrl(r.id);
  els.open.classList.toggle("hidden", hasToken());
  els.prev.disabled = index === 0;
  els.next.disabled = index === list.length - 1;
  els.scores.replaceChildren();
  if (!els.viewer.open) els.viewer.showModal();
  els.close.focus();
}

// Plays a video result from the time of its best frame (the server answers Range requests,
// so the browser seeks without downloading the whole file).
function playFrom(r) {
  const v = els.video;
  const start = typeof r.time === "number" ? r.time : 0;
  v.addEventListener("loadedmetadata", () => {
    v.currentTime = start;
    v.play().catch(() => { /* autoplay refused: the controls are there */ });
  }, { once: true });
  setImage(v, imageUrl(r.id));
}

function stopVideo() {
  const v = els.video;
  v.pause();
  v.removeAttribute("src");
  v.load();
}

// `refocus`: the list it was opened from gets the focus back (not when it is being replaced).
export function closeViewer(refocus = true) {
  if (!refocus) onClose = () => {};
  stopVideo();
  if (els.viewer.open) els.viewer.close();
}

export function step(delta) {
  const next = viewing + delta;
  if (next >= 0 && next < list.length) openViewer(list, next, onClose);
}

export const current = () => list[viewing];

// ---- labels and texts ----
// "beach, city, forest" -> ["beach", "city", "forest"].
const splitList = (text) => text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);

// Rows of a text and its score, with a bar for the share.
function showScores(title, rows) {
  els.scores.replaceChildren(el("h3", { textContent: title }), el("ol", {},
    ...rows.map(({ text, value, share }) => el("li", {},
      el("span", { className: "label", lang: "", textContent: text }),
      el("progress", { max: 1, value: share }),
      el("span", { className: "value", textContent: value }))),
  ));
}

async function ask(form, run) {
  const r = current();
  if (!r) return;
  const button = form.querySelector("button");
  button.disabled = true;
  els.scores.replaceChildren(el("p", { className: "working", textContent: "Working…" }));
  try {
    await run(r);
  } catch (e) {
    els.scores.replaceChildren(el("p", { className: "error", textContent: e.message }));
  } finally {
    button.disabled = false;
  }
}

async function classify(r) {
  const labels = splitList(els.labels.value);
  const body = await postJson("/api/classify", { id: r.id, labels, top_k: labels.length || 1 });
  showScores("Labels", body.labels.map((l) => ({
    text: l.label, value: `${(l.probability * 100).toFixed(1)}%`, share: l.probability,
  })));
}

async function similarity(r) {
  const texts = splitList(els.texts.value);
  const body = await postJson("/api/similarity", { id: r.id, texts });
  const rows = body.texts.slice().sort((a, b) => b.cosine - a.cosine);
  showScores("Similarity", rows.map((t) => ({
    text: t.text, value: t.cosine.toFixed(3), share: Math.max(0, Math.min(1, t.cosine / 0.4)),
  })));
}

export function initViewer(callbacks) {
  actions = callbacks;
  els.close.addEventListener("click", () => closeViewer());
  els.prev.addEventListener("click", () => step(-1));
  els.next.addEventListener("click", () => step(1));
  els.like.addEventListener("click", () => actions.like(current()));
  els.likeColor.addEventListener("click", () => actions.likeInColor(current()));
  els.labelsForm.addEventListener("submit", (e) => {
    e.preventDefault();
    ask(els.labelsForm, classify);
  });
  els.textsForm.addEventListener("submit", (e) => {
    e.preventDefault();
    ask(els.textsForm, similarity);
  });
  // The dialog gives the focus back to the card it was opened from; the caller moves it to the
  // last one shown.
  els.viewer.addEventListener("close", () => {
    stopVideo();
    onClose(viewing);
  });
  els.viewer.addEventListener("click", (e) => {
    if (e.target === els.viewer || e.target.tagName === "FIGURE") closeViewer();
  });
}
