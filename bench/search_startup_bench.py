"""Benchmark: `clipsearch search "text"` from process start to printed results on a large
index, with the model the index was built with (random-weight ViT-B/32).

The index is made by `clipsearch index` on a few photos, then grown to --images rows with
synthetic normalized 512-d embeddings written straight into the catalog (the search side cannot
tell them from real ones), and the generation bumped as the indexer would. The first search
after that rebuilds the vector file from the catalog; the following ones map it. Each figure is
min / median of --repeats runs of the whole process.

Usage: .venv/bin/python bench/search_startup_bench.py [--images 100000] [--repeats 5]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "build", "src", "cli", "clipsearch")
WORK = os.path.join(ROOT, "build", "bench-search")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from index_bench import make_model  # noqa: E402
from synthetic_index import make_synthetic_index  # noqa: E402


def timed(args):
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=100000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    model = make_model(os.path.join(ROOT, "build", "bench-index", "model"))
    db = make_synthetic_index(CLI, model, WORK, a.images)
    search = [CLI, "search", "a dog on a summer beach", "--db", db, "--all", "-k", "10",
              "--threads", str(a.threads)]
    first = timed(search)
    runs = [timed(search) for _ in range(a.repeats)]
    print(f"### `clipsearch search` from process start, {time.strftime('%Y-%m-%d')}, "
          f"{os.cpu_count()} cores, {a.threads} threads, load {os.getloadavg()[0]:.1f}\n")
    print(f"{a.images:,} images (512-d), random-weight ViT-B/32 (F32 safetensors, 578 MB). "
          f"First search after the index changed (vector file rebuilt from the catalog): "
          f"{first:.2f} s. Then, vector file mapped: {min(runs):.2f} / "
          f"{statistics.median(runs):.2f} s (min / median of {a.repeats}).")


if __name__ == "__main__":
    main()
