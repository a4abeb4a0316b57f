"""The answers of the Milvus-backed server, byte for byte in the shapes `clipsearch serve`
writes them (src/server/api_params.cpp image_fields_json, search_service.cpp run_search and
status, static_assets.cpp, image_responses.cpp)."""
import json
import mimetypes
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

Headers = List[Tuple[str, str]]

_IMAGE_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
                "webp": "image/webp", "bmp": "image/bmp", "tiff": "image/tiff",
                "heif": "image/heif", "avif": "image/avif"}


@dataclass
class Answer:
    status: int
    body: bytes
    headers: Headers = field(default_factory=list)


def json_answer(value: Any, status: int = 200) -> Answer:
    return Answer(status, json.dumps(value, ensure_ascii=False).encode("utf-8"),
                  [("Content-Type", "application/json")])


def error(status: int, message: str) -> Answer:
    return json_answer({"error": message}, status)


def _seconds(ns: int) -> int:
    """ns / 10**9 rounded toward zero, as C++ integer division."""
    return -((-ns) // 1_000_000_000) if ns < 0 else ns // 1_000_000_000


def hit_json(row: Dict[str, Any]) -> Dict[str, Any]:
    out = {"id": row["id"], "path": row["path"], "width": row["width"],
           "height": row["height"], "size": row["size"], "format": row["format"],
           "date": _seconds(row["taken_ns"])}
    if row.get("camera"):
        out["camera"] = row["camera"]
    out["score"] = row["score"]
    return out


def search(rows: List[Dict[str, Any]], candidates: int, query_ms: float) -> Answer:
    # "kept" (how many pass min_score on all pages) is left out: the page then counts "total".
    # "total" is left out when the candidates were not counted (-1): the page then shows the
    # results without a count, as it does for an unknown "kept".
    answer = {"results": [hit_json(r) for r in rows], "total": candidates,
              "score_kind": "cosine", "query_ms": query_ms, "cached": False}
    if candidates < 0:
        del answer["total"]
    return json_answer(answer)


def status(model: Dict[str, Any], images: int, index: str, uptime_s: float, uri: str,
           collection: str, devices: Dict[str, str]) -> Dict[str, Any]:
    """/api/status's members; what a collection has no notion of (failures, rescans, caches)
    is empty or zero, and "milvus" says where the rows are. devices: where the query model's
    towers run ({"image", "text"}, as `clipsearch serve` says)."""
    return {"model": model.get("name", ""), "precision": model.get("precision", ""),
            "images": images, "errors": 0, "failures": [], "kinds": [], "folders": [],
            "generation": 0, "index": index, "devices": devices, "uptime_seconds": uptime_s,
            "indexing": {"running": False, "done": 0, "total": 0, "failed": 0, "runs": 0,
                         "last_result": ""},
            "text_cache": {"hits": 0, "misses": 0, "size": 0},
            "result_cache": {"hits": 0, "misses": 0, "shared_hits": 0},
            "pictures_embedded": 0, "jobs": [],
            # A collection holds FLOAT_VECTOR rows: what Milvus scans is float32, never the
            # local compact store.
            "vector_store": {"kind": "f32"},
            "milvus": {"uri": uri, "collection": collection}}


def folder_counts(rows: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Every folder holding images and its parents up to the folder all of them share (a
    collection has no root folder), with the images under each, ascending by path."""
    counts: Counter = Counter()
    folders = [os.path.dirname(r["path"]) for r in rows]
    if not folders:
        return []
    top = os.path.commonpath(folders)
    for folder in folders:
        while True:
            counts[folder] += 1
            if folder == top or folder == os.path.dirname(folder):
                break
            folder = os.path.dirname(folder)
    return [{"path": p, "images": n} for p, n in sorted(counts.items())]


def camera_counts(rows: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    counts = Counter(r["camera"] for r in rows if r["camera"])
    return [{"camera": c, "images": n} for c, n in sorted(counts.items())]


def etag(data: bytes) -> str:
    """static_assets.cpp content_etag: FNV-1a 64 of the bytes."""
    h = 14695981039346656037
    for c in data:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return f'"{h:016x}"'


_STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
                 ".json": "application/json"}


def static(name: str, data: bytes, if_none_match: Optional[str]) -> Answer:
    tag = etag(data)
    headers = [("ETag", tag), ("Cache-Control", "no-cache")]
    if if_none_match and (tag in if_none_match or "*" in if_none_match):
        return Answer(304, b"", headers)
    kind = _STATIC_TYPES.get(os.path.splitext(name)[1], "application/octet-stream")
    return Answer(200, data, [("Content-Type", kind)] + headers)


def image_file(path: str) -> Answer:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return error(404, "file not found")
    kind = _sniff(data[:16]) or mimetypes.guess_type(path)[0]
    headers = [("Content-Type", kind or "application/octet-stream"),
               ("Cache-Control", "private, max-age=3600")]
    if kind is None:
        headers.append(("Content-Disposition", "attachment"))
    return Answer(200, data, headers)


def _sniff(head: bytes) -> Optional[str]:
    if head.startswith(b"\xff\xd8\xff"):
        return _IMAGE_TYPES["jpeg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _IMAGE_TYPES["png"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _IMAGE_TYPES["webp"]
    if head[:4] in (b"GIF8",):
        return _IMAGE_TYPES["gif"]
    return None


def thumbnail(cache, row: Dict[str, Any], size: int, if_none_match: Optional[str]) -> Answer:
    if not os.path.isfile(row["path"]):
        return error(404, f"image {row['id']}: file not found")
    from ..errors import ClipsearchError
    try:
        path = cache.get(row["id"], row["path"], size)
    except ClipsearchError as e:
        return error(422, f"image {row['id']}: {e}")
    tag = '"' + os.path.splitext(os.path.basename(path))[0] + '"'
    headers = [("ETag", tag), ("Cache-Control", "private, max-age=86400")]
    if if_none_match and tag in if_none_match:
        return Answer(304, b"", headers)
    with open(path, "rb") as f:
        return Answer(200, f.read(), [("Content-Type", "image/jpeg")] + headers)
