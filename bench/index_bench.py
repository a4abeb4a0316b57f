"""Benchmark: indexing a folder of photos with `clipsearch index` against the reference recipe
(Pillow decode + transformers 4.25.1 CLIPImageProcessor + CLIPModel.get_image_features at batch
32, embeddings normalized), same random-weight ViT-B/32, same photos, same threads, same run.

Photos: made from scikit-image's photographs, upscaled to 3-12 megapixels with Lanczos and saved
as JPEG quality 90 (BUILD/bench-index/photos). clipsearch indexes into a fresh catalog on every
repeat, once with exact decoding and once with --decode fast. PyTorch runs with the environment
as it is and with OPENBLAS_CORETYPE set to the kernels clipsearch selects.

Usage: .venv/bin/python bench/index_bench.py [--photos 64] [--threads 2] [--repeats 3]
       [--precisions f32,bf16,int8] (instead: `index --decode fast` at each precision, interleaved,
       against f32, beside `clipsearch bench`'s embedding rate at batch 32: the difference of the
       two per-image times is what the rest (decode, resize, catalog) costs)
Prints a Markdown section for bench/RESULTS.md.
"""
import argparse
import importlib.util
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "build", "src", "cli", "clipsearch")
WORK = os.path.join(ROOT, "build", "bench-index")


def make_model(out):
    if os.path.exists(os.path.join(out, "model.safetensors")):
        return out
    import open_clip
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel
    torch.manual_seed(0)
    CLIPModel(CLIPConfig()).eval().save_pretrained(out, safe_serialization=True)
    CLIPImageProcessor().save_pretrained(out)  # the published preprocessing settings
    shutil.copy(os.path.join(os.path.dirname(open_clip.__file__), "bpe_simple_vocab_16e6.txt.gz"),
                out)
    return out


