"""Benchmark: the seed's pipeline against the same script on clipsearch (issue 21).

The seed (python/tests/seed/seed_recipe.py: transformers 4.25.1 CLIPModel + CLIPProcessor at
batch 32, numpy/FAISS inner-product search, pickle) and clipsearch's CLIPFeatureExtractor /
CLIPRetriever run the same steps on the same random-weight ViT-B/32 and the same real-size JPEGs
(bench/index_bench.py makes both), with the same threads, each repeat in a fresh process:
  add      retriever.add_images(all photos) into a new database: images/s
  query    retriever.search_by_text(text, top_k=5) for 20 different texts (never cached): ms
and, for the Python layer's own cost, clipsearch's Library.index against `clipsearch index` on
the same photos. PyTorch gets the OpenBLAS kernels clipsearch selects (the stronger peer).

Usage: .venv/bin/python bench/python_seed_bench.py [--photos 1000] [--threads 2] [--repeats 3]
(needs `pip install .` and scripts/build.sh). Prints a Markdown section for bench/RESULTS.md.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
sys.path.insert(0, os.path.join(ROOT, "python", "tests", "seed"))

from index_bench import CLI, WORK, blas_core, make_model, make_photos  # noqa: E402

QUERIES = [f"a photo of {w}" for w in ["a dog", "a cat", "the beach", "a city at night",
                                       "a red car", "mountains", "a birthday cake", "a rocket",
                                       "coffee", "a motorcycle", "an astronaut", "snow",
                                       "a forest path", "a sunset", "a bowl of soup", "a bridge",
                                       "a child playing", "flowers", "a bicycle", "the sea"]]


def worker(kind, model_dir, threads, files):
    """One repeat in this process: (seconds to add, [ms per query])."""
    if kind == "seed":
        import torch
        torch.set_num_threads(threads)
        from seed_recipe import CLIPRetriever
    else:
        import clipsearch
        clipsearch.set_num_threads(threads)
        from clipsearch import CLIPRetriever
    with tempfile.TemporaryDirectory() as tmp:
        retriever = CLIPRetriever(os.path.join(tmp, "image_db.pkl"), model_name=model_dir)
        start = time.perf_counter()
        retriever.add_images(files)
        add = time.perf_counter() - start
        latencies = []
        for q in QUERIES:
            start = time.perf_counter()
            retriever.search_by_text(q, top_k=5)
            latencies.append((time.perf_counter() - start) * 1000)
    return add, latencies


def library_worker(model_dir, threads, folder):
    import clipsearch
    clipsearch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        library = clipsearch.Library(os.path.join(tmp, "index.db"), model_dir)
        start = time.perf_counter()
        library.index([folder])
        return time.perf_counter() - start


def run_worker(args, env_extra):
    env = dict(os.environ, **env_extra)
    out = subprocess.run([sys.executable, "-W", "ignore", __file__, *args], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_cli(model_dir, threads, folder):
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([CLI, "index", folder, "--db", os.path.join(tmp, "index.db"), "--model",
                        model_dir, "--threads", str(threads), "--quiet"], check=True)
        return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--photos", type=int, default=1000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--worker")
    p.add_argument("--model")
    p.add_argument("--folder")
    a = p.parse_args()
    if a.worker == "library":
        print(json.dumps(library_worker(a.model, a.threads, a.folder)))
        return
    if a.worker:
        files = sorted(os.path.join(a.folder, f) for f in os.listdir(a.folder)
                       if f.endswith(".jpg"))
        print(json.dumps(worker(a.worker, a.model, a.threads, files)))
        return

    from tokenizer_golden import derive_hf_vocab
    model = make_model(os.path.join(WORK, "model"))
    if not os.path.exists(os.path.join(model, "vocab.json")):
        derive_hf_vocab(model)  # the seed's CLIPProcessor reads vocab.json + merges.txt
    folder = os.path.join(WORK, f"photos-{a.photos}")
    files = make_photos(folder, a.photos)[:a.photos]
    env = {"OMP_NUM_THREADS": str(a.threads)}
    core = blas_core()
    seed_env = dict(env, **({"OPENBLAS_CORETYPE": core} if core else {}))
    common = ["--model", model, "--threads", str(a.threads), "--folder", folder]
    seed, ours, lib, cli = [], [], [], []
    for _ in range(a.repeats):  # interleaved: the machine's noise falls on every pipeline
        ours.append(run_worker(["--worker", "clipsearch", *common], env))
        seed.append(run_worker(["--worker", "seed", *common], seed_env))
        lib.append(run_worker(["--worker", "library", *common], env))
        cli.append(run_cli(model, a.threads, folder))

    n = len(files)
    from PIL import Image
    megapixels = statistics.mean(Image.open(f).size[0] * Image.open(f).size[1]
                                 for f in files) / 1e6
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())

    def rates(runs):
        r = [n / s for s in runs]
        return min(r), statistics.median(r)

    def latency(runs):
        per_run = [statistics.median(q) for _, q in runs]
        return min(per_run), statistics.median(per_run)

    print(f"### The seed's pipeline against clipsearch from Python, {time.strftime('%Y-%m-%d')}, "
          f"{cpu}, {os.cpu_count()} cores, {a.threads} threads, {a.repeats} repeats, "
          f"load {os.getloadavg()[0]:.1f}\n")
    print(f"{n} JPEGs, {megapixels:.1f} megapixels on average; random-weight ViT-B/32; min / "
          "median of the repeats.\n")
    print("| pipeline | adding: images/s | text query: ms (median of 20) |")
    print("| --- | --- | --- |")
    seed_add, ours_add = rates([r[0] for r in seed]), rates([r[0] for r in ours])
    seed_q, ours_q = latency(seed), latency(ours)
    print(f"| seed recipe (transformers, OPENBLAS_CORETYPE={core}) | {seed_add[0]:.2f} / "
          f"{seed_add[1]:.2f} | {seed_q[0]:.1f} / {seed_q[1]:.1f} |")
    print(f"| the same script on clipsearch | {ours_add[0]:.2f} / {ours_add[1]:.2f} | "
          f"{ours_q[0]:.1f} / {ours_q[1]:.1f} |")
    print(f"| clipsearch / seed (medians) | **{ours_add[1] / seed_add[1]:.2f}x** | "
          f"**{seed_q[1] / ours_q[1]:.1f}x** faster |\n")
    lib_rate, cli_rate = rates(lib), rates(cli)
    print("| indexing the same photos | images/s |")
    print("| --- | --- |")
    print(f"| `clipsearch index` (the CLI) | {cli_rate[0]:.2f} / {cli_rate[1]:.2f} |")
    print(f"| `clipsearch.Library.index` (Python) | {lib_rate[0]:.2f} / {lib_rate[1]:.2f} |")
    print(f"| Python layer's cost (medians) | {100 * (1 - lib_rate[1] / cli_rate[1]):+.1f}% |")


if __name__ == "__main__":
    main()
