"""clipsearch.Library: a photo library's catalog — the one `clipsearch index` writes and
`clipsearch search` reads — indexed, searched and explored from Python."""
import json
import os
import sys
from datetime import date, datetime, timedelta
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core, _pictures, results
from .errors import QueryError
from .results import (DuplicateGroup, Hit, Image, ImageLabels, IndexReport, LibraryStatus,
                      Recommendations, SearchResults, TextScore)

PathLike = Union[str, "os.PathLike[str]"]
Progress = Union[None, bool, Callable[[int, int, int], Any]]
_EPOCH = datetime(1970, 1, 1)


class Library:
    """A catalog of indexed pictures (SQLite, with `<db>.vectors` / `.hnsw` beside it).

        lib = clipsearch.Library("photos.db", model="clip-vit-base-patch32")
        lib.index(["~/Pictures"], progress=True)
        for hit in lib.search("a dog on a summer beach", k=5):
            print(hit.score, hit.path)

    db: the catalog file (None: the CLI's default, ~/.local/share/clipsearch/index.db). model:
    a folder, preset or hub repository; needed to create a catalog, otherwise the catalog's own.
    The other options are Model.from_pretrained's, plus index: "auto", "exact" or "hnsw".

    Every method releases the GIL while the library works and may be called from several
    threads; one process indexes a catalog at a time (another gets BusyError)."""

    def __init__(self, db: Optional[PathLike] = None, model: Optional[PathLike] = None, *,
                 precision: str = "f32", device: str = "auto", threads: int = 0,
                 exif: str = "apply", decode: str = "exact", index: str = "auto",
                 _model_only: bool = False):
        db = "" if db is None else os.path.expanduser(os.fspath(db))
        self._lib = _core.Library.open(db, _model_only,
                                        "" if model is None else os.fspath(model), precision,
                                        device, threads, exif, decode, index)

    @classmethod
    def for_model(cls, model: PathLike, **options) -> "Library":
        """A Library of a model alone, no catalog: similarity() and classify() of pictures."""
        return cls(None, model, _model_only=True, **options)

    @property
    def path(self) -> str:
        return self._lib.catalog_path

    # -- indexing ---------------------------------------------------------------------------

    def index(self, paths: Union[PathLike, Sequence[PathLike]] = (), *,
              exclude: Sequence[str] = (), batch_size: int = 0, workers: int = 0,
              progress: Progress = None) -> IndexReport:
        """Brings the catalog up to date with folders (or single files), remembered for later
        runs; none: the folders remembered. Only new and changed files are read; a killed
        process loses at most one batch. Files that fail are in the report, not raised.

        batch_size: images per forward pass and transaction (0: 32 on the CPU, 256 on a GPU).
        progress: True draws a bar on stderr; a callable gets (done, total, failed) after each
        batch."""
        return results.report(self._lib.index(_paths(paths), list(exclude), batch_size, workers,
                                               _progress(progress), None, None))

    def reindex(self, output: Optional[PathLike] = None, *, batch_size: int = 0,
                workers: int = 0, progress: Progress = None) -> IndexReport:
        """Embeds every image again with this Library's model (or decoding options) into
        `output`, or in place once the new catalog is complete."""
        out = "" if output is None else os.path.abspath(os.fspath(output))
        return results.report(self._lib.reindex(out, batch_size, workers, _progress(progress)))

    def status(self, max_failures: int = 20) -> LibraryStatus:
        """The catalog: its model, images, errors (the first max_failures), folders."""
        return results.status(self._lib.status(max_failures))

    # -- search -----------------------------------------------------------------------------

    def search(self, text: Union[None, str, Sequence[str]] = None, *,
               image: Any = None, like: Union[None, int, PathLike, Sequence[Any]] = None,
               negative: Union[None, str, Sequence[str]] = None, k: int = 10, offset: int = 0,
               image_weight: Optional[float] = None, negative_weight: Optional[float] = None,
               color: Optional[str] = None, color_weight: Optional[float] = None,
               folder: Union[None, PathLike, Sequence[PathLike]] = None,
               since: Any = None, until: Any = None,
               min_size: Optional[int] = None, max_size: Optional[int] = None,
               format: Union[None, str, Sequence[str]] = None,
               camera: Union[None, str, Sequence[str]] = None, date: str = "taken",
               tag: Optional[str] = None, tag_min_probability: float = 0.0,
               album: Optional[str] = None, min_score: Optional[float] = None,
               sort: str = "score") -> SearchResults:
        """The page [offset, offset + k) of the images ranked by the query, best first.

        text: one or more texts (averaged). image: pictures to look like (paths, bytes, arrays
        or PIL images). like: indexed images (ids or paths), left out of the results.
        negative: texts to move away from. image_weight (0..1, default 0.5): the pictures'
        share against the texts; negative_weight (default 0.5). color ("#c0392b", "navy") and
        color_weight (default 0.3): rank by colour too. Filters: folder (any of them),
        since/until (date, datetime, "YYYY-MM-DD") of the date `date` names: "taken" (EXIF,
        else the file's modification time) or "modified" (the file's modification time, in
        this machine's time zone), min_size/max_size (bytes), format ("jpeg", "png", ...),
        camera (as cameras() names them; any of them), tag (a label stored by
        classify_all(store=True)), album, min_score (the results' `kept` then says how many
        pass it). sort: "score", "newest" or "oldest".

        The query is the CLI's: `clipsearch search` with the same options gives the same
        answer."""
        parts: Dict[str, Any] = {
            "texts": _strings(text, "text"),
            "negatives": _strings(negative, "negative"),
            "folders": [os.path.abspath(os.path.expanduser(os.fspath(f)))
                        for f in _list(folder)],
            "formats": _strings(format, "format"),
            "image_weight": image_weight, "negative_weight": negative_weight,
            "color": color, "color_weight": color_weight,
            "cameras": _strings(camera, "camera"),
            "min_size": min_size, "max_size": max_size, "tag": tag,
            "tag_min_probability": tag_min_probability, "album": album, "min_score": min_score,
            "sort": sort,
        }
        if date not in ("taken", "modified"):
            raise QueryError(f"date={date!r}: expected 'taken' or 'modified'",
                             "invalid argument")
        parts[date + "_after_ns"] = _date_ns(since, end_of_day=False, name="since")
        parts[date + "_before_ns"] = _date_ns(until, end_of_day=True, name="until")
        files, blobs = [], []
        if image is not None:
            for i, item in enumerate(_pictures.many(image)[0]):
                picture = _pictures.for_query(item, i)
                (files if isinstance(picture, str) else blobs).append(picture)
        parts["picture_files"], parts["picture_bytes"] = files, blobs
        ids, like_paths = [], []
        for item in _list(like):
            if isinstance(item, (int, np.integer)):
                ids.append(int(item))
            else:
                like_paths.append(os.path.abspath(os.fspath(item)))
        parts["like_ids"], parts["like_paths"] = ids, like_paths
        page = self._lib.search(parts, k, offset)
        return SearchResults([results.hit(h) for h in page["hits"]], page["candidates"],
                             page["best_score"], page["generation"], page["kept"])

    def folders(self) -> Dict[str, int]:
        """The catalog's folders and their sub-folders, each with the images under it
        (sub-folders included), by path: what search(folder=...) can narrow to."""
        return dict(self._lib.folders())

    def cameras(self) -> Dict[str, int]:
        """The cameras the indexed images name (EXIF Make and Model), each with its images,
        by name: what search(camera=...) can narrow to."""
        return dict(self._lib.cameras())

    def image(self, image_id: int) -> Image:
        """An indexed image by id (CatalogError, code "not found", when there is none)."""
        return results.image(self._lib.image(int(image_id)))

    # -- zero-shot --------------------------------------------------------------------------

    def similarity(self, image: Any, texts: Union[str, Sequence[str]]) -> List[TextScore]:
        """How well each text describes a picture, or an indexed image (by id)."""
        return results.text_scores(self._lib.similarity(_picture_or_id(image),
                                                        _strings(texts, "texts")))

    def classify(self, image: Any, labels: Sequence[str],
                 templates: Optional[Sequence[str]] = None) -> List[TextScore]:
        """The labels that describe a picture (or an indexed image, by id) best, best first;
        each label put in every template ("a photo of a {}.") and the prompts averaged."""
        return results.text_scores(self._lib.classify(_picture_or_id(image),
                                                      _strings(labels, "labels"),
                                                      list(templates or [])))

    def classify_all(self, labels: Sequence[str], templates: Optional[Sequence[str]] = None,
                     top: int = 5, store: bool = False) -> List[ImageLabels]:
        """The `top` best labels of every indexed image, in id order. store: keep them in the
        catalog so that search(tag=...) finds images by label."""
        rows = self._lib.classify_all(_strings(labels, "labels"), list(templates or []), top,
                                      store)
        return [ImageLabels(results.image(r["image"]), results.text_scores(r["labels"]))
                for r in rows]

    def duplicates(self, min_similarity: float = 0.95) -> List[DuplicateGroup]:
        """Groups of near-identical images (cosine >= min_similarity). Nothing is deleted."""
        return [DuplicateGroup([results.image(i) for i in g["images"]], g["min_similarity"])
                for g in self._lib.duplicates(min_similarity)]

    def albums(self, themes: Union[None, PathLike, Dict[str, Any]] = None, *,
               exclusive: bool = False,
               progress: Optional[Callable[[int, int], Any]] = None) -> Dict[str, int]:
        """The automatic albums and their sizes. themes (a theme file's path, or its content as
        a dict: docs/SEARCH.md): first places the images not yet in albums (exclusive: each
        only in its best album). progress: called with (done, total) steps, one per theme,
        then one per image looked at (every 256), as the web page's albums job shows it; an
        exception it raises stops the run (nothing classified is kept) and is raised here."""
        if themes is not None:
            if isinstance(themes, dict):
                text, name = json.dumps(themes), "themes"
            else:
                name = os.fspath(themes)
                try:
                    with open(name, encoding="utf-8") as f:
                        text = f.read()
                except OSError as e:
                    raise QueryError(f"{name}: {e.strerror}", "not found") from e
            self._lib.update_albums(text, name, exclusive, progress)
        return dict(self._lib.albums())

    def album(self, name: str) -> List[Hit]:
        """An album's images, best first."""
        return [results.hit(h) for h in self._lib.album(name)]

    def record_click(self, user: str, image_id: int) -> None:
        """Remembers that `user` opened an image (recommend() learns the user's taste)."""
        self._lib.record_click(user, int(image_id))

    def recommend(self, user: str, k: int = 10, *, last_clicks: int = 10,
                  recency_weighted: bool = False, half_life: float = 3.0) -> Recommendations:
        """Images like those the user clicked last (without those), best first."""
        r = self._lib.recommend(user, k, last_clicks, recency_weighted, half_life)
        return Recommendations([results.hit(h) for h in r["hits"]], r["popular"])

    # -- embeddings in and out --------------------------------------------------------------

    def embeddings(self, batch: int = 100_000) -> Iterator[Tuple[List[Image], np.ndarray]]:
        """The catalog's embeddings in id order, `batch` images at a time: (images, float32
        [n, dim] array of unit rows)."""
        after = 0
        while True:
            images, vectors, _ = self._lib.embeddings(after, batch)
            if not images:
                return
            yield [results.image(i) for i in images], vectors
            after = images[-1]["id"]

    def export(self, folder: PathLike, *, rows_per_file: int = 1_000_000,
               metadata: str = "auto", dtype: str = "float32") -> Dict[str, Any]:
        """Writes the embeddings and metadata in clip-retrieval's layout, which FAISS /
        autofaiss, clip-retrieval's back end and vector databases read:
        img_emb/img_emb_{i}.npy and metadata/metadata_{i}.parquet (pyarrow installed) or
        .jsonl. metadata: "auto", "parquet" or "jsonl"; dtype: "float32" or "float16"."""
        from . import export
        return export.write(self, os.fspath(folder), rows_per_file, metadata, dtype)

    def import_embeddings(self, folder: PathLike, *, batch_size: int = 0, workers: int = 0,
                          progress: Progress = None) -> IndexReport:
        """Adds the pictures of an export (clip-retrieval's layout, from this or another
        machine: `image_path` in the metadata) with their embeddings, without running the
        model: each file is still read for its facts and colour. The embeddings must come from
        this catalog's model. Files that no longer exist are reported as failures."""
        from . import export
        paths, vectors = export.read(os.fspath(folder))
        return results.report(self._lib.index(paths, [], batch_size, workers,
                                               _progress(progress), paths,
                                               np.ascontiguousarray(vectors, dtype=np.float32)))

    def __repr__(self):
        return f"Library({self.path!r})"


