"""Benchmark: clipsearch's CLIP engine against the reference (transformers 4.25.1 CLIPModel on
PyTorch), same random weights, same threads, same machine, same run.

Measures, for ViT-B/32 and ViT-B/16 shapes:
  - image throughput at batch 32, batch-1 image latency, a 10-token text query's latency,
    full-length (77-token) text throughput at batch 32;
  - the share of this machine's OpenBLAS sgemm throughput that the image tower reaches;
  - clipsearch's time from process start to first embedding and its peak RSS.
Every figure is repeated (--repeats) and reported as min / median. PyTorch runs twice: with the
environment as it is, and with OPENBLAS_CORETYPE set to the kernels clipsearch selects (on CPUs
that Debian's OpenBLAS does not recognize, PyTorch's BLAS otherwise falls back to SSE3 kernels).

Usage: .venv/bin/python bench/compare_engine.py [--threads 2] [--repeats 5] [--models b32,b16]
Prints a Markdown section for bench/RESULTS.md.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "build", "src", "cli", "clipsearch")
SGEMM = os.path.join(ROOT, "build", "bench", "sgemm_peak")
SHAPES = {"b32": dict(patch_size=32), "b16": dict(patch_size=16)}


def make_model(name, out_root):
    out = os.path.join(out_root, name)
    if os.path.exists(os.path.join(out, "model.safetensors")):
        return out
    import torch
    from transformers import CLIPConfig, CLIPModel
    torch.manual_seed(0)
    config = CLIPConfig(vision_config=SHAPES[name], text_config={}, projection_dim=512)
    CLIPModel(config).eval().save_pretrained(out, safe_serialization=True)
    return out


def vit_flops(image_size, patch, width=768, layers=12, mlp=3072, proj=512):
    """Multiply-adds x2 of one image through the image tower (the matrix products)."""
    grid = image_size // patch
    t = grid * grid + 1
    per_layer = 2 * t * width * (3 * width) + 2 * t * t * width * 2 + 2 * t * width * width \
        + 2 * t * width * mlp * 2
    return 2 * grid * grid * 3 * patch * patch * width + layers * per_layer + 2 * width * proj


def torch_worker(model_dir, threads, repeats):
    import numpy as np
    import torch
    from transformers import CLIPModel
    torch.set_num_threads(threads)
    model = CLIPModel.from_pretrained(model_dir).eval()
    size = model.config.vision_config.image_size

    def timed(fn):
        fn()
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
        return runs

    g = torch.Generator().manual_seed(0)
    batch = torch.randn(32, 3, size, size, generator=g)
    one = batch[:1].clone()
    query = torch.tensor([[49406] + list(range(1000, 1008)) + [49407]])
    full = torch.tensor([[49406] + list(range(1000, 1075)) + [49407]] * 32)
    with torch.no_grad():
        return {
            "image_b32_s": timed(lambda: model.get_image_features(pixel_values=batch)),
            "image_b1_s": timed(lambda: model.get_image_features(pixel_values=one)),
            "text_q10_s": timed(lambda: model.get_text_features(input_ids=query)),
            "text_ctx77_b32_s": timed(lambda: model.get_text_features(input_ids=full)),
        }


def run_torch(model_dir, threads, repeats, coretype):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    out = subprocess.run([sys.executable, "-W", "ignore", __file__, "--torch-worker", model_dir,
                          "--threads", str(threads), "--repeats", str(repeats)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_cli_bench(model_dir, threads, repeats, batch, text_batch, text_tokens):
    out = subprocess.run([CLI, "bench", "--model", model_dir, "--threads", str(threads),
                          "--iters", str(repeats), "--batch", str(batch), "--text-batch",
                          str(text_batch), "--text-tokens", str(text_tokens)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def run_clipsearch(model_dir, threads, repeats):
    b32 = run_cli_bench(model_dir, threads, repeats, 32, 32, 77)
    b1 = run_cli_bench(model_dir, threads, repeats, 1, 1, 10)
    return {"image_b32_s": b32["image_batch_s"], "text_ctx77_b32_s": b32["text_batch_s"],
            "image_b1_s": b1["image_batch_s"], "text_q10_s": b1["text_batch_s"],
            "blas_core": b32["blas_core"]}


def startup_and_rss(model_dir, threads, repeats):
    """Whole-process wall time and peak RSS of `clipsearch embed` for one text (the first
    embedding a search needs), and for one image plus one text (every weight touched)."""
    import numpy as np
    ids = ",".join(map(str, [49406] + list(range(1000, 1008)) + [49407]))
    pixels = os.path.join(model_dir, "bench_pixels.npy")
    np.save(pixels, np.random.default_rng(0).standard_normal((3, 224, 224)).astype(np.float32))
    text_only = measure([CLI, "embed", "--model", model_dir, "--threads", str(threads),
                         "--token-ids", ids], repeats)
    both = measure([CLI, "embed", "--model", model_dir, "--threads", str(threads), "--pixels",
                    pixels, "--token-ids", ids], repeats)
    return text_only, both


def measure(command, repeats):
    wall, rss = [], []
    for _ in range(repeats):
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M"] + command,
                           check=True, capture_output=True, text=True)
        e, m = r.stderr.strip().splitlines()[-1].split()
        wall.append(float(e))
        rss.append(int(m) / 1024)
    return wall, rss


def fmt(runs, scale=1.0, unit=""):
    return f"{min(runs) * scale:.3g} / {statistics.median(runs) * scale:.3g}{unit}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--models", default="b32,b16")
    p.add_argument("--model-dir", default=os.path.join(ROOT, "build", "bench-models"))
    p.add_argument("--torch-worker")
    p.add_argument("--build", default=os.path.join(ROOT, "build"),
                   help="the build folder whose clipsearch and sgemm_peak are measured")
    a = p.parse_args()
    global CLI, SGEMM
    CLI = os.path.join(a.build, "src", "cli", "clipsearch")
    SGEMM = os.path.join(a.build, "bench", "sgemm_peak")
    if a.torch_worker:
        print(json.dumps(torch_worker(a.torch_worker, a.threads, a.repeats)))
        return
    sgemm = json.loads(subprocess.run([SGEMM, str(a.threads), str(a.repeats)], check=True,
                                      capture_output=True, text=True).stdout)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    print(f"### CLIP engine, {time.strftime('%Y-%m-%d')}, {cpu}, {os.cpu_count()} cores, "
          f"{a.threads} threads, {a.repeats} repeats (min / median)\n")
    print(f"OpenBLAS kernels: {sgemm['blas_core']}; sgemm {sgemm['shape']} with OpenBLAS's own "
          f"threads: {sgemm['openblas_gflops']:.1f} GFLOP/s; clipsearch linear(): "
          f"{sgemm['clipsearch_linear_gflops']:.1f} GFLOP/s.\n")
    for name in a.models.split(","):
        model = make_model(name, a.model_dir)
        ours = run_clipsearch(model, a.threads, a.repeats)
        ref_default = run_torch(model, a.threads, a.repeats, None)
        ref_tuned = run_torch(model, a.threads, a.repeats, ours["blas_core"])
        (wall, rss), (wall_both, rss_both) = startup_and_rss(model, a.threads, a.repeats)
        weights_mb = os.path.getsize(os.path.join(model, "model.safetensors")) / 2**20
        flops = vit_flops(224, SHAPES[name]["patch_size"])
        tower_gflops = 32 * flops / min(ours["image_b32_s"]) / 1e9
        print(f"#### ViT-{name.upper()} shapes\n")
        print("| measure | clipsearch | PyTorch (env as is) | PyTorch (OPENBLAS_CORETYPE="
              f"{ours['blas_core']}) | speed-up vs tuned PyTorch (median) |")
        print("| --- | --- | --- | --- | --- |")
        rows = [("images/s, batch 32", "image_b32_s", 32, True),
                ("image latency, batch 1 (ms)", "image_b1_s", 1, False),
                ("text query latency, 10 tokens (ms)", "text_q10_s", 1, False),
                ("texts/s, 77 tokens, batch 32", "text_ctx77_b32_s", 32, True)]
        for label, key, n, rate in rows:
            def cell(runs):
                if rate:
                    rates = [n / r for r in runs]
                    return f"{min(rates):.3g} / {statistics.median(rates):.3g}"
                return fmt(runs, 1000)
            speedup = statistics.median(ref_tuned[key]) / statistics.median(ours[key])
            print(f"| {label} | {cell(ours[key])} | {cell(ref_default[key])} | "
                  f"{cell(ref_tuned[key])} | {speedup:.2f}x |")
        print(f"\nImage tower at batch 32: {tower_gflops:.1f} GFLOP/s = "
              f"{100 * tower_gflops / sgemm['openblas_gflops']:.0f}% of OpenBLAS sgemm. "
              f"`clipsearch embed`, process start to exit: one text {fmt(wall, 1, ' s')}, "
              f"peak RSS {min(rss):.0f} MB; one image + one text {fmt(wall_both, 1, ' s')}, "
              f"peak RSS {min(rss_both):.0f} MB, for a {weights_mb:.0f} MB weights file "
              f"(+{min(rss_both) - weights_mb:.0f} MB).\n")


if __name__ == "__main__":
    main()
