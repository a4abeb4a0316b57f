"""Fixtures of the distributed path's tests (run with .venv-distributed): Milvus Lite files in
temporary folders. Nothing reaches the network."""
import os
import subprocess

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


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def library_files(tmp_path_factory):
    """(model folder, photo folder): made by make_library.py in the reference venv."""
    model = str(tmp_path_factory.mktemp("model"))
    photos = str(tmp_path_factory.mktemp("photos"))
    python = os.environ.get("CLIPSEARCH_REFERENCE_PYTHON", os.path.join(ROOT, ".venv", "bin",
                                                                        "python"))
    subprocess.run([python, os.path.join(ROOT, "python", "tests_distributed", "make_library.py"),
                    model, photos], check=True)
    return model, photos


@pytest.fixture(scope="session")
def local_library(tmp_path_factory, library_files):
    """(catalog path, clipsearch.Library) of the photo library, indexed locally."""
    import clipsearch
    model, photos = library_files
    db = str(tmp_path_factory.mktemp("catalog") / "photos.db")
    lib = clipsearch.Library(db, model)
    report = lib.index([photos])
    assert report.embedded >= 40, report
    return db, lib
