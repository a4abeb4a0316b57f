#!/usr/bin/env python3
"""Reference for exact vector search (src/index/exact_index): a brute-force numpy ranking.

Generates L2-normalized float32 vectors (random and clustered, with exact duplicate rows so
scores tie), scores every row in float64 and ranks by score descending, then id ascending.

Writes under $CLIPSEARCH_REFERENCE_DIR/exact_search/<case>/:
  vectors.npy  float32 [N, D]
  ids.npy      float32 [N]   (integers below 2^24, exact in float32)
  queries.npy  float32 [Q, D]
  <query>_ids.npy / <query>_scores.npy  for each search in SEARCHES: float32 [Q, K], padded
               with id -1 / score NaN where fewer than K rows pass (min_score)
"""
import os
import shutil

import numpy as np

ROOT = os.path.join(os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"), "exact_search")
CASES = {"d512": (7000, 512), "d768": (3000, 768), "d77": (4000, 77)}
# name: (k, min_score or None, filter: ids divisible by this, or None)
SEARCHES = {"top10": (10, None, None), "top100": (100, None, None),
            "filter3": (25, None, 3), "min_score": (400, 0.1, None)}


def normalize(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def make(n, d, rng):
    centres = rng.standard_normal((40, d))
    clustered = centres[rng.integers(0, 40, n // 2)] + 0.8 * rng.standard_normal((n // 2, d))
    vectors = normalize(np.concatenate([clustered, rng.standard_normal((n - n // 2, d))]))
    vectors[1::13] = vectors[0::13][: len(vectors[1::13])]  # exact duplicates: tied scores
    ids = rng.permutation(4 * n)[:n].astype(np.float32)
    queries = normalize(vectors[rng.integers(0, n, 6)] + 0.3 * rng.standard_normal((6, d)))
    return vectors, ids, queries


def rank(vectors, ids, query, k, min_score, divisor):
    scores = vectors.astype(np.float64) @ query.astype(np.float64)
    keep = np.ones(len(ids), bool)
    if divisor is not None:
        keep &= ids.astype(np.int64) % divisor == 0
    if min_score is not None:
        keep &= scores >= min_score
    rows = np.nonzero(keep)[0]
    order = rows[np.lexsort((ids[rows], -scores[rows]))][:k]
    out_ids = np.full(k, -1, np.float32)
    out_scores = np.full(k, np.nan, np.float32)
    out_ids[: len(order)] = ids[order]
    out_scores[: len(order)] = scores[order]
    return out_ids, out_scores


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    rng = np.random.default_rng(20261127)
    for name, (n, d) in CASES.items():
        out = os.path.join(ROOT, name)
        os.makedirs(out)
        vectors, ids, queries = make(n, d, rng)
        np.save(os.path.join(out, "vectors.npy"), vectors)
        np.save(os.path.join(out, "ids.npy"), ids)
        np.save(os.path.join(out, "queries.npy"), queries)
        for search, (k, min_score, divisor) in SEARCHES.items():
            res = [rank(vectors, ids, q, k, min_score, divisor) for q in queries]
            np.save(os.path.join(out, search + "_ids.npy"), np.stack([r[0] for r in res]))
            np.save(os.path.join(out, search + "_scores.npy"), np.stack([r[1] for r in res]))
    print("exact_search reference:", ", ".join(CASES))


if __name__ == "__main__":
    main()
