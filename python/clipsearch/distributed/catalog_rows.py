"""The rows of a local clipsearch catalog (the SQLite file `clipsearch index` writes,
docs/FORMATS.md) as MilvusStore takes them: what moves a library that outgrew one machine into
Milvus with the very embeddings and facts the local search ranks by.

Read straight from the documented format (read-only, one transaction) because the Python
Library does not hand out cameras and colour signatures."""
import sqlite3
from typing import Any, Dict, Iterator, List

import numpy as np

from ..errors import CatalogError

_COLUMNS = {  # column: its value in a catalog of a schema version without it
    "color": None,   # version 2
    "camera": "''",  # version 4
}


def _open(db: str) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        conn.execute("SELECT 1 FROM meta LIMIT 1")
    except sqlite3.Error as e:
        raise CatalogError(f"{db}: not a readable clipsearch catalog ({e})", "not found") from e
    return conn


def catalog_model(db: str) -> Dict[str, Any]:
    """The model a catalog was embedded with, as MilvusStore.create() records it."""
    conn = _open(db)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()
    if "model_name" not in meta or "embed_dim" not in meta:
        raise CatalogError(f"{db}: the catalog has no model yet (nothing indexed)", "not found")
    return {"name": str(meta["model_name"]), "fingerprint": str(meta.get("model_fingerprint", "")),
            "pipeline": str(meta.get("pipeline", "")),
            "precision": str(meta.get("precision", "f32"))}


def catalog_rows(db: str, batch: int = 10_000) -> Iterator[List[Dict[str, Any]]]:
    """The catalog's indexed images (status 0) in id order, `batch` rows at a time."""
    conn = _open(db)
    try:
        have = {r[1] for r in conn.execute("PRAGMA table_info(images)")}
        extra = ", ".join(c if c in have else f"{_COLUMNS[c] or 'NULL'} AS {c}" for c in _COLUMNS)
        cursor = conn.execute(
            "SELECT path, size, mtime_ns, date_taken_ns, width, height, format, embedding, "
            f"{extra} FROM images WHERE status = 0 ORDER BY id")
        while True:
            chunk = cursor.fetchmany(batch)
            if not chunk:
                return
            yield [_row(db, r) for r in chunk]
    finally:
        conn.close()


def _row(db: str, r) -> Dict[str, Any]:
    path = bytes(r[0]).decode("utf-8", "surrogateescape")
    if r[7] is None:
        raise CatalogError(f"{db}: {path} has no embedding", "corruption")
    return {"path": path, "size": r[1], "mtime_ns": r[2], "taken_ns": r[3], "width": r[4],
            "height": r[5], "format": r[6], "embedding": np.frombuffer(r[7], "<f4"),
            "color": np.frombuffer(r[8] or b"", "<f4"), "camera": r[9] or ""}
