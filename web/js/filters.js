// The filter bar beside the search box: date range (of the date taken or modified), folder, type, camera, file size, order, a
// relevance cutoff with the number of results it keeps, and a colour with its weight. Each
// control maps to one parameter of /api/search (the same name in the address, except
// min -> min_score and cw -> color_weight), so the page asks exactly what the API documents.
//
// Folders come from GET /api/folders, cameras from GET /api/cameras (the camera list is hidden
// when no picture names one), types from GET /api/status (kinds).
import { $, el, getJson } from "./api.js";

const els = {
  bar: $("filters"), date: $("f-date"), since: $("f-since"), until: $("f-until"), folder: $("f-folder"),
  type: $("f-type"), camera: $("f-camera"), cameraLabel: $("f-camera-label"),
  minSize: $("f-min-size"), maxSize: $("f-max-size"), sort: $("f-sort"),
  min: $("f-min"), minText: $("f-min-text"), kept: $("f-kept"), colorOn: $("f-color-on"),
  color: $("f-color"), colorWeight: $("f-color-weight"), clear: $("f-clear"),
  count: $("filters-count"),
};
const DEFAULT_COLOR_WEIGHT = "0.3";
const CUTOFF_MS = 300;  // a dragged cutoff searches once it rests

// Text controls: address name -> element.
const texts = {
  since: els.since, until: els.until, folder: els.folder, type: els.type, camera: els.camera,
  min_size: els.minSize, max_size: els.maxSize,
};

let changed = () => {};
let cutoffTimer = 0;

// The filters as /api/search parameters (strings), only those set.
export function searchParams() {
  const out = {};
  for (const [name, input] of Object.entries(texts)) {
    if (input.value.trim()) out[name] = input.value.trim();
  }
  // The date the range filters on: taken unless said (the API's default), so only "modified".
  if ((out.since || out.until) && els.date.value === "modified") out.date = "modified";
  if (els.sort.value !== "score") out.sort = els.sort.value;
  if (Number(els.min.value) > 0) out.min_score = els.min.value;
  if (els.colorOn.checked) {
    out.color = els.color.value;
    out.color_weight = els.colorWeight.value;
  }
  return out;
}

// The same in the address's short names.
export function addressParams(params) {
  const p = searchParams();
  for (const [name, value] of Object.entries(p)) {
    params.set(name === "min_score" ? "min" : name === "color_weight" ? "cw" : name, value);
  }
}

export function restoreFrom(params) {
  for (const [name, input] of Object.entries(texts)) {
    const value = params.get(name) || "";
    if (input.tagName === "SELECT" && value && ![...input.options].some((o) => o.value === value)) {
      input.append(el("option", { value, textContent: value }));  // before the list arrives
    }
    input.value = value;
  }
  els.date.value = params.get("date") === "modified" ? "modified" : "taken";
  els.sort.value = ["date", "date-oldest"].includes(params.get("sort")) ? params.get("sort")
    : "score";
  const min = Number(params.get("min"));
  els.min.value = Number.isFinite(min) && min > 0 ? String(min) : "0";
  els.colorOn.checked = params.has("color");
  if (params.has("color")) els.color.value = params.get("color");
  els.colorWeight.value = params.get("cw") || DEFAULT_COLOR_WEIGHT;
  showCutoff();
  showCount();
}

// Turns the colour on ("more like this, in this colour").
export function useColor() {
  els.colorOn.checked = true;
  showCount();
}

// What the last search said the cutoff keeps (null: the answer did not say).
export function showKept(kept, loaded) {
  if (Number(els.min.value) <= 0) {
    els.kept.textContent = "";
  } else if (typeof kept === "number") {
    els.kept.textContent = `keeps ${kept.toLocaleString("en")}`;
  } else {
    els.kept.textContent = `keeps ${loaded}+`;
  }
}

function showCutoff() {
  const v = Number(els.min.value);
  els.minText.textContent = v > 0 ? v.toFixed(3) : "off";
}

function showCount() {
  const n = Object.keys(searchParams()).filter((k) => k !== "color_weight" && k !== "date")
    .length;
  els.count.textContent = n ? String(n) : "";
  els.bar.classList.toggle("active", n > 0);
}

function fire() {
  showCount();
  changed();
}

function fillSelect(select, rows, label) {
  const keep = select.value;
  select.replaceChildren(el("option", { value: "", textContent: label }),
    ...rows.map(([value, text]) => el("option", { value, textContent: text })));
  select.value = keep;
}

// The folder, camera and type lists, from the server.
export async function loadChoices(status) {
  try {
    const { folders } = await getJson("/api/folders");
    fillSelect(els.folder, folders.map((f) => [f.path, `${f.path} (${f.images})`]), "All folders");
    const { cameras } = await getJson("/api/cameras");
    fillSelect(els.camera, cameras.map((c) => [c.camera, `${c.camera} (${c.images})`]),
      "All cameras");
    els.cameraLabel.classList.toggle("hidden", cameras.length === 0 && !els.camera.value);
  } catch (_) { /* the search still works without the lists */ }
  const kinds = (status && status.kinds) || [];
  fillSelect(els.type, kinds.map((k) => [k.format, `${k.format} (${k.items})`]), "All types");
}

export function initFilters(onChange) {
  changed = onChange;
  for (const input of [...Object.values(texts), els.date, els.sort, els.colorOn, els.color,
    els.colorWeight]) {
    input.addEventListener("change", fire);
  }
  els.min.addEventListener("input", () => {
    showCutoff();
    clearTimeout(cutoffTimer);
    cutoffTimer = setTimeout(fire, CUTOFF_MS);
  });
  els.clear.addEventListener("click", () => {
    restoreFrom(new URLSearchParams());
    fire();
  });
}