def make_photos(out, count, widths=(2000, 4000)):
    from PIL import Image
    os.makedirs(out, exist_ok=True)
    data = os.path.join(os.path.dirname(importlib.util.find_spec("skimage").origin), "data")
    sources = [Image.open(os.path.join(data, n)).convert("RGB") for n in
               ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png"]]
    rng = random.Random(0)
    for i in range(count):
        dst = os.path.join(out, f"photo_{i:04d}.jpg")
        if os.path.exists(dst):
            continue
        w = rng.randrange(widths[0], widths[1] + 1)
        h = int(w * rng.choice([0.75, 0.5625, 0.6667, 1.3333, 1.0]))
        src = sources[i % len(sources)]
        src.resize((w, h), Image.LANCZOS).save(dst, quality=90)
    return sorted(os.path.join(out, f) for f in os.listdir(out) if f.endswith(".jpg"))


def reference_worker(model_dir, threads, repeats, files):
    import torch
    from PIL import Image
    from transformers import CLIPImageProcessor, CLIPModel
    torch.set_num_threads(threads)
    model = CLIPModel.from_pretrained(model_dir).eval()
    processor = CLIPImageProcessor.from_pretrained(model_dir)
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for first in range(0, len(files), 32):
            images = [Image.open(f).convert("RGB") for f in files[first:first + 32]]
            inputs = processor(images=images, return_tensors="pt")
            with torch.no_grad():
                e = model.get_image_features(**inputs)
            e = e / e.norm(dim=-1, keepdim=True)
        runs.append(time.perf_counter() - start)
    return runs


def run_reference(model_dir, threads, repeats, files, coretype):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    out = subprocess.run([sys.executable, "-W", "ignore", __file__, "--reference-worker",
                          model_dir, "--threads", str(threads), "--repeats", str(repeats)],
                         input="\n".join(files), env=env, check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def index_seconds(model_dir, threads, photos, decode, precision="f32"):
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([CLI, "index", photos, "--db", os.path.join(tmp, "index.db"),
                        "--model", model_dir, "--threads", str(threads), "--batch-size",
                        "32", "--decode", decode, "--precision", precision, "--quiet"],
                       check=True)
        return time.perf_counter() - start


def run_clipsearch(model_dir, threads, repeats, photos, decode):
    return [index_seconds(model_dir, threads, photos, decode) for _ in range(repeats)]


def run_precisions(a, model, photos_dir, n, megapixels):
    """`index --decode fast` per precision, interleaved, and the embedding alone (`bench`)."""
    precisions = a.precisions.split(",")
    runs = {p: [] for p in precisions}
    embed = {p: [] for p in precisions}
    loads = []
    for _ in range(a.repeats):
        for p in precisions:
            loads.append(os.getloadavg()[0])
            runs[p].append(index_seconds(model, a.threads, photos_dir, "fast", p))
            out = subprocess.run([CLI, "bench", "--model", model, "--precision", p, "--threads",
                                  str(a.threads), "--batch", "32", "--iters", "2"],
                                 capture_output=True, text=True, check=True)
            embed[p].append(json.loads(out.stdout)["images_per_s"])
    print(f"### `index --decode fast` by precision, {time.strftime('%Y-%m-%d')}, "
          f"{a.threads} threads, {a.repeats} repeats, load {min(loads):.1f}-{max(loads):.1f}\n")
    print(f"{n} JPEGs, {megapixels:.1f} megapixels on average; random-weight ViT-B/32; "
          "best / median.\n")
    print("| precision | index, images/s | vs f32 (median) | embedding alone (`bench`, batch 32), "
          "images/s | vs f32 (median) | the rest (decode, resize, catalog), ms per image |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    f32 = rate(n, runs[precisions[0]])[1]
    f32_embed = statistics.median(embed[precisions[0]])
    for p in precisions:
        lo, med = rate(n, runs[p])
        e = statistics.median(embed[p])
        print(f"| {p} | {n / min(runs[p]):.2f} / {med:.2f} | {med / f32:.2f}x | "
              f"{max(embed[p]):.2f} / {e:.2f} | {e / f32_embed:.2f}x | "
              f"{1000 * (1 / med - 1 / e):.0f} |")


def blas_core():
    """The OpenBLAS kernels clipsearch selects on this CPU (see src/tensor/blas_core)."""
    probe = subprocess.run([os.path.join(ROOT, "build", "bench", "sgemm_peak"), "1", "1"],
                           capture_output=True, text=True)
    try:
        return json.loads(probe.stdout)["blas_core"]
    except (ValueError, KeyError):
        return None


def rate(count, runs):
    rates = [count / r for r in runs]
    return min(rates), statistics.median(rates)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--photos", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--reference-worker")
    p.add_argument("--precisions")
    a = p.parse_args()
    if a.reference_worker:
        files = sys.stdin.read().split("\n")
        print(json.dumps(reference_worker(a.reference_worker, a.threads, a.repeats, files)))
        return
    model = make_model(os.path.join(WORK, "model"))
    photos_dir = os.path.join(WORK, "photos")
    files = make_photos(photos_dir, a.photos)[:a.photos]
    from PIL import Image
    megapixels = statistics.mean(Image.open(f).size[0] * Image.open(f).size[1] for f in files) / 1e6
    if a.precisions:
        run_precisions(a, model, photos_dir, len(files), megapixels)
        return
    core = blas_core()
    exact = run_clipsearch(model, a.threads, a.repeats, photos_dir, "exact")
    fast = run_clipsearch(model, a.threads, a.repeats, photos_dir, "fast")
    ref = run_reference(model, a.threads, a.repeats, files, None)
    ref_tuned = run_reference(model, a.threads, a.repeats, files, core) if core else ref
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    n = len(files)
    print(f"### Indexing photos, {time.strftime('%Y-%m-%d')}, {cpu}, {os.cpu_count()} cores, "
          f"{a.threads} threads, {a.repeats} repeats, load {os.getloadavg()[0]:.1f}\n")
    print(f"{n} JPEGs, {megapixels:.1f} megapixels on average; random-weight ViT-B/32; "
          "images/s, min / median (higher is better).\n")
    print("| pipeline | images/s | vs reference (median) | vs tuned reference (median) |")
    print("| --- | --- | --- | --- |")
    ref_med = rate(n, ref)[1]
    tuned_med = rate(n, ref_tuned)[1]
    for label, runs in [("clipsearch index (exact decode)", exact),
                        ("clipsearch index --decode fast", fast),
                        ("reference recipe (env as is)", ref),
                        (f"reference recipe (OPENBLAS_CORETYPE={core})", ref_tuned)]:
        lo, med = rate(n, runs)
        print(f"| {label} | {lo:.2f} / {med:.2f} | {med / ref_med:.2f}x | {med / tuned_med:.2f}x |")


if __name__ == "__main__":
    main()
