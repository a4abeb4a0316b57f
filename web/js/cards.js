// One result as a card: thumbnail (loaded lazily, as it scrolls near), score, name, size and
// "More like this". The search grid, album pages and duplicate groups all show pictures so.
import { baseName, clock, el, formatBytes, isVideo, setImage, thumbUrl } from "./api.js";

// `actions`: {open(index), like(result), focus(index)}; any may be absent.
export function card(r, index, actions) {
  const img = el("img", { loading: "lazy", decoding: "async", alt: baseName(r.path) });
  setImage(img, thumbUrl(r.id));
  const thumb = el("button", { type: "button", className: "thumb", title: r.path || "" }, img,
    typeof r.score === "number"
      ? el("span", { className: "score", title: "similarity score", textContent: r.score.toFixed(3) })
      : null,
    isVideo(r) ? videoBadge(r) : null);
  if (actions.open) thumb.addEventListener("click", () => actions.open(index));
  if (actions.focus) thumb.addEventListener("focus", () => actions.focus(index));
  const details = el("span", {
    className: "details", title: formatBytes(r.size),
    textContent: r.width && r.height ? `${r.width}×${r.height}` : "",
  });
  const meta = el("div", { className: "meta" },
    el("span", { className: "name", lang: "", textContent: baseName(r.path) }), details);
  if (actions.like) {
    const like = el("button", {
      type: "button", className: "like", textContent: "More like this",
      "aria-label": "More like " + baseName(r.path),
    });
    like.addEventListener("click", () => actions.like(r));
    meta.append(like);
  }
  return el("li", { className: "card", dataset: { index, id: r.id } }, thumb, meta);
}

function videoBadge(r) {
  const at = typeof r.time === "number";
  return el("span", {
    className: "badge", textContent: "▶ " + clock(at ? r.time : r.duration),
    title: at ? "video: the best frame is at this time" : "video",
  });
}
