"""The seed recipe as its readers write it: transformers' CLIPModel + CLIPProcessor, an LRU cache
of text embeddings, a flat inner-product index (FAISS IndexFlatIP when installed, else the same
product in numpy) and a pickle file. The reference that clipsearch's compat classes replace."""
import os
import pickle
from functools import lru_cache

import numpy as np
import torch
from PIL import Image
from transformers import CLIPModel, CLIPProcessor

try:
    import faiss
except ImportError:
    faiss = None


class CLIPFeatureExtractor:
    def __init__(self, model_name="openai/clip-vit-base-patch32", device=None):
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = CLIPModel.from_pretrained(model_name).to(self.device).eval()
        self.processor = CLIPProcessor.from_pretrained(model_name)

    @lru_cache(maxsize=1000)
    def get_text_features(self, text):
        inputs = self.processor(text=[text], return_tensors="pt", padding=True)
        with torch.no_grad():
            features = self.model.get_text_features(**inputs.to(self.device))
        features = features / features.norm(dim=-1, keepdim=True)
        return features.cpu().numpy()

    def get_image_features(self, image_paths, batch_size=32):
        batches = []
        for start in range(0, len(image_paths), batch_size):
            images = [Image.open(p).convert("RGB") for p in image_paths[start:start + batch_size]]
            inputs = self.processor(images=images, return_tensors="pt")
            with torch.no_grad():
                features = self.model.get_image_features(**inputs.to(self.device))
            features = features / features.norm(dim=-1, keepdim=True)
            batches.append(features.cpu().numpy())
        return np.concatenate(batches)


class _FlatIP:
    def __init__(self, dim):
        self.vectors = np.zeros((0, dim), dtype=np.float32)

    def add(self, vectors):
        self.vectors = np.concatenate([self.vectors, vectors.astype(np.float32)])

    def search(self, queries, k):
        scores = queries @ self.vectors.T
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(scores, order, axis=1), order


class CLIPRetriever:
    def __init__(self, db_path="image_db.pkl", model_name="openai/clip-vit-base-patch32",
                 device=None):
        self.extractor = CLIPFeatureExtractor(model_name, device)
        self.db_path = db_path
        self.image_paths, self.vectors = [], None
        if os.path.exists(db_path):
            with open(db_path, "rb") as f:
                self.image_paths, self.vectors = pickle.load(f)
        self.index = None
        if self.vectors is not None:
            self._build(self.vectors)

    def _build(self, vectors):
        dim = vectors.shape[1]
        self.index = faiss.IndexFlatIP(dim) if faiss else _FlatIP(dim)
        self.index.add(vectors)

    def add_images(self, image_paths, batch_size=32):
        new = [p for p in image_paths if p not in self.image_paths]
        if not new:
            return
        features = self.extractor.get_image_features(new, batch_size)
        self.vectors = features if self.vectors is None else np.concatenate([self.vectors,
                                                                             features])
        self.image_paths += new
        self._build(self.vectors)
        with open(self.db_path, "wb") as f:
            pickle.dump((self.image_paths, self.vectors), f)

    def _search(self, query, top_k):
        scores, ids = self.index.search(query.astype(np.float32), top_k)
        return [(self.image_paths[i], float(s)) for s, i in zip(scores[0], ids[0])]

    def search_by_text(self, text, top_k=5):
        return self._search(self.extractor.get_text_features(text), top_k)

    def search_by_image(self, image_path, top_k=5):
        return self._search(self.extractor.get_image_features([image_path]), top_k)
