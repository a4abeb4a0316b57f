// The server's HTTP API as the page calls it, and the small helpers every view shares (URLs of
// pictures, sizes and times as text, element building). Plain JavaScript, no libraries.
//
// With a server token (#token=... in the address, or typed when asked), every call sends
// "Authorization: Bearer"; pictures are then fetched as blobs (an <img> cannot send headers).

const tokenListeners = [];
let token = sessionStorage.getItem("clipsearch-token") || "";

export const hasToken = () => Boolean(token);

export function setToken(value) {
  token = value;
  sessionStorage.setItem("clipsearch-token", token);
}

// Called when the server answers 401: the page shows its token form.
export function onTokenNeeded(fn) { tokenListeners.push(fn); }

export async function api(url, options = {}) {
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
    tokenListeners.forEach((fn) => fn());
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

export const getJson = async (url, options) => (await api(url, options)).json();

export const postJson = (url, body, signal) => getJson(url, {
  method: "POST", signal, headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

// ---- pictures ----
const blobUrls = new Set();

// Sets an <img> (or <video>) source; with a token the picture is fetched and shown as a blob.
export async function setImage(img, url) {
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

export function releaseBlobs() {
  for (const u of blobUrls) URL.revokeObjectURL(u);
  blobUrls.clear();
}

export const thumbUrl = (id) => `/api/thumbnails/${encodeURIComponent(id)}?size=256`;
export const imageUrl = (id) => `/api/images/${encodeURIComponent(id)}`;
// Formats browsers show as they are; the viewer shows the others (TIFF, HEIF, camera RAW) as
// the server's largest JPEG thumbnail.
const shownAsIs = new Set(["jpeg", "png", "gif", "webp", "bmp", "avif"]);
export const viewUrl = (r) => (shownAsIs.has(r.format) ? imageUrl(r.id)
  : `/api/thumbnails/${encodeURIComponent(r.id)}?size=1024`);

// ---- text ----
export const baseName = (path) => (path || "").split("/").pop();
export const isVideo = (r) => typeof r.duration === "number" && r.duration > 0;

// Seconds as m:ss (a video's matching frame, its length).
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function formatBytes(n) {
  if (typeof n !== "number") return "";
  const units = ["bytes", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// "2024-06-01" from the API's date (seconds since the epoch of a naive wall clock).
export function formatDate(seconds) {
  if (typeof seconds !== "number" || seconds <= 0) return "";
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

// The path as text nodes with a line-break opportunity after each "/" (long paths on phones).
export function breakablePath(path) {
  const nodes = [];
  path.split("/").forEach((part, i, parts) => {
    nodes.push(document.createTextNode(part + (i < parts.length - 1 ? "/" : "")));
    if (i < parts.length - 1) nodes.push(document.createElement("wbr"));
  });
  return nodes;
}

// An element with properties (className, textContent, type, title, ...) and children.
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("aria-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export const $ = (id) => document.getElementById(id);
