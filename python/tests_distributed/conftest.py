"""Fixtures of the distributed path's tests (run with .venv-distributed): Milvus Lite files in
temporary folders. Nothing reaches the network."""
import numpy as np
import pytest


@pytest.fixture
def milvus_uri(tmp_path):
    """A Milvus Lite database file of this test alone (Milvus Lite starts with the first
    client and stops with the last)."""
    return str(tmp_path / "milvus.db")


def unit_rows(n, dim, seed=0, folder="/photos"):
    """n rows as the store takes them: unit embeddings and plausible metadata."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [{"path": f"{folder}/{i:05d}.jpg", "embedding": vectors[i], "size": 1000 + i,
             "mtime_ns": 1_700_000_000_000_000_000 + i, "taken_ns": 1_600_000_000_000_000_000 + i,
             "width": 64, "height": 48, "format": "jpeg", "camera": "Canon EOS R5" if i % 2 else "",
             "color": np.full(16, 0.5, np.float32) if i % 3 else np.zeros(0, np.float32)}
            for i in range(n)]
