// The duplicates view: groups of near-identical pictures at a threshold the user picks, side by
// side with their sizes, dimensions and dates, to review. The n^2 scan runs as a background job
// (POST /api/jobs {kind: "duplicates"}, jobs.js) whose progress shows and which can be cancelled.
// Nothing is ever deleted from here: a group's paths can be copied, to act on elsewhere.
import { $, baseName, el, formatBytes, formatDate, releaseBlobs, setImage,
  thumbUrl } from "./api.js";
import { JobCancelled, showProgress, startJob } from "./jobs.js";

const els = {
  view: $("duplicates-view"), threshold: $("dup-threshold"), thresholdText: $("dup-threshold-text"),
  find: $("dup-find"), message: $("dup-message"), groups: $("dup-groups"),
  progress: $("dup-progress"), progressText: $("dup-progress-text"), cancel: $("dup-cancel"),
};
let hooks = { view: () => {}, address: () => {} };
let running = null;  // the scan's job while it runs

function say(text, state = "ready") {
  els.message.textContent = text;
  els.view.dataset.state = state;
}

export function setThreshold(value) {
  const t = Number(value);
  if (Number.isFinite(t) && t >= 0.5 && t <= 1) els.threshold.value = String(t);
  els.thresholdText.textContent = Number(els.threshold.value).toFixed(2);
}

function showRunning(on) {
  els.cancel.classList.toggle("hidden", !on);
  els.progress.classList.toggle("hidden", !on);
  if (!on) els.progressText.textContent = "";
}

// Starts a scan at the chosen threshold (one that still runs is cancelled: the newer wins).
export async function findDuplicates() {
  const threshold = els.threshold.value;
  if (running) running.cancel();
  hooks.address(threshold);
  releaseBlobs();
  els.groups.replaceChildren();
  say("Comparing every picture with every other…", "loading");
  const mine = startJob({ kind: "duplicates", threshold: Number(threshold) },
    (p) => { if (running === mine) showProgress(els.progress, els.progressText, p, "blocks"); });
  running = mine;
  showRunning(true);
  showProgress(els.progress, els.progressText, { done: 0, total: 0 }, "blocks");
  try {
    const body = await mine.done;
    if (running !== mine) return;
    els.groups.replaceChildren(...body.groups.map(group));
    const pictures = body.groups.reduce((n, g) => n + g.size, 0);
    say(body.groups.length
      ? `${body.groups.length} groups, ${pictures} pictures, at similarity ${threshold} or more`
      : `No near-duplicates at similarity ${threshold} or more.`);
  } catch (e) {
    if (running !== mine) return;
    if (e instanceof JobCancelled) say("Cancelled.");
    else say(e.message, "error");
  } finally {
    if (running === mine) {
      running = null;
      showRunning(false);
    }
  }
}

function group(g, n) {
  const paths = g.images.map((r) => r.path).join("\n");
  const copy = el("button", { type: "button", className: "button small copy",
    textContent: "Copy paths" });
  copy.addEventListener("click", () => copyText(paths, copy));
  return el("li", { className: "dup-group", dataset: { size: g.size } },
    el("div", { className: "dup-head" },
      el("span", { textContent: `Group ${n + 1}: ${g.size} pictures, similarity ≥ ` +
        g.min_similarity.toFixed(3) }), copy),
    el("ul", { className: "dup-row" }, ...g.images.map((r, i) => picture(g.images, r, i))));
}

function picture(images, r, index) {
  const img = el("img", { loading: "lazy", decoding: "async", alt: baseName(r.path) });
  setImage(img, thumbUrl(r.id));
  const open = el("button", { type: "button", className: "thumb", title: r.path,
    "aria-label": "Open " + baseName(r.path) }, img);
  open.addEventListener("click", () => hooks.view(images, index));
  return el("li", { className: "dup", dataset: { id: r.id } }, open,
    el("span", { className: "dup-path", lang: "", textContent: r.path }),
    el("span", { className: "dup-facts", textContent: [
      r.width && r.height ? `${r.width}×${r.height}` : "", formatBytes(r.size), r.format,
      formatDate(r.date)].filter(Boolean).join(" · ") }));
}

// The clipboard API needs a secure context (https or localhost); elsewhere the paths are
// selected in a text box for the user to copy.
async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch (_) {
    const box = el("textarea", { className: "copy-box", readOnly: true, value: text });
    button.replaceWith(box);
    box.select();
  }
}

// `view(list, index)` opens the viewer; `address(threshold)` keeps the threshold there.
export function initDuplicates(callbacks) {
  hooks = callbacks;
  els.threshold.addEventListener("input", () => setThreshold(els.threshold.value));
  els.find.addEventListener("click", findDuplicates);
  els.cancel.addEventListener("click", () => running && running.cancel());
}
