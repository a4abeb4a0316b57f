"""What clipsearch returns: plain dataclasses, printable and comparable."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import List, Optional, Tuple

_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Image:
    """An indexed image. `taken_ns`: EXIF date taken, else the file's modification time, as
    wall-clock nanoseconds (no time zone); `date` is the same as a naive datetime."""
    id: int
    path: str
    size: int
    width: int
    height: int
    format: str
    taken_ns: int
    # A video's length in milliseconds; 0 for a photo.
    duration_ms: int = field(default=0, kw_only=True)
    # EXIF Make and Model as one name ("Canon EOS R5"); "" when the file names none.
    camera: str = field(default="", kw_only=True)

    @property
    def date(self) -> datetime:
        return _EPOCH + timedelta(microseconds=self.taken_ns // 1000)


@dataclass(frozen=True)
class Hit(Image):
    """An image found by a search, with its score (cosine similarity to the query, or the
    colour-mixed score when a colour was asked for). `time`: for a video found by one of its
    frames, that frame's time in seconds; None otherwise."""
    score: float
    time: Optional[float] = field(default=None, kw_only=True)


class SearchResults(list):
    """The hits of a search, best first, and what the search saw: `candidates` (images compared
    with the query: those the filters let through), `best_score` (before min_score),
    `generation` (of the catalog searched), `kept` (with min_score: how many images score at
    least that, whatever the page size, as the web page's cutoff shows it; None without a
    cutoff, or when an HNSW search by score cannot count them)."""

    def __init__(self, hits, candidates=0, best_score=float("-inf"), generation=0,
                 kept=None):
        super().__init__(hits)
        self.candidates = candidates
        self.best_score = best_score
        self.generation = generation
        self.kept = kept


@dataclass(frozen=True)
class TextScore:
    """How well a text describes a picture: cosine and the CLIP probability (softmax over the
    texts asked about of exp(logit_scale) * cosine)."""
    text: str
    cosine: float
    probability: float


@dataclass(frozen=True)
class ImageLabels:
    image: Image
    labels: List[TextScore]


@dataclass(frozen=True)
class DuplicateGroup:
    images: List[Image]
    min_similarity: float


@dataclass(frozen=True)
class SkippedFolder:
    path: str
    reason: str  # "missing", "unreadable", "empty"
    message: str
    kept: int


@dataclass(frozen=True)
class IndexReport:
    """What index(), reindex() or import_embeddings() did (clipsearch index prints the same)."""
    files: int
    unchanged: int
    embedded: int
    imported: int
    reused: int
    moved: int
    touched: int
    removed: int
    colored: int
    failed: int
    not_images: int
    decoded: int
    failures: List[Tuple[str, str]]
    skipped_folders: List[SkippedFolder]
    images: int
    errors: int
    generation: int
    videos: int = field(default=0, kw_only=True)  # of `embedded`, videos
    frames: int = field(default=0, kw_only=True)  # their frames embedded
    warnings: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class CatalogModel:
    name: str
    fingerprint: str
    embed_dim: int
    pipeline: str
    precision: str  # "f32", "bf16", "f16" or "int8": what the catalog was embedded at


@dataclass(frozen=True)
class LibraryStatus:
    catalog: str
    model: Optional[CatalogModel]
    catalog_id: Optional[str]
    images: int
    errors: int
    generation: int
    folders: List[str]
    failures: List[Tuple[str, str]]
    # Items by format ("jpeg", "mp4", ...): dicts of format, video (bool), items, frames.
    kinds: List[dict] = field(default_factory=list, kw_only=True)


class Recommendations(list):
    """Recommended images, best first; `popular`: the user has no clicks yet, so these are the
    most clicked images of everyone."""

    def __init__(self, hits, popular=False):
        super().__init__(hits)
        self.popular = popular


def image(d) -> Image:
    return Image(**{k: d[k] for k in ("id", "path", "size", "width", "height", "format",
                                      "taken_ns", "duration_ms", "camera") if k in d})


def hit(d) -> Hit:
    return Hit(**d)


def text_scores(rows) -> List[TextScore]:
    return [TextScore(**r) for r in rows]


def report(d) -> IndexReport:
    d = dict(d)
    d["failures"] = [tuple(f) for f in d["failures"]]
    d["skipped_folders"] = [SkippedFolder(**s) for s in d["skipped_folders"]]
    return IndexReport(**d)


def status(d) -> LibraryStatus:
    d = dict(d)
    d["model"] = CatalogModel(**d["model"]) if d["model"] else None
    d["failures"] = [tuple(f) for f in d["failures"]]
    return LibraryStatus(**d)
