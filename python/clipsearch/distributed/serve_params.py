"""The parameters of /api/search as `clipsearch serve` reads them (src/server/search_service.cpp,
set_field/query_from_json; dates and sizes as clipsearch/query.h's parse_query_date and
parse_query_size), into MilvusLibrary.search_rows() keywords. Same names, ranges and error
texts, so the page and clients get the same 400s."""
import calendar
import json
import math
import re
from typing import Any, Dict, List, Optional, Tuple

MAX_K = 1000  # SearchServiceOptions::max_k
MAX_ID = 2**53 - 1


class ApiError(Exception):
    """An answer other than 200: its HTTP status and {"error": message}."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _number(name: str, text: str, lo: float, hi: float) -> float:
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not text or not math.isfinite(v) or text.strip() != text:
        raise ApiError(400, f"'{name}' must be a number, got '{text}'")
    if v < lo or v > hi:
        raise ApiError(400, f"'{name}' must be between {lo:.6f} and {hi:.6f}")
    return v


def parse_date(text: str, end_of_day: bool) -> int:
    """As query_values.cpp: strptime("%Y-%m-%d"), then "T" or " " and "%H:%M:%S", then
    timegm (UTC; a day past the month's end carried over: 2019-02-30 is March 2nd)."""
    day = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if not day or not (1 <= int(day.group(2)) <= 12 and 1 <= int(day.group(3)) <= 31):
        raise ApiError(400, f"date '{text}': expected YYYY-MM-DD")
    fields, rest = [int(v) for v in day.groups()], text[day.end():]
    clock = re.match(r"[T ](\d{1,2}):(\d{1,2}):(\d{1,2})", rest)
    if rest[:1] in ("T", " "):
        if not clock or not (int(clock.group(1)) <= 23 and int(clock.group(2)) <= 59 and
                             int(clock.group(3)) <= 61):
            raise ApiError(400, f"date '{text}': expected YYYY-MM-DDTHH:MM:SS")
        rest = rest[clock.end():]
    if rest:
        raise ApiError(400, f"date '{text}': unexpected '{rest}'")
    times = [int(v) for v in clock.groups()] if clock else [0, 0, 0]
    seconds = calendar.timegm(tuple(fields + times))
    whole_day = end_of_day and clock is None
    return (seconds + (86400 - 1 if whole_day else 0)) * 1_000_000_000 + \
        (999_999_999 if whole_day else 0)


_UNITS = {"": 1, "B": 1, "K": 1024, "k": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2,
          "G": 1024**3, "GB": 1024**3}


def parse_size(text: str) -> int:
    m = re.match(r"(\d+(?:\.\d*)?)", text)
    if not m or m.group(1).endswith("."):
        raise ApiError(400, f"size '{text}': expected a number of bytes, e.g. 500K or 2M")
    unit = text[m.end():]
    if unit not in _UNITS:
        raise ApiError(400, f"size '{text}': unknown unit")
    value = float(m.group(1)) * _UNITS[unit]
    if value > 4.6e18:
        raise ApiError(400, f"size '{text}': must be at most 4 EB")
    return int(value)


def _filter(q: Dict[str, Any], name: str, value: str) -> None:
    try:
        if name in ("since", "until"):
            q[name] = parse_date(value, name == "until")
        elif name in ("min_size", "max_size"):
            q[name] = parse_size(value)
    except ApiError as e:
        raise ApiError(400, f"'{name}': {e}") from e
    if name == "type":
        q.setdefault("format", []).extend(t for t in value.split(",") if t)
    elif name == "camera":
        q.setdefault("camera", []).append(value)
    elif name == "sort":
        if value not in ("score", "relevance", "date", "date-oldest"):
            raise ApiError(400, f"'sort': sort order '{value}': expected score, date or "
                           "date-oldest")
        q["sort"] = "score" if value == "relevance" else value


def set_field(q: Dict[str, Any], name: str, value: str) -> None:
    """One parameter from the query string or a multipart field; unknown ones are ignored, as
    browsers add their own."""
    if name in ("since", "until", "min_size", "max_size", "type", "camera", "sort"):
        _filter(q, name, value)
    elif name in ("q", "text"):
        q.setdefault("text", []).append(value)
    elif name == "not":
        q.setdefault("negative", []).append(value)
    elif name == "folder":
        q["folder"] = value
    elif name == "color":
        q["color"] = value
    elif name == "color_weight":
        q["color_weight"] = _number(name, value, 0, 1)
    elif name in ("k", "offset", "like"):
        # Ids are row_id()'s 53 bits, above the 1e15 the C++ server allows its catalog's ids.
        hi = MAX_K if name == "k" else 1e15 if name == "offset" else MAX_ID
        v = _number(name, value, 1 if name == "k" else 0, hi)
        if v != math.floor(v):
            raise ApiError(400, f"'{name}' must be an integer")
        if name == "like":
            q.setdefault("like", []).append(int(v))
        else:
            q[name] = int(v)
    elif name in ("image_weight", "not_weight", "min_score"):
        lo, hi = (-1, 1) if name == "min_score" else (0, 1 if name == "image_weight" else 10)
        key = {"not_weight": "negative_weight"}.get(name, name)
        q[key] = _number(name, value, lo, hi)


def from_pairs(pairs: List[Tuple[str, str]]) -> Dict[str, Any]:
    q: Dict[str, Any] = {"k": 20}
    for name, value in pairs:
        set_field(q, name, value)
    return q


def _strings(j: Dict[str, Any], key: str) -> List[str]:
    v = j.get(key)
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list):
        raise ApiError(400, f"'{key}' must be a string or a list")
    if not all(isinstance(s, str) for s in v):
        raise ApiError(400, f"'{key}' must hold strings")
    return v


def from_json(body: bytes) -> Dict[str, Any]:
    try:
        j = json.loads(body or b"null")
    except ValueError as e:
        raise ApiError(400, "the request body is not valid JSON") from e
    if not isinstance(j, dict):
        raise ApiError(400, "the request body must be a JSON object")
    q: Dict[str, Any] = {"k": 20}
    texts = _strings(j, "q") + _strings(j, "texts")
    if texts:
        q["text"] = texts
    if "not" in j:
        q["negative"] = _strings(j, "not")
    for key in ("folder", "color", "since", "until", "min_size", "max_size", "sort"):
        if key in j:
            if not isinstance(j[key], str):
                raise ApiError(400, f"'{key}' must be a string")
            set_field(q, key, j[key])
    for t in _strings(j, "type"):
        _filter(q, "type", t)
    for c in _strings(j, "camera"):
        q.setdefault("camera", []).append(c)
    if "like" in j:
        like = j["like"]
        ids = like if isinstance(like, list) else [like]
        if not isinstance(like, (int, list)) or isinstance(like, bool):
            raise ApiError(400, "'like' must be an image id or a list of ids")
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ApiError(400, "'like' must hold image ids")
        q["like"] = ids
    for key in ("k", "offset", "image_weight", "not_weight", "min_score", "color_weight"):
        if key in j:
            if isinstance(j[key], bool) or not isinstance(j[key], (int, float)):
                raise ApiError(400, f"'{key}' must be a number")
            set_field(q, key, json.dumps(j[key]))
    return q


def image_id(text: str) -> Optional[int]:
    """A path's {id}: a non-negative integer, else None."""
    return int(text) if re.fullmatch(r"\d{1,18}", text) else None
