#!/usr/bin/env python3
"""FAISS comparison for bench/RESULTS.md ("Vector index"): Debian python3-faiss 1.7.3 IndexFlatIP
on the same kind of 200,000 x 512 embedding-like vectors as vector_bench, wall and CPU time.
Run with /usr/bin/python3 (the Debian package belongs to the system python)."""
import os
import time

import numpy as np
import faiss
n, d, nq = 200000, 512, 30
rng = np.random.default_rng(1)
# embedding-like: latent 64-d mixture projected to 512 + noise (as src/index/test_vectors.h)
cent = rng.standard_normal((n // 500, 64)).astype(np.float32)
lat = cent[rng.integers(0, n // 500, n)] + 0.6 * rng.standard_normal((n, 64)).astype(np.float32)
x = lat @ rng.standard_normal((64, d)).astype(np.float32) + 1.5 * rng.standard_normal((n, d)).astype(np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
g = rng.standard_normal((nq, d)).astype(np.float32)
q = x[rng.integers(0, n, nq)] + 0.5 * g / np.linalg.norm(g, axis=1, keepdims=True)
q = (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)
for threads in (1, 2):
    faiss.omp_set_num_threads(threads)
    index = faiss.IndexFlatIP(d); index.add(x)
    walls, cpus = [], []
    for r in range(3):
        t, c = time.perf_counter(), time.process_time()
        for i in range(nq):
            index.search(q[i:i+1], 10)
        walls.append((time.perf_counter() - t) / nq * 1e3); cpus.append((time.process_time() - c) / nq * 1e3)
    print(f"faiss IndexFlatIP {n}x{d}, 1 query, {threads} thread(s): wall {min(walls):.1f} / {sorted(walls)[1]:.1f} ms, CPU {min(cpus):.1f} / {sorted(cpus)[1]:.1f} ms")
    t, c = time.perf_counter(), time.process_time()
    index.search(q, 10)
    print(f"faiss IndexFlatIP batch of {nq}, {threads} thread(s): {nq / (time.perf_counter() - t):.1f} queries/s, CPU {(time.process_time() - c) * 1e3:.0f} ms")
print(os.getloadavg())
