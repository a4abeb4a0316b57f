"""The seed recipe's classes on clipsearch: code written for them (transformers' CLIPModel +
CLIPProcessor, FAISS, a pickle file) runs by changing its import to `from clipsearch import
CLIPFeatureExtractor, CLIPRetriever`. The embeddings are the same; the index is a real catalog.
"""
import functools
import os
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .library import Library
from .model import Model

SEED_DEFAULT_MODEL = "openai/clip-vit-base-patch32"


def _device(device: Optional[str]) -> str:
    # The seed asks for "cuda" when torch sees a GPU; this build runs where it can ("auto").
    return "auto" if device in (None, "cuda") or str(device).startswith("cuda") else device


class CLIPFeatureExtractor:
    """Image and text embeddings, each row of unit length, as float32 numpy arrays."""

    def __init__(self, model_name: str = SEED_DEFAULT_MODEL, device: Optional[str] = None):
        self.model_name = model_name
        self.device = _device(device)
        self.model = Model.from_pretrained(model_name, device=self.device)
        # The seed keeps the last 1000 texts' embeddings (functools.lru_cache).
        self._cached_text = functools.lru_cache(maxsize=1000)(self._embed_text)

    def _embed_text(self, text: str) -> np.ndarray:
        features = self.model.get_text_features([text])
        features.setflags(write=False)  # shared by every caller of the cache
        return features

    def get_text_features(self, text: str) -> np.ndarray:
        """[1, dim]: the embedding of one text (cached)."""
        return self._cached_text(text)

    def get_image_features(self, image_paths: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """[len(image_paths), dim]."""
        return self.model.get_image_features(list(image_paths), batch_size=batch_size)


class CLIPRetriever:
    """Add pictures, search them by text or by picture. `db_path` names the catalog; a seed
    pickle name (image_db.pkl) becomes image_db.db beside it, leaving the pickle alone."""

    def __init__(self, db_path: str = "image_db.pkl", model_name: str = SEED_DEFAULT_MODEL,
                 device: Optional[str] = None):
        root, ext = os.path.splitext(db_path)
        self.db_path = root + ".db" if ext == ".pkl" else db_path
        self.model_name = model_name
        self.library = Library(self.db_path, model_name, device=_device(device))
        self._device = device
        self._extractor = None

    @property
    def extractor(self) -> CLIPFeatureExtractor:
        """The seed's extractor, loaded when first asked for (the catalog embeds by itself)."""
        if self._extractor is None:
            self._extractor = CLIPFeatureExtractor(self.model_name, self._device)
        return self._extractor

    @property
    def image_paths(self) -> List[str]:
        return [im.path for images, _ in self.library.embeddings() for im in images]

    def add_images(self, image_paths: Sequence[str], batch_size: int = 32) -> None:
        """Indexes the pictures (already indexed and unchanged ones are not read again)."""
        self.library.index(list(image_paths), batch_size=batch_size)

    def search_by_text(self, text: str, top_k: int = 5) -> List[Tuple[str, float]]:
        """[(path, cosine), ...], best first."""
        return [(h.path, h.score) for h in self.library.search(text, k=top_k)]

    def search_by_image(self, image_path: str, top_k: int = 5) -> List[Tuple[str, float]]:
        """[(path, cosine), ...], best first: the indexed pictures that look like this one."""
        return [(h.path, h.score) for h in self.library.search(image=image_path, k=top_k)]
