#!/usr/bin/env python3
"""FAISS comparison for bench/RESULTS.md ("Vector index"): faiss-cpu from PyPI, IndexFlatIP, one
query at a time over N x D normalized vectors, 1 and 2 threads, wall and CPU time (min / median
of the repeats), and a batch of queries. The scan's speed does not depend on the values, so the
rows are plain random unit vectors. faiss is not a dependency of clipsearch; a throwaway venv:

    python3 -m venv /tmp/faiss-venv && /tmp/faiss-venv/bin/pip install faiss-cpu numpy
    /tmp/faiss-venv/bin/python bench/faiss_flat_bench.py --rows 1000000 --dim 512
"""
import argparse
import os
import time

import faiss
import numpy as np


def stats(values):
    values = sorted(values)
    return values[0], values[len(values) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n, d, nq = args.rows, args.dim, args.queries
    rng = np.random.default_rng(1)
    x = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 100000):  # in slices: a 1M x 512 float64 temporary is 4 GB
        part = rng.standard_normal((min(100000, n - start), d), dtype=np.float32)
        x[start:start + len(part)] = part / np.linalg.norm(part, axis=1, keepdims=True)
    q = rng.standard_normal((nq, d), dtype=np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    index = faiss.IndexFlatIP(d)
    index.add(x)
    print(f"faiss {faiss.__version__} IndexFlatIP {n} x {d}, {nq} queries, {args.repeats} repeats")
    for threads in (1, 2):
        faiss.omp_set_num_threads(threads)
        walls, cpus = [], []
        for _ in range(args.repeats):
            t, c = time.perf_counter(), time.process_time()
            for i in range(nq):
                index.search(q[i:i + 1], 10)
            walls.append((time.perf_counter() - t) / nq * 1e3)
            cpus.append((time.process_time() - c) / nq * 1e3)
        print("  1 query, %d thread(s): wall %.1f / %.1f ms, CPU %.1f / %.1f ms" %
              (threads, *stats(walls), *stats(cpus)))
        qps = []
        for _ in range(min(args.repeats, 3)):
            t = time.perf_counter()
            index.search(q, 10)
            qps.append(nq / (time.perf_counter() - t))
        print("  batch of %d, %d thread(s): %.1f queries/s best, %.1f median" %
              (nq, threads, max(qps), sorted(qps)[len(qps) // 2]))
    print("  load average", os.getloadavg())


if __name__ == "__main__":
    main()
