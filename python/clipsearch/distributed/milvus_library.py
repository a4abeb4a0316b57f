"""MilvusLibrary: search a clipsearch collection in Milvus with the keywords and results of
clipsearch.Library.search: queries embedded by the C++ engine (clipsearch.Model), combined as
the local search combines them (query_vector.py), filters as Milvus expressions
(milvus_filters.py), ranked by Milvus.

    lib = MilvusLibrary("photos.db", "photos", model="clip-vit-base-patch32")
    for hit in lib.search("a dog on a beach", folder="/photos/2024", k=5):
        print(hit.score, hit.path)

Over a FLAT index the answers are the local exact search's; over HNSW or DiskANN, Milvus'
approximation. A hit's id is row_id(path). What a collection does not hold (labels, albums,
colour signatures' search, date order) is refused with QueryError code "unsupported"."""
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import CatalogError, QueryError
from ..library import _date_ns, _list, _strings
from ..model import Model
from ..results import Hit, SearchResults
from . import milvus_filters, query_vector
from .milvus_rows import row_id
from .milvus_store import MilvusStore

# Milvus answers at most 16,384 rows a search (offset + k): its topk limit.
MAX_RANK = 16384


class MilvusLibrary:
    """A collection made by MilvusStore (clipsearch.distributed's index or load). model: a
    folder, preset or hub repository, as Model.from_pretrained takes (None: the one the
    collection recorded); it must give embeddings of the collection's size."""

    def __init__(self, uri: str, collection: str, model: Optional[str] = None, *,
                 token: str = "", precision: Optional[str] = None, threads: int = 0) -> None:
        self.store = MilvusStore(uri, collection, token=token)
        self.recorded = self.store.model()
        name = model if model is not None else self.recorded.get("name", "")
        self.model = Model.from_pretrained(os.fspath(name), threads=threads,
                                           precision=precision or
                                           self.recorded.get("precision", "f32"))
        dim = int(self.recorded["embed_dim"])
        if self.model.embed_dim != dim:
            raise CatalogError(f"{uri}: collection '{collection}' holds embeddings of {dim} "
                               f"values ({self.recorded.get('name')}), the model {name} gives "
                               f"{self.model.embed_dim}", "invalid argument")
        if self.model.info.get("score_kind") == "sigmoid":
            raise QueryError(f"{name}: a sigmoid (SigLIP) model's probability scores are not "
                             "served from Milvus yet", "unsupported")

    def search(self, text: Union[None, str, Sequence[str]] = None, *, image: Any = None,
               like: Any = None, negative: Union[None, str, Sequence[str]] = None,
               k: int = 10, offset: int = 0, image_weight: Optional[float] = None,
               negative_weight: Optional[float] = None, color: Optional[str] = None,
               color_weight: Optional[float] = None, folder: Any = None, since: Any = None,
               until: Any = None, min_size: Optional[int] = None,
               max_size: Optional[int] = None, format: Union[None, str, Sequence[str]] = None,
               camera: Union[None, str, Sequence[str]] = None, tag: Optional[str] = None,
               tag_min_probability: float = 0.0, album: Optional[str] = None,
               min_score: Optional[float] = None, sort: str = "score") -> SearchResults:
        """clipsearch.Library.search's keywords and answer (plus camera=, which the HTTP API
        has too). The page [offset, offset + k) of the images ranked by the query."""
        _refuse_unsupported(color=color, color_weight=color_weight, tag=tag, album=album,
                            sort=None if sort == "score" else sort)
        rows, candidates, best = self.search_rows(
            text, image=image, like=like, negative=negative, k=k, offset=offset,
            image_weight=image_weight, negative_weight=negative_weight, folder=folder,
            since=since, until=until, min_size=min_size, max_size=max_size, format=format,
            camera=camera, min_score=min_score)
        return SearchResults([_hit(h) for h in rows], candidates, best, 0)

    def search_rows(self, text=None, *, image=None, like=None, negative=None, k=10, offset=0,
                    image_weight=None, negative_weight=None, folder=None, since=None,
                    until=None, min_size=None, max_size=None, format=None, camera=None,
                    min_score=None,
                    count_filtered: bool = True) -> Tuple[List[Dict[str, Any]], int, float]:
        """search() as the collection's rows (dicts with score and camera), the candidate
        count and the best score: what the HTTP API writes. count_filtered=False: with
        filters, the candidates are not counted (-1): a filtered count(*) costs Milvus Lite
        17 s at 100,000 rows (bench/RESULTS.md), the search itself 0.2 s."""
        _check_numbers(k, offset, min_score)
        vector, exclude = self.query_vector(text, image, like, negative, image_weight,
                                            negative_weight)
        filters = milvus_filters.expression(
            folders=[os.path.abspath(os.path.expanduser(os.fspath(f))) for f in _list(folder)],
            taken_after_ns=_date_ns(since, end_of_day=False, name="since"),
            taken_before_ns=_date_ns(until, end_of_day=True, name="until"),
            min_bytes=min_size, max_bytes=max_size, formats=_strings(format, "format"),
            cameras=_strings(camera, "camera"))
        if k == 0:  # as the local search: nothing ranked, nothing counted
            return [], 0, float("-inf")
        if filters:
            exclusion = milvus_filters.expression(exclude_ids=exclude)
            expr = f"{filters} and {exclusion}" if exclusion else filters
            candidates = self.store.count_where(expr) if count_filtered else -1
            return self._ranked(vector, expr, candidates, k, offset, min_score, set())
        # Any filter sends Milvus (Lite) down a slow path (a filtered count(*) or search costs
        # about a scan: bench/RESULTS.md): without filters the examples are dropped from a
        # longer answer instead, and the candidates are the collection's count less them.
        left_out = set(exclude)
        return self._ranked(vector, "", self.store.count() - len(left_out), k, offset,
                            min_score, left_out)

    def query_vector(self, text=None, image=None, like=None, negative=None, image_weight=None,
                     negative_weight=None) -> Tuple[np.ndarray, List[int]]:
        """The query's vector, and the ids of its examples (left out of the results)."""
        texts, negatives = _strings(text, "text"), _strings(negative, "negative")
        dim = self.model.embed_dim
        all_texts = texts + negatives
        embedded = (self.model.get_text_features(all_texts) if all_texts
                    else np.zeros((0, dim), np.float32))
        pictures = list(self.model.get_image_features(image)) if image is not None else []
        example_ids, examples = self._examples(like)
        images = np.array(pictures + examples, np.float32).reshape(-1, dim)
        vector = query_vector.combine(
            embedded[:len(texts)], images, embedded[len(texts):],
            0.5 if image_weight is None else float(image_weight),
            0.5 if negative_weight is None else float(negative_weight))
        return vector, example_ids

    def _examples(self, like) -> Tuple[List[int], List[np.ndarray]]:
        wanted: List[Tuple[int, str]] = []
        for item in _list(like):
            if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                wanted.append((int(item), f"image {int(item)}"))
            else:
                path = os.path.abspath(os.fspath(item))
                wanted.append((row_id(path), path))
        found = {r["id"]: r["embedding"] for r in
                 self.store.get([i for i, _ in wanted], ["embedding"])}
        for id_, name in wanted:
            if id_ not in found:
                raise CatalogError(f"{name}: not in the collection '{self.store.collection}'",
                                   "not found")
        return [i for i, _ in wanted], [np.asarray(found[i], np.float32) for i, _ in wanted]

    def _ranked(self, vector: np.ndarray, expr: str, candidates: int, k: int, offset: int,
                min_score: Optional[float],
                left_out: set) -> Tuple[List[Dict[str, Any]], int, float]:
        limit = min(offset + k + len(left_out), MAX_RANK)
        found = self.store.search(vector, expr, limit) if candidates != 0 else []
        found = [h for h in found if h["id"] not in left_out]
        # Equal scores by ascending id, as the local search orders them.
        found.sort(key=lambda h: (-h["score"], h["id"]))
        best = found[0]["score"] if found else float("-inf")
        if min_score is not None:
            found = [h for h in found if h["score"] >= min_score]
        return found[offset:offset + k], candidates, best

    def image(self, image_id: int) -> Dict[str, Any]:
        """A row by id: path, size, dates, dimensions, format, camera (CatalogError "not
        found" when there is none)."""
        from .milvus_store import OUTPUT_FIELDS
        rows = self.store.get([int(image_id)], OUTPUT_FIELDS)
        if not rows:
            raise CatalogError(f"image {image_id}: not in the collection "
                               f"'{self.store.collection}'", "not found")
        return rows[0]


def _hit(h: Dict[str, Any]) -> Hit:
    return Hit(id=h["id"], path=h["path"], size=h["size"], width=h["width"], height=h["height"],
               format=h["format"], taken_ns=h["taken_ns"], score=h["score"])


def _refuse_unsupported(**options) -> None:
    for name, value in options.items():
        if value is not None:
            raise QueryError(f"{name}={value!r}: not supported when searching a Milvus "
                             "collection (docs/DISTRIBUTED.md)", "unsupported")


def _check_numbers(k: int, offset: int, min_score: Optional[float]) -> None:
    if k < 0:
        raise QueryError("the number of results must be 0 or more", "invalid argument")
    if offset < 0:
        raise QueryError("the offset must be 0 or more", "invalid argument")
    if min_score is not None and np.isnan(min_score):
        raise QueryError("the minimum score is not a number", "invalid argument")
    if offset + k > MAX_RANK:
        raise QueryError(f"offset + k = {offset + k}: Milvus ranks at most {MAX_RANK} "
                         "images a search", "invalid argument")
