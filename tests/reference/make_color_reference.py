#!/usr/bin/env python3
"""Reference for colour-aware search (`clipsearch search --color C --color-weight W`): images of
known colours, and the rankings numpy computes from them, independently of the C++ code.

Colour signatures are built from what the images are known to hold (one colour, or two colours
whose shares are the shares of the sampling grid docs/COLOR_SEARCH.md defines), converted to
CIELAB by scikit-image (rgb2lab, D65); the distance is the documented one,
d(A, B) = (sum_a w_a min_b |a - b| + sum_b w_b min_a |a - b|) / 2, similarity exp(-d / 25).
CLIP scores come from the reference model (transformers CLIPModel + CLIPImageProcessor, the
random-weight model of make_search_reference.py); the mixed score is
(1 - W) * clip + W * similarity.

Writes under $CLIPSEARCH_REFERENCE_DIR/color/:
  model/        the random-weight CLIP model
  library/      solid-colour PNGs, and two-colour PNGs under two/
  query.png     a solid picture for --image queries
  queries.json  [{"args": [...], "results": [[relative path, score], ...]}]: full rankings
                (an image given with --like is left out, as search leaves it out)
"""
import json
import math
import os
import shutil
import sys

import numpy as np
from skimage.color import rgb2lab

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_search_reference import build_model, reference_embedders  # noqa: E402

ROOT = os.path.join(os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"), "color")
SCALE = 25.0  # similarity = exp(-distance / SCALE)
GRID = 64     # samples per side, at most

SOLID = [(192, 57, 43), (200, 40, 30), (231, 76, 60), (120, 30, 20), (255, 0, 0), (128, 0, 0),
         (255, 165, 0), (241, 196, 15), (46, 204, 113), (0, 128, 0), (52, 152, 219),
         (0, 0, 128), (142, 68, 173), (255, 255, 255), (0, 0, 0), (128, 128, 128)]
# (left colour, right colour, width, height, columns of the left colour)
TWO = [((192, 57, 43), (255, 255, 255), 64, 64, 16), ((0, 0, 128), (255, 165, 0), 64, 64, 24),
       ((46, 204, 113), (120, 30, 20), 64, 64, 48), ((52, 152, 219), (241, 196, 15), 100, 80, 40)]


def lab(rgb):
    return rgb2lab(np.array([[rgb]], dtype=np.float64) / 255.0)[0, 0]


def grid_share(width, left):
    """Share of the sampled columns that fall left of `left`: samples sit at
    x = floor((2i + 1) * width / (2n)), n = min(width, 64)."""
    n = min(width, GRID)
    return sum(1 for i in range(n) if (2 * i + 1) * width // (2 * n) < left) / n


def distance(a, b):
    def one_way(x, y):
        return sum(w * min(np.linalg.norm(c - d) for d, _ in y) for c, w in x)
    return 0.5 * (one_way(a, b) + one_way(b, a))


def similarity(a, b):
    return math.exp(-distance(a, b) / SCALE)


def draw_library(lib):
    from PIL import Image
    rng = np.random.default_rng(3)
    os.makedirs(os.path.join(lib, "two"))
    signatures = {}
    for i, rgb in enumerate(SOLID):
        size = tuple(int(v) for v in rng.integers(20, 120, 2))
        rel = f"solid_{i:02d}.png"
        Image.new("RGB", size, rgb).save(os.path.join(lib, rel))
        signatures[rel] = [(lab(rgb), 1.0)]
    for i, (left, right, w, h, cols) in enumerate(TWO):
        im = Image.new("RGB", (w, h), right)
        im.paste(left, (0, 0, cols, h))
        rel = os.path.join("two", f"two_{i}.png")
        im.save(os.path.join(lib, rel))
        share = grid_share(w, cols)
        signatures[rel] = [(lab(left), share), (lab(right), 1 - share)]
    return signatures


def main():
    from PIL import Image

    shutil.rmtree(ROOT, ignore_errors=True)
    model_dir, lib = os.path.join(ROOT, "model"), os.path.join(ROOT, "library")
    os.makedirs(model_dir)
    model = build_model(model_dir)
    signatures = draw_library(lib)
    paths = sorted(signatures)
    embed_images, embed_texts = reference_embedders(model, model_dir)

    def embed_text(text):
        return embed_texts([text])[0]

    embeddings = dict(zip(paths, embed_images([os.path.join(lib, p) for p in paths])))
    query_rgb = (40, 120, 200)
    query_image = os.path.join(ROOT, "query.png")
    Image.new("RGB", (50, 30), query_rgb).save(query_image)

    def ranking(q, colour, w, folder=None, exclude=None, exact_order=False):
        rows = []
        for p in paths:
            if p == exclude or (folder and not p.startswith(folder + os.sep)):
                continue
            clip = float(embeddings[p] @ q) if q is not None else 0.0
            rows.append((p, (1 - w) * clip + w * similarity(colour, signatures[p])))
        rows.sort(key=lambda r: -r[1])
        if exact_order:  # the proof needs distances that float rounding cannot reorder
            d = [-SCALE * math.log(r[1]) for r in rows]
            gap = min(b - a for a, b in zip(d, d[1:]))
            assert gap > 0.05, f"colour distances closer than 0.05 in a colour-only ranking: {gap}"
        return rows

    def named(rgb):
        return [(lab(rgb), 1.0)]

    x, dress = embed_text("x"), embed_text("a red dress")
    red, navy = named((0xc0, 0x39, 0x2b)), named((0, 0, 128))
    like = os.path.join("two", "two_2.png")
    queries = [
        (["x", "--color", "#c0392b", "--color-weight", "1"], ranking(x, red, 1.0, exact_order=True)),
        (["x", "--color", "#c0392b", "--color-weight", "0"], ranking(x, red, 0.0)),
        (["a red dress", "--color", "#C0392B", "--color-weight", "0.4"], ranking(dress, red, 0.4)),
        (["a red dress", "--color", "navy"], ranking(dress, navy, 0.3)),
        (["--image", query_image, "--color-weight", "0.5"],
         ranking(embed_images([query_image])[0], named(query_rgb), 0.5)),
        (["x", "--color", "#2e86c1", "--color-weight", "0.7", "--folder", os.path.join(lib, "two")],
         ranking(x, named((0x2e, 0x86, 0xc1)), 0.7, folder="two")),
        (["--like", os.path.join(lib, like), "--color-weight", "1"],
         ranking(None, signatures[like], 1.0, exclude=like, exact_order=True)),
    ]
    out = [{"args": args, "results": results} for args, results in queries]
    with open(os.path.join(ROOT, "queries.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    print(f"colour reference: {len(paths)} images, {len(queries)} queries in {ROOT}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
