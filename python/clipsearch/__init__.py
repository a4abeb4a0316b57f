"""clipsearch: semantic image search with CLIP, on a C++ engine whose embeddings equal
transformers' CLIPModel.

    import clipsearch
    model = clipsearch.Model.from_pretrained("clip-vit-base-patch32")
    vectors = model.get_image_features(["a.jpg", "b.png"])        # float32 [2, 512]
    lib = clipsearch.Library("photos.db", model="clip-vit-base-patch32")
    lib.index(["~/Pictures"], progress=True)
    print(lib.search("a dog on a summer beach", k=5))
"""
from . import _core
from .compat import CLIPFeatureExtractor, CLIPRetriever
from .errors import (BusyError, CatalogError, ClipsearchError, ImageError, ModelError,
                     QueryError, UnavailableError)
from .library import Library
from .model import DEFAULT_MODEL, Model
from .results import (DuplicateGroup, Hit, Image, ImageLabels, IndexReport, LibraryStatus,
                      Recommendations, SearchResults, TextScore)

__version__ = _core.version()


def num_threads() -> int:
    """Threads the engine uses (the calling thread included)."""
    return _core.num_threads()


def set_num_threads(n: int) -> None:
    """n <= 0: one per core. Not while a computation runs."""
    _core.set_num_threads(n)


__all__ = [
    "BusyError", "CLIPFeatureExtractor", "CLIPRetriever", "CatalogError", "ClipsearchError",
    "DEFAULT_MODEL", "DuplicateGroup", "Hit", "Image", "ImageError", "ImageLabels",
    "IndexReport", "Library", "LibraryStatus", "Model", "ModelError", "QueryError",
    "Recommendations", "SearchResults", "TextScore", "UnavailableError", "num_threads",
    "set_num_threads",
]
