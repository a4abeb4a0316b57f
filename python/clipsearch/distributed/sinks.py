"""Where an indexing job writes each finished shard.

ParquetSink: clip-retrieval's layout (clipsearch/export.py), one part per shard:
img_emb/img_emb_<shard>.npy and metadata/metadata_<shard>.parquet with export's columns (id is
row_id(path), the Milvus store's and HTTP API's image id) plus mtime_ns, camera and color (the
packed colour signature `clipsearch index` stores). Parts are renamed into place whole; writing a
shard again replaces it.

MilvusSink: rows upserted through MilvusStore, keyed by row_id(path): writing a shard again
never duplicates a row.

Both take (shard, rows, vectors): rows are dicts of the facts below, vectors float32 [n, dim]
unit rows in the same order."""
import os
from typing import Any, Dict, List

import numpy as np

from .. import export
from ..errors import QueryError

# What every row carries (pipeline.py fills them from the engine's image_file_prepare).
FACTS = ("path", "size", "mtime_ns", "format", "width", "height", "camera", "taken_ns", "color")


class ParquetSink:
    def __init__(self, folder: str, dtype: str = "float32"):
        if "://" in folder and not folder.startswith("file://"):
            raise QueryError(f"--output {folder}: the parquet sink writes to a local (or "
                             "mounted) folder", "invalid argument")
        self.folder = os.path.abspath(folder.removeprefix("file://"))
        self.dtype = dtype

    def describe(self) -> str:
        return f"parquet:{self.folder}"

    def default_state(self) -> str:
        return os.path.join(self.folder, "_job")

    def prepare(self, dim: int, model: Dict[str, Any], expected_rows: int) -> None:
        os.makedirs(self.folder, exist_ok=True)

    def write(self, shard: int, rows: List[Dict[str, Any]], vectors: np.ndarray) -> None:
        from .milvus_store import row_id
        table = [{"image_path": r["path"], "id": row_id(r["path"]), "size": r["size"],
                  "width": r["width"], "height": r["height"], "format": r["format"],
                  "taken_ns": r["taken_ns"], "mtime_ns": r["mtime_ns"], "camera": r["camera"],
                  "color": [float(v) for v in r["color"]]} for r in rows]
        export.write_part(self.folder, shard, vectors, table, "parquet", self.dtype,
                          extra_columns=("mtime_ns", "camera", "color"))

    def finish(self) -> None:
        """Nothing to do: every part was renamed into place whole."""


class MilvusSink:
    def __init__(self, uri: str, collection: str, token: str = ""):
        from .milvus_store import MilvusStore
        self.uri, self.collection = uri, collection
        self.store = MilvusStore(uri, collection, token=token)

    def describe(self) -> str:
        return f"milvus:{self.uri}#{self.collection}"

    def default_state(self) -> str:
        if "://" in self.uri:
            raise QueryError(f"--milvus {self.uri}: give --state DIR, a folder for the job's "
                             "manifest (a Milvus server has no folder beside it)",
                             "invalid argument")
        return f"{os.path.abspath(self.uri)}.{self.collection}.job"

    def prepare(self, dim: int, model: Dict[str, Any], expected_rows: int) -> None:
        self.store.create(dim, model, expected_rows=expected_rows)

    def write(self, shard: int, rows: List[Dict[str, Any]], vectors: np.ndarray) -> None:
        self.store.upsert([
            {"path": r["path"], "embedding": vectors[i], "size": r["size"],
             "mtime_ns": r["mtime_ns"], "taken_ns": r["taken_ns"], "width": r["width"],
             "height": r["height"], "format": r["format"], "camera": r["camera"],
             "color": np.asarray(r["color"], dtype=np.float32)}
            for i, r in enumerate(rows)])

    def finish(self) -> None:
        """Seals the rows of the job into indexed segments (fresh rows are searched slowly)."""
        self.store.flush()
