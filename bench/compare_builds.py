"""Benchmark: two builds of clipsearch against each other, interleaved on the same machine in one
run: the engine (`clipsearch bench`), indexing photos (`clipsearch index`) and search
(`clipsearch search` from process start on a 100,000-image catalog). For "no regression" checks of a change: --before is a build of the
previous commit, --after of this one.

Usage: .venv/bin/python bench/compare_builds.py --before DIR --after DIR [--rounds 3]
Prints a Markdown table for bench/RESULTS.md.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from index_bench import make_model, make_photos  # noqa: E402
from synthetic_index import make_synthetic_index  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(build):
    return os.path.join(build, "src", "cli", "clipsearch")


def timed(args):
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def engine(build, model, threads):
    out = subprocess.run([cli(build), "bench", "--model", model, "--threads", str(threads),
                          "--batch", "16", "--text-batch", "16", "--iters", "3"],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    texts = next(v for k, v in r.items() if k.startswith("texts_per_s"))
    return r["images_per_s_best"], texts


def index_seconds(build, model, photos, work, threads):
    db = os.path.join(work, "index.db")
    for suffix in ["", "-wal", "-shm", ".vectors", ".hnsw"]:
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    return timed([cli(build), "index", photos, "--db", db, "--model", model, "--threads",
                  str(threads), "--progress", "none"])


def search_seconds(build, db, threads):
    return timed([cli(build), "search", "a dog on a summer beach", "--db", db, "--all", "-k",
                  "10", "--threads", str(threads)])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--before", required=True)
    p.add_argument("--after", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--photos", type=int, default=24)
    a = p.parse_args()
    work = os.path.join(ROOT, "build", "bench-compare")
    os.makedirs(work, exist_ok=True)
    model = make_model(os.path.join(ROOT, "build", "bench-index", "model"))
    photos_dir = os.path.join(work, "photos")
    make_photos(photos_dir, a.photos)
    builds = {"before": a.before, "after": a.after}
    dbs = {}
    for name, build in builds.items():
        dbs[name] = make_synthetic_index(cli(build), model, os.path.join(work, name), 100000)
        search_seconds(build, dbs[name], a.threads)  # writes the vector file once
    results = {name: {"images": [], "texts": [], "index": [], "search": []} for name in builds}
    for _ in range(a.rounds):
        for name, build in builds.items():
            images, texts = engine(build, model, a.threads)
            r = results[name]
            r["images"].append(images)
            r["texts"].append(texts)
            r["index"].append(index_seconds(build, model, photos_dir, os.path.join(work, name),
                                            a.threads))
            r["search"].append(search_seconds(build, dbs[name], a.threads))
    print(f"{a.rounds} interleaved rounds, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{a.threads} threads, load {os.getloadavg()[0]:.1f} at the end\n")
    print("| measurement | before (best / median) | after (best / median) |")
    print("| --- | ---: | ---: |")
    rows = [("engine, ViT-B/32 images/s (best of 3 iters)", "images", True, "{:.2f}"),
            ("engine, 77-token texts/s", "texts", True, "{:.1f}"),
            (f"index {a.photos} photos (3-12 MP JPEG), s", "index", False, "{:.2f}"),
            ("search 100,000 images from process start, s", "search", False, "{:.3f}")]
    for label, key, higher_better, fmt in rows:
        cells = []
        for name in builds:
            v = results[name][key]
            best = max(v) if higher_better else min(v)
            cells.append(f"{fmt.format(best)} / {fmt.format(statistics.median(v))}")
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    shutil.rmtree(photos_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
