"""Embeddings in clip-retrieval's layout (what clip-retrieval's inference writes and its back end,
autofaiss and vector-database loaders read):

    <folder>/img_emb/img_emb_0.npy            float [n, dim], row i = metadata row i
    <folder>/metadata/metadata_0.parquet      image_path, id, size, width, height, format,
                                              taken_ns   (.jsonl, one object a line, without
                                              pyarrow)
    <folder>/img_emb/img_emb_1.npy ...        the next rows_per_file images
"""
import json
import os
import re
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from .errors import CatalogError, QueryError

_COLUMNS = ("image_path", "id", "size", "width", "height", "format", "taken_ns")


def _pyarrow():
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
        return pyarrow
    except ImportError:
        return None


def _metadata_format(metadata: str) -> str:
    if metadata not in ("auto", "parquet", "jsonl"):
        raise QueryError(f"metadata='{metadata}': expected 'auto', 'parquet' or 'jsonl'",
                         "invalid argument")
    if metadata == "auto":
        return "parquet" if _pyarrow() else "jsonl"
    if metadata == "parquet" and not _pyarrow():
        raise QueryError("metadata='parquet' needs pyarrow (pip install pyarrow)",
                         "unsupported")
    return metadata


def _write_metadata(path: str, rows: List[Dict[str, Any]], fmt: str,
                    columns: Sequence[str]) -> None:
    tmp = path + ".tmp"
    if fmt == "parquet":
        pa = _pyarrow()
        table = pa.table({c: [r[c] for r in rows] for c in columns})
        pa.parquet.write_table(table, tmp)
    else:
        with open(tmp, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps({c: r[c] for c in columns}, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def write_part(folder: str, index: int, vectors: np.ndarray, rows: List[Dict[str, Any]],
               fmt: str = "parquet", dtype: str = "float32",
               extra_columns: Sequence[str] = ()) -> None:
    """Part `index` of the layout: img_emb_<index>.npy (row i = rows[i]) and its metadata, each
    written to a temporary name and renamed, so a part is whole or absent. rows hold _COLUMNS
    and extra_columns."""
    os.makedirs(os.path.join(folder, "img_emb"), exist_ok=True)
    os.makedirs(os.path.join(folder, "metadata"), exist_ok=True)
    emb_path = os.path.join(folder, "img_emb", f"img_emb_{index}.npy")
    np.save(emb_path + ".tmp.npy", vectors.astype(dtype))
    os.replace(emb_path + ".tmp.npy", emb_path)
    _write_metadata(os.path.join(folder, "metadata", f"metadata_{index}.{fmt}"), rows, fmt,
                    _COLUMNS + tuple(extra_columns))


def write(library, folder: str, rows_per_file: int, metadata: str, dtype: str) -> Dict[str, Any]:
    if rows_per_file < 1:
        raise QueryError("rows_per_file must be at least 1", "invalid argument")
    if dtype not in ("float32", "float16"):
        raise QueryError(f"dtype='{dtype}': expected 'float32' or 'float16'", "invalid argument")
    fmt = _metadata_format(metadata)
    os.makedirs(os.path.join(folder, "img_emb"), exist_ok=True)
    os.makedirs(os.path.join(folder, "metadata"), exist_ok=True)
    count, files, dim = 0, 0, 0
    for i, (images, vectors) in enumerate(library.embeddings(batch=rows_per_file)):
        rows = [{"image_path": im.path, "id": im.id, "size": im.size, "width": im.width,
                 "height": im.height, "format": im.format, "taken_ns": im.taken_ns}
                for im in images]
        write_part(folder, i, vectors, rows, fmt, dtype)
        count, files, dim = count + len(images), files + 1, vectors.shape[1]
    return {"images": count, "files": files, "dim": dim, "metadata": fmt}


def _read_paths(folder: str, index: int) -> List[str]:
    base = os.path.join(folder, "metadata", f"metadata_{index}")
    if os.path.exists(base + ".parquet"):
        pa = _pyarrow()
        if pa is None:
            raise QueryError(f"{base}.parquet: reading parquet needs pyarrow", "unsupported")
        table = pa.parquet.read_table(base + ".parquet")
        if "image_path" not in table.column_names:
            raise CatalogError(f"{base}.parquet: no image_path column", "corruption")
        return [str(p) for p in table.column("image_path").to_pylist()]
    if os.path.exists(base + ".jsonl"):
        paths = []
        with open(base + ".jsonl", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                try:
                    paths.append(str(json.loads(line)["image_path"]))
                except (ValueError, KeyError, TypeError) as e:
                    raise CatalogError(f"{base}.jsonl: line {n} has no image_path",
                                       "corruption") from e
        return paths
    raise CatalogError(f"{base}.parquet: missing (nor .jsonl)", "not found")


def read(folder: str) -> Tuple[List[str], np.ndarray]:
    emb_dir = os.path.join(folder, "img_emb")
    try:
        names = os.listdir(emb_dir)
    except OSError as e:
        raise CatalogError(f"{emb_dir}: {e.strerror}", "not found") from e
    indexes = sorted(int(m.group(1)) for m in
                     (re.fullmatch(r"img_emb_(\d+)\.npy", n) for n in names) if m)
    if not indexes:
        raise CatalogError(f"{emb_dir}: no img_emb_<i>.npy files", "not found")
    paths: List[str] = []
    parts = []
    for i in indexes:
        emb_path = os.path.join(emb_dir, f"img_emb_{i}.npy")
        try:
            vectors = np.load(emb_path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise CatalogError(f"{emb_path}: not a readable .npy file ({e})", "corruption") from e
        if vectors.ndim != 2 or vectors.dtype.kind != "f":
            raise CatalogError(f"{emb_path}: expected a float [n, dim] array, got "
                               f"{vectors.dtype} {list(vectors.shape)}", "corruption")
        rows = _read_paths(folder, i)
        if len(rows) != vectors.shape[0]:
            raise CatalogError(f"{emb_path}: {vectors.shape[0]} embeddings but its metadata has "
                               f"{len(rows)} rows", "corruption")
        if parts and vectors.shape[1] != parts[0].shape[1]:
            raise CatalogError(f"{emb_path}: {vectors.shape[1]} values a row, "
                               f"img_emb_{indexes[0]}.npy has {parts[0].shape[1]}", "corruption")
        paths += [os.path.abspath(p) for p in rows]
        parts.append(vectors.astype(np.float32))
    vectors = np.concatenate(parts)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return paths, vectors / norms
