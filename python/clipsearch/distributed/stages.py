"""The two Ray Data stages of an indexing job, run on the cluster's workers.

prepare_files (CPU tasks): reads each file through its filesystem and hands its bytes to the
engine's image_file_prepare (clipsearch/image_file.h), the code `clipsearch index` runs on its
worker threads: the same facts, colour signature, pixels and failure messages.

Embedder (an actor pool, one model per actor): the image tower on the prepared pixels, in
forward passes of the batch size, as the indexer embeds them."""
import os
from typing import Dict

import numpy as np

_image_files = {}  # (model, exif, decode) -> _core.ImageFiles, one per worker process


def _worker_name() -> str:
    import ray
    return f"{ray.get_runtime_context().get_node_id()}:{os.getpid()}"


def _files_for(model: str, exif: str, decode: str):
    from .. import _core
    key = (model, exif, decode)
    if key not in _image_files:
        _image_files[key] = _core.ImageFiles.load(model, exif, decode)
    return _image_files[key]


def prepare_files(batch: Dict[str, np.ndarray], model: str, exif: str,
                  decode: str) -> Dict[str, np.ndarray]:
    """Adds to each listed file (path, size, mtime_ns, shard): outcome ("image", "not image",
    "failed"), error, the facts, color [n, C] and pixels [n, 3, H, W] (zeros but for images)."""
    from .listing import read_bytes
    files = _files_for(model, exif, decode)
    n = len(batch["path"])
    out = {k: [] for k in ("outcome", "error", "format", "width", "height", "camera",
                           "taken_ns")}
    pixels = np.zeros((n,) + tuple(files.pixels_shape), dtype=np.float32)
    colors = []
    for i in range(n):
        path = str(batch["path"][i])
        try:
            data = read_bytes(path)
        except OSError as e:
            p = {"outcome": "failed", "error": f"cannot open: {e}", "color": np.zeros(0)}
        else:
            p = files.prepare(data, path, int(batch["mtime_ns"][i]))
        for k in out:
            out[k].append(p.get(k, "" if k in ("error", "format", "camera") else 0))
        if p["outcome"] == "image":
            pixels[i] = p["pixels"]
        colors.append(p["color"])
    width = max((len(c) for c in colors), default=0)
    color = np.zeros((n, width), dtype=np.float32)
    for i, c in enumerate(colors):
        color[i, :len(c)] = c
    result = dict(batch)
    result.update({k: np.asarray(v) for k, v in out.items()})
    result["color"], result["pixels"] = color, pixels
    result["decoded_by"] = np.asarray([_worker_name()] * n)
    return result


class Embedder:
    """One model per actor; `threads` cores for its forward passes."""

    def __init__(self, model: str, precision: str, threads: int):
        import ray
        import clipsearch
        self.model = clipsearch.Model.from_pretrained(model, precision=precision,
                                                      threads=threads)
        self.name = f"{ray.get_runtime_context().get_actor_id()}:{os.getpid()}"

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        images = batch["outcome"] == "image"
        n = len(images)
        vectors = np.zeros((n, self.model.embed_dim), dtype=np.float32)
        if images.any():
            pixels = np.ascontiguousarray(batch["pixels"][images])
            vectors[images] = self.model._model.pixel_features(pixels, True)
        result = {k: v for k, v in batch.items() if k != "pixels"}
        result["embedding"] = vectors
        result["embedded_by"] = np.asarray([self.name] * n)
        return result