def _list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike, int, np.integer)):
        return [value]
    return list(value)


def _strings(value, name) -> List[str]:
    items = _list(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{name}: expected str, got {type(item).__name__}")
    return items


def _paths(paths) -> List[str]:
    return [os.path.abspath(os.path.expanduser(os.fspath(p))) for p in _list(paths)]


def _picture_or_id(item):
    if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
        return int(item)
    picture = _pictures.for_query(item, 0)
    if isinstance(picture, str):
        return os.path.abspath(picture)
    return picture


def _date_ns(value, end_of_day, name) -> Optional[int]:
    """Wall-clock nanoseconds, as the catalog stores dates taken; a date alone means the whole
    day (until: its last nanosecond), as the CLI's --since/--until."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    whole_day = False
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as e:
            raise QueryError(f"{name}='{value}': expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS",
                             "invalid argument") from e
        whole_day = len(value) == 10
        value = parsed
    elif isinstance(value, date) and not isinstance(value, datetime):
        value, whole_day = datetime(value.year, value.month, value.day), True
    if not isinstance(value, datetime):
        raise TypeError(f"{name}: expected a date, datetime, str or int, got "
                        f"{type(value).__name__}")
    delta = value.replace(tzinfo=None) - _EPOCH
    ns = (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    if whole_day and end_of_day:
        ns += 86400 * 1_000_000_000 - 1
    return ns


class _Bar:
    """A one-line progress bar on stderr."""

    def __call__(self, done, total, failed):
        width = 30
        filled = width * done // total if total else width
        failed_text = f", {failed} failed" if failed else ""
        sys.stderr.write(f"\rindexing [{'#' * filled}{'.' * (width - filled)}] "
                         f"{done}/{total}{failed_text}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _progress(progress):
    if progress is True:
        return _Bar()
    if progress is False:
        return None
    return progress
