"""Fixtures of the Python package's tests: a random-weight CLIP model that the reference
(transformers 4.25.1) builds and saves, a small photo library, the reference's own embeddings,
and the clipsearch CLI for side-by-side answers. Nothing is downloaded."""
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))

from make_search_reference import build_model, draw_library  # noqa: E402


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """(model folder, the transformers CLIPModel) of a small random-weight CLIP."""
    folder = str(tmp_path_factory.mktemp("model"))
    model = build_model(folder)
    return folder, model


@pytest.fixture(scope="session")
def model_dir(reference):
    return reference[0]


@pytest.fixture(scope="session")
def photos(tmp_path_factory):
    """(library folder, relative paths of its good photos); it also holds a truncated JPEG and
    a text file named .png."""
    folder = str(tmp_path_factory.mktemp("photos"))
    return folder, draw_library(folder)


@pytest.fixture(scope="session")
def reference_embed(reference):
    """embed_images(files or PIL images), embed_texts(texts): the reference's normalized
    float64 embeddings (Pillow + CLIPImageProcessor, CLIPTokenizerFast, CLIPModel)."""
    import torch
    from PIL import Image
    from transformers import CLIPImageProcessor, CLIPTokenizerFast
    folder, model = reference
    processor = CLIPImageProcessor.from_pretrained(folder)
    tokenizer = CLIPTokenizerFast.from_pretrained(folder)

    def unit(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    def embed_images(items, normalize=True):
        images = [Image.open(i).convert("RGB") if isinstance(i, str) else i for i in items]
        with torch.no_grad():
            pixels = processor(images=images, return_tensors="pt")["pixel_values"]
            out = model.get_image_features(pixel_values=pixels).double().numpy()
        return unit(out) if normalize else out

    def embed_texts(texts, normalize=True):
        with torch.no_grad():
            ids = tokenizer(texts, padding=True, truncation=True, max_length=77,
                            return_tensors="pt")
            out = model.get_text_features(**ids).double().numpy()
        return unit(out) if normalize else out

    embed_images.processor = processor
    embed_texts.tokenizer = tokenizer
    return embed_images, embed_texts


@pytest.fixture(scope="session")
def cli():
    """Runs the clipsearch command-line tool (CLIPSEARCH_BINARY, else build/src/cli/clipsearch)."""
    # Absolute: the runs below start in another folder.
    binary = os.path.abspath(os.environ.get("CLIPSEARCH_BINARY",
                                            os.path.join(ROOT, "build", "src", "cli", "clipsearch")))
    assert os.access(binary, os.X_OK), f"{binary}: build the CLI first (scripts/build.sh)"

    def run(*args, cwd="/"):
        done = subprocess.run([binary, *args], capture_output=True, text=True, cwd=cwd)
        assert done.returncode == 0, f"clipsearch {' '.join(args)}: {done.stderr}"
        return done.stdout

    return run


@pytest.fixture(scope="session")
def indexed(tmp_path_factory, model_dir, photos):
    """A catalog of the photo library, written by the Python package."""
    import clipsearch
    db = str(tmp_path_factory.mktemp("catalog") / "photos.db")
    lib = clipsearch.Library(db, model_dir)
    report = lib.index([photos[0]])
    return db, lib, report


def cosines(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.sum(a * b, axis=1)
