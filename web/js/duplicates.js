// The duplicates view: groups of near-identical pictures at a threshold the user picks
// (GET /api/duplicates?threshold=), side by side with their sizes, dimensions and dates, to
// review. Nothing is ever deleted from here: a group's paths can be copied, to act on elsewhere.
import { $, baseName, el, formatBytes, formatDate, getJson, releaseBlobs, setImage,
  thumbUrl } from "./api.js";

const els = {
  view: $("duplicates-view"), threshold: $("dup-threshold"), thresholdText: $("dup-threshold-text"),
  find: $("dup-find"), message: $("dup-message"), groups: $("dup-groups"),
};
let hooks = { view: () => {}, address: () => {} };
let generation = 0;

function say(text, state = "ready") {
  els.message.textContent = text;
  els.view.dataset.state = state;
}

export function setThreshold(value) {
  const t = Number(value);
  if (Number.isFinite(t) && t >= 0.5 && t <= 1) els.threshold.value = String(t);
  els.thresholdText.textContent = Number(els.threshold.value).toFixed(2);
}

export async function findDuplicates() {
  const threshold = els.threshold.value;
  const mine = ++generation;
  hooks.address(threshold);
  releaseBlobs();
  els.groups.replaceChildren();
  say("Comparing every picture with every other…", "loading");
  try {
    const body = await getJson("/api/duplicates?threshold=" + encodeURIComponent(threshold));
    if (mine !== generation) return;
    els.groups.replaceChildren(...body.groups.map(group));
    const pictures = body.groups.reduce((n, g) => n + g.size, 0);
    say(body.groups.length
      ? `${body.groups.length} groups, ${pictures} pictures, at similarity ${threshold} or more`
      : `No near-duplicates at similarity ${threshold} or more.`);
  } catch (e) {
    if (mine === generation) say(e.message, "error");
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
}
