// What the server knows about its library (GET /api/status): the header's line (images, model,
// indexing progress) and the status view: counts by type, folders, model and precision, the
// files that failed with their errors, and a rescan (POST /api/index) with its progress live.
import { $, api, baseName, el, getJson } from "./api.js";

const POLL_MS = 1000;
const els = {
  line: $("status"), view: $("status-view"), facts: $("status-facts"), kinds: $("status-kinds"),
  folders: $("status-folders"), failures: $("status-failures"), rescan: $("rescan"),
  progress: $("rescan-progress"), progressText: $("rescan-text"),
};
let listeners = [];
let polling = 0;

// `fn(status)` after each answer.
export function onStatus(fn) { listeners.push(fn); }

export async function loadStatus() {
  try {
    const s = await getJson("/api/status");
    showLine(s);
    showView(s);
    listeners.forEach((fn) => fn(s));
    clearTimeout(polling);
    if (s.indexing && s.indexing.running) polling = setTimeout(loadStatus, POLL_MS);
  } catch (e) {
    els.line.textContent = "";
  }
}

function showLine(s) {
  const n = typeof s.images === "number" ? s.images.toLocaleString("en") : "?";
  const model = baseName(String(s.model ?? "").replace(/\/+$/, ""));
  let text = `${n} images · ${model}`;
  els.line.title = `model: ${s.model ?? "?"}`;
  const ix = s.indexing;
  if (ix && ix.running) text += ` · indexing ${ix.done ?? 0}/${ix.total ?? "?"}`;
  els.line.textContent = text;
}

const fact = (name, value) => [el("dt", { textContent: name }),
  el("dd", { textContent: String(value ?? "") })];

function showView(s) {
  const ix = s.indexing || {};
  els.facts.replaceChildren(
    ...fact("Indexed", s.images), ...fact("Failed", s.errors), ...fact("Model", s.model),
    ...fact("Precision", s.precision), ...fact("Search", s.index),
    ...fact("Last rescan", ix.runs ? ix.last_result || "done" : "none since the server started"));
  els.kinds.replaceChildren(...(s.kinds || []).map((k) =>
    el("li", { textContent: `${k.format}: ${k.items}${k.video ? " (video)" : ""}` })));
  els.folders.replaceChildren(...(s.folders || []).map((f) =>
    el("li", { lang: "", textContent: f })));
  els.failures.replaceChildren(...(s.failures || []).map((f) => el("li", {},
    el("span", { className: "failure-path", lang: "", textContent: f.path }),
    el("span", { className: "failure-error", textContent: f.error }))));
  if (!s.failures || !s.failures.length) {
    els.failures.append(el("li", { className: "none", textContent: "No file failed." }));
  }
  const running = Boolean(ix.running);
  els.view.dataset.indexing = running ? "running" : "idle";
  els.progress.classList.toggle("hidden", !running);
  els.progress.max = Math.max(1, ix.total || 0);
  els.progress.value = ix.done || 0;
  els.progressText.textContent = running ? `Indexing ${ix.done ?? 0} of ${ix.total ?? "?"}` +
    (ix.failed ? `, ${ix.failed} failed` : "") : "";
  els.rescan.disabled = running;
}

async function rescan() {
  els.rescan.disabled = true;
  try {
    await api("/api/index", { method: "POST" });
    els.progressText.textContent = "Rescan started…";
  } catch (e) {
    els.progressText.textContent = e.message;
  }
  loadStatus();
}

export function initStatus() {
  els.rescan.addEventListener("click", rescan);
}
