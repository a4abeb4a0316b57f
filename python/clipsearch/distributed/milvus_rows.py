"""The rows of a clipsearch Milvus collection: their ids and their checks.

A row is one indexed image, with what `clipsearch index` stores for it (docs/DISTRIBUTED.md):

    {"path": str, "embedding": float32 [dim] (unit length), "size": int (bytes),
     "mtime_ns": int (st_mtim, ns since the epoch),
     "taken_ns": int (the catalog's date_taken_ns: EXIF date taken read as if UTC, else the
                      mtime as local wall-clock time; what since/until filter on),
     "width": int, "height": int, "format": str ("jpeg", "png", ...), "camera": str ("" if none),
     "color": float32 [16] colour signature, or [] when none was computed}
"""
import hashlib
import math
from typing import Any, Dict

import numpy as np

from ..errors import QueryError

# JavaScript numbers hold integers exactly up to 2**53 - 1, and the web page reads ids from the
# JSON as numbers: a wider id would be rounded there and name another image.
ID_BITS = 53
MAX_PATH_BYTES = 4096  # PATH_MAX: the VARCHAR's max_length
MAX_FORMAT_BYTES = 32
MAX_CAMERA_BYTES = 512
COLOR_VALUES = 16  # image/color_signature.h: 16 float32 (docs/FORMATS.md, `color`)

INT_FIELDS = ("size", "mtime_ns", "taken_ns", "width", "height")
FIELDS = ("path", "embedding", "color", "format", "camera") + INT_FIELDS


def row_id(path: str) -> int:
    """The stable id of an image: the first 53 bits of the SHA-256 of its path's bytes (UTF-8).
    Non-negative, below 2**53 (exact in JavaScript), the same on every machine and run."""
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - ID_BITS)


def _utf8(row: Dict[str, Any], key: str, limit: int, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str):
        raise QueryError(f"{where}: '{key}' must be a str, got {type(value).__name__}",
                         "invalid argument")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise QueryError(f"{where}: '{key}' is not valid UTF-8 (Milvus stores UTF-8 text only)",
                         "invalid argument") from e
    if size > limit:
        raise QueryError(f"{where}: '{key}' has {size} bytes, at most {limit} fit",
                         "invalid argument")
    return value


def _vector(row: Dict[str, Any], key: str, sizes: tuple, where: str) -> np.ndarray:
    value = np.asarray(row.get(key), dtype=np.float32).reshape(-1)
    if value.size not in sizes:
        expected = " or ".join(str(s) for s in sizes)
        raise QueryError(f"{where}: '{key}' has {value.size} values, expected {expected}",
                         "invalid argument")
    if not np.all(np.isfinite(value)):
        raise QueryError(f"{where}: '{key}' holds a NaN or an infinity", "invalid argument")
    return value


def to_entity(row: Dict[str, Any], dim: int) -> Dict[str, Any]:
    """A row as the collection stores it (with its id), or QueryError naming the row's path and
    the field that is wrong."""
    if not isinstance(row, dict):
        raise QueryError(f"a row must be a dict, got {type(row).__name__}", "invalid argument")
    where = str(row.get("path", "a row without a path"))
    missing = [k for k in FIELDS if k not in row]
    if missing:
        raise QueryError(f"{where}: the row has no {', '.join(missing)}", "invalid argument")
    entity = {"path": _utf8(row, "path", MAX_PATH_BYTES, where)}
    entity["id"] = row_id(entity["path"])
    embedding = _vector(row, "embedding", (dim,), where)
    norm = math.sqrt(float(np.dot(embedding.astype(np.float64), embedding)))
    if abs(norm - 1) > 1e-3:
        raise QueryError(f"{where}: 'embedding' has length {norm:.6g}, expected a unit vector "
                         "(as clipsearch index stores it)", "invalid argument")
    entity["embedding"] = embedding
    entity["color"] = _vector(row, "color", (0, COLOR_VALUES), where).tolist()
    entity["format"] = _utf8(row, "format", MAX_FORMAT_BYTES, where)
    entity["camera"] = _utf8(row, "camera", MAX_CAMERA_BYTES, where)
    for key in INT_FIELDS:
        value = row[key]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise QueryError(f"{where}: '{key}' must be an int, got {type(value).__name__}",
                             "invalid argument")
        entity[key] = int(value)
    return entity
