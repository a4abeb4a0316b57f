"""Benchmark: search through Milvus Lite (FLAT and HNSW) against the local exact search, on the
same 100,000 vectors, and Milvus' insert rate (issue 22, bench/RESULTS.md).

The catalog: 4 photos indexed by a random-weight CLIP with 512-d embeddings (ViT-B/32's size;
built by the reference venv, nothing downloaded), grown to --rows with synthetic unit rows
(bench/synthetic_index.py). The same rows go into Milvus Lite (catalog_rows -> MilvusStore).
Queries are "more like this" of random indexed images through each side's public search
(clipsearch.Library.search and MilvusLibrary.search: the example's vector looked up, the
example left out, k = 10), one at a time; QPS = 1 / mean latency. Recall@10 of HNSW against the
local exact answers. Run with .venv-distributed:

    .venv-distributed/bin/python bench/milvus_search_bench.py --rows 100000 --repeats 3
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic_index import grow  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_512 = """
import sys
sys.path.insert(0, sys.argv[3])
import torch
from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel
from make_search_reference import derive_hf_vocab, draw_library
torch.manual_seed(0)
config = CLIPConfig(text_config=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                     num_attention_heads=4, max_position_embeddings=77),
                    vision_config=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                       num_attention_heads=4, image_size=64, patch_size=16),
                    projection_dim=512)
CLIPModel(config).eval().save_pretrained(sys.argv[1], safe_serialization=True)
CLIPImageProcessor(size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64}) \\
    .save_pretrained(sys.argv[1])
derive_hf_vocab(sys.argv[1])
draw_library(sys.argv[2], count=4)
"""


def load() -> str:
    return "%.1f" % os.getloadavg()[0]


def timed(fn, queries):
    """Seconds of each call of fn(query)."""
    out = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - start)
    return out


def summary(name, runs):
    """min / median over repeats of each repeat's median latency (ms) and QPS."""
    med = [statistics.median(r) * 1000 for r in runs]
    qps = [len(r) / sum(r) for r in runs]
    print(f"| {name} | {min(med):.2f} / {statistics.median(med):.2f} | "
          f"{max(qps):.1f} / {statistics.median(qps):.1f} |", flush=True)
    return med, qps


def insert(store, db):
    from clipsearch.distributed import catalog_model, catalog_rows
    if store._client.has_collection("bench"):
        store.drop()
    store.create(512, catalog_model(db), index="flat")
    start, rows_written = time.perf_counter(), 0
    for batch in catalog_rows(db, batch=5000):
        rows_written += store.upsert(batch)
    store.flush()
    insert_s = time.perf_counter() - start
    print(f"insert: {rows_written} rows in {insert_s:.1f} s = {rows_written / insert_s:.0f} "
          f"rows/s (catalog read + checks + upsert + flush), load {load()}", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--work", default="")
    p.add_argument("--kinds", default="flat,hnsw", help="indexes to measure, in order")
    p.add_argument("--reuse", action="store_true",
                   help="keep the Milvus collection of an earlier run (no insert measured)")
    args = p.parse_args()
    import clipsearch
    from clipsearch.distributed import MilvusLibrary, MilvusStore
    clipsearch.set_num_threads(2)
    work = args.work or tempfile.mkdtemp(prefix="milvus_bench_")
    model, photos = os.path.join(work, "model"), os.path.join(work, "photos")
    if not os.path.exists(model):
        subprocess.run([os.path.join(ROOT, ".venv", "bin", "python"), "-c", MODEL_512, model,
                        photos, os.path.join(ROOT, "tests", "reference")], check=True)
    db = os.path.join(work, f"catalog-{args.rows}.db")
    if not os.path.exists(db):
        clipsearch.Library(db, model).index([photos])
        grow(db, args.rows)
    local = clipsearch.Library(db)
    print(f"machine: {os.cpu_count()} cores, load {load()}; rows {args.rows}", flush=True)

    uri = os.path.join(work, "milvus.db")
    store = MilvusStore(uri, "bench")
    if not (args.reuse and store._client.has_collection("bench")):
        insert(store, db)
    remote = MilvusLibrary(uri, "bench", model=model)

    rng = np.random.default_rng(1)
    ids = [int(i) for i in rng.choice(np.arange(1, args.rows + 1), args.queries, replace=False)]
    paths = {i: local.image(i).path for i in ids}
    local.search(like=ids[0], k=10)  # the vector file written, the rows mapped
    print("| search, k = 10, one at a time | median ms (min / median of repeats) | "
          "QPS (best / median) |\n| --- | --- | --- |", flush=True)
    exact = {i: [h.path for h in local.search(like=i, k=10)] for i in ids}
    for kind in args.kinds.split(","):
        if store.index_info()["kind"] != kind:
            start = time.perf_counter()
            store.set_index(kind)
            remote = MilvusLibrary(uri, "bench", model=model)
            print(f"{kind.upper()} build: {time.perf_counter() - start:.1f} s, load {load()}",
                  flush=True)
        runs_local, runs_remote = [], []
        for _ in range(args.repeats):
            runs_local.append(timed(lambda i: local.search(like=i, k=10), ids))
            runs_remote.append(timed(lambda i: remote.search(like=paths[i], k=10), ids))
        summary(f"clipsearch exact (local), beside {kind}", runs_local)
        summary(f"Milvus Lite {kind.upper()}", runs_remote)
        if kind == "flat":  # a filter every row passes: what a filtered count(*) costs
            few = ids[:args.queries // 20]
            summary("clipsearch exact (local), format=jpeg",
                    [timed(lambda i: local.search(like=i, k=10, format="jpeg"), few)
                     for _ in range(args.repeats)])
            summary("Milvus Lite FLAT, format=jpeg",
                    [timed(lambda i: remote.search(like=paths[i], k=10, format="jpeg"), few)
                     for _ in range(args.repeats)])
        recall = np.mean([len(set(exact[i]) & {h.path for h in remote.search(like=paths[i],
                                                                                 k=10)}) / 10
                          for i in ids])
        print(f"recall@10 of Milvus {kind.upper()} against the local exact search: "
              f"{recall:.4f}; load {load()}", flush=True)


if __name__ == "__main__":
    main()
