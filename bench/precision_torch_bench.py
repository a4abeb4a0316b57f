"""Benchmark: clipsearch's precisions against PyTorch F32 and the seed's quantization
(torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)), and the seed's
pruning measured once (issue 14).

On the random-weight ViT-B/32 (bench/index_bench.py's model), same threads, one process each:
  images/s at batch 32 (and per CPU-second of the process: on a shared machine, the figure that
  time slicing does not blur), one image's latency, a 10-token text query's latency (median of 20),
  the process's peak memory, the weights file's size,
for PyTorch F32, PyTorch quantize_dynamic int8, and `clipsearch bench` at f32/bf16/f16/int8 plus
the int8 folder `clipsearch quantize` writes, and int8-dynamic (int8 activations per token at run
time, int8 products). Pruning: every nn.Linear of the image and text
towers with 20% of its weights zeroed by magnitude (torch.nn.utils.prune.l1_unstructured, the
seed's call, on all layers rather than two) saved as a checkpoint and run by `clipsearch bench`
(dense kernels: the zeros cost the same), and the cosine of its image embeddings to the dense
model's.

Usage: .venv/bin/python -W ignore bench/precision_torch_bench.py [--threads 2] [--repeats 3]
       [--int8-only] (PyTorch F32 and quantize_dynamic, clipsearch f32, int8, int8-dynamic)
       [--shape b32|b16] (the random-weight ViT-B/16: CLIPConfig with patch 16; no pruning or
       int8 folder rows)
Prints a Markdown section for bench/RESULTS.md.
"""
import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from index_bench import CLI, WORK, blas_core, make_model  # noqa: E402

TEN_TOKENS = [49406, 320, 1929, 530, 320, 2444, 4063, 3544, 1215, 49407]


def torch_worker(model_dir, mode, threads):
    """One PyTorch run: prints a JSON line of its figures."""
    import torch
    from transformers import CLIPModel
    torch.set_num_threads(threads)
    model = CLIPModel.from_pretrained(model_dir).eval()
    if mode == "dynamic":
        model = torch.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    pixels = torch.randn(32, 3, 224, 224)
    ids = torch.tensor([TEN_TOKENS])
    with torch.no_grad():
        model.get_image_features(pixel_values=pixels[:2])
        start, cpu_start = time.perf_counter(), time.process_time()
        model.get_image_features(pixel_values=pixels)
        images_per_s = 32 / (time.perf_counter() - start)
        images_per_cpu_s = 32 / (time.process_time() - cpu_start)
        one = []
        for i in range(5):
            start = time.perf_counter()
            model.get_image_features(pixel_values=pixels[i:i + 1])
            one.append(1000 * (time.perf_counter() - start))
        text = []
        for _ in range(20):
            start = time.perf_counter()
            model.get_text_features(input_ids=ids)
            text.append(1000 * (time.perf_counter() - start))
    print(json.dumps({"images_per_s": images_per_s, "images_per_cpu_s": images_per_cpu_s,
                      "image_ms": statistics.median(one),
                      "text_ms": statistics.median(text),
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run_torch(model_dir, mode, threads, coretype):
    env = dict(os.environ, OPENBLAS_CORETYPE=coretype) if coretype else None
    out = subprocess.run([sys.executable, "-W", "ignore", __file__, "--torch-worker", model_dir,
                          mode, str(threads)], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_clipsearch(model_dir, precision, threads):
    """`clipsearch bench`: images/s at batch 32, then one image and a 10-token text."""
    def bench(*args):
        out = subprocess.run(["/usr/bin/time", "-f", "%M", CLI, "bench", "--model", model_dir,
                              "--precision", precision, "--threads", str(threads), *args],
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout), int(out.stderr.strip().splitlines()[-1]) / 1024
    batch, rss = bench("--batch", "32", "--iters", "2", "--text-batch", "1", "--text-tokens",
                       "10")
    single, _ = bench("--batch", "1", "--iters", "20", "--text-batch", "1", "--text-tokens", "10")
    return {"images_per_s": batch["images_per_s"], "images_per_cpu_s": batch["images_per_cpu_s"],
            "image_ms": 1000 * statistics.median(single["image_batch_s"]),
            "text_ms": 1000 * statistics.median(single["text_batch_s"]), "rss_mb": rss}


def make_b16_model(out):
    """The random-weight ViT-B/16: CLIPConfig's defaults with 16-pixel patches (197 tokens)."""
    if os.path.exists(os.path.join(out, "model.safetensors")):
        return out
    import torch
    from transformers import CLIPConfig, CLIPModel
    b32 = make_model(os.path.join(WORK, "model"))
    torch.manual_seed(0)
    CLIPModel(CLIPConfig(vision_config={"patch_size": 16})).eval().save_pretrained(
        out, safe_serialization=True)
    for name in os.listdir(b32):
        if not name.startswith("model.") and not os.path.exists(os.path.join(out, name)):
            shutil.copy(os.path.join(b32, name), out)
    return out


def quantized(model, precision):
    """The folder `clipsearch quantize` writes for `model` at `precision`, made once."""
    out = f"{model}-{precision}"
    if not os.path.exists(out):
        subprocess.run([CLI, "quantize", "--model", model, "--precision", precision, "--output",
                        out], check=True, capture_output=True)
    return out


def pruned_model(model_dir, out):
    """The model with 20% of every tower Linear's weights zeroed by magnitude."""
    if os.path.exists(os.path.join(out, "model.safetensors")):
        return out
    import torch
    from torch.nn.utils import prune
    from transformers import CLIPModel
    model = CLIPModel.from_pretrained(model_dir).eval()
    for module in list(model.vision_model.modules()) + list(model.text_model.modules()):
        if isinstance(module, torch.nn.Linear):
            prune.l1_unstructured(module, name="weight", amount=0.2)
            prune.remove(module, "weight")
    model.save_pretrained(out, safe_serialization=True)
    for name in os.listdir(model_dir):
        if not name.startswith("model.") and not os.path.exists(os.path.join(out, name)):
            shutil.copy(os.path.join(model_dir, name), out)
    return out


def pruned_cosine(dense, pruned):
    """Least and mean cosine of the pruned model's image embeddings to the dense model's."""
    import numpy as np
    pixels = os.path.join(WORK, "pixels8.npy")
    np.save(pixels, np.random.default_rng(0).standard_normal((8, 3, 224, 224)).astype("float32"))

    def embed(model):
        out = subprocess.run([CLI, "embed", "--model", model, "--pixels", pixels],
                             capture_output=True, text=True, check=True)
        return np.array([json.loads(line)["embedding"] for line in out.stdout.splitlines()])
    a, b = embed(dense), embed(pruned)
    cos = (a * b).sum(1)
    return float(cos.min()), float(cos.mean())


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--torch-worker":
        torch_worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--int8-only", action="store_true")
    parser.add_argument("--shape", choices=["b32", "b16"], default="b32")
    args = parser.parse_args()
    b16 = args.shape == "b16"
    model = (make_b16_model(os.path.join(WORK, "model-b16")) if b16
             else make_model(os.path.join(WORK, "model")))
    folders = {p: quantized(model, p) for p in ("bf16", "f16", "int8")}
    int8_dir = folders["int8"]
    pruned = (None if args.int8_only or b16
              else pruned_model(model, os.path.join(WORK, "model-pruned")))
    core = blas_core()
    runs = {
        "PyTorch F32": lambda: run_torch(model, "f32", args.threads, core),
        "PyTorch quantize_dynamic int8": lambda: run_torch(model, "dynamic", args.threads, core),
        "clipsearch f32": lambda: run_clipsearch(model, "f32", args.threads),
        "clipsearch bf16": lambda: run_clipsearch(model, "bf16", args.threads),
        "clipsearch f16": lambda: run_clipsearch(model, "f16", args.threads),
        "clipsearch int8": lambda: run_clipsearch(model, "int8", args.threads),
        "clipsearch int8-dynamic": lambda: run_clipsearch(model, "int8-dynamic", args.threads),
        "clipsearch int8 folder (quantize)": lambda: run_clipsearch(int8_dir, "f32", args.threads),
        "clipsearch f32, 20% pruned": lambda: run_clipsearch(pruned, "f32", args.threads),
    }
    if args.int8_only:
        for name in ["clipsearch bf16", "clipsearch f16", "clipsearch int8 folder (quantize)"]:
            del runs[name]
    if pruned is None:
        del runs["clipsearch f32, 20% pruned"]
    if b16:  # the folder runs as the conversion at load does (B/32's rows); its size is printed
        del runs["clipsearch int8 folder (quantize)"]
    results = {
name: [] for name in runs}
    for _ in range(args.repeats):  # interleaved, so the machine's load touches all alike
        for name, run in runs.items():
            results[name].append(run())
    sizes = {"PyTorch F32": os.path.getsize(os.path.join(model, "model.safetensors"))}

    def fig(name, key, fmt):
        values = [r[key] for r in results[name]]
        best = max(values) if key.startswith("images_per") else min(values)
        return f"{fmt.format(best)} / {fmt.format(statistics.median(values))}"
    load = os.getloadavg()[0]
    print(f"### Precisions against PyTorch, {time.strftime('%Y-%m-%d')}, {platform.processor() or 'CPU'}"
          f" ({core}), {args.threads} threads, {args.repeats} repeats, load {load:.1f}\n")
    print(f"Random-weight ViT-{'B/16' if b16 else 'B/32'}; best / median of the repeats.\n")
    print("| | images/s, batch 32 | images per CPU-second | one image, ms | 10-token text, ms | "
          "peak RSS, MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in runs:
        print(f"| {name} | {fig(name, 'images_per_s', '{:.2f}')} | "
              f"{fig(name, 'images_per_cpu_s', '{:.2f}')} | "
              f"{fig(name, 'image_ms', '{:.1f}')} | {fig(name, 'text_ms', '{:.2f}')} | "
              f"{fig(name, 'rss_mb', '{:.0f}')} |")
    med = {
n: statistics.median(r["images_per_s"] for r in results[n]) for n in runs}
    text = {
n: statistics.median(r["text_ms"] for r in results[n]) for n in runs}
    torch_dynamic = "PyTorch quantize_dynamic int8"
    for name in ["clipsearch int8", "clipsearch int8-dynamic"]:
        print(f"\n{name} / PyTorch quantize_dynamic: images/s "
              f"{med[name] / med[torch_dynamic]:.2f}x, text query "
              f"{text[torch_dynamic] / text[name]:.2f}x faster; against clipsearch f32: images/s "
              f"{med[name] / med['clipsearch f32']:.2f}x.")
    folder_sizes = ", ".join(
        f"{p} folder {os.path.getsize(os.path.join(d, 'model.safetensors')) / 1e6:.0f} MB"
        for p, d in folders.items())
    print(f"\nFiles: F32 {sizes['PyTorch F32'] / 1e6:.0f} MB, {folder_sizes}.")
    cpu = {n: statistics.median(r["images_per_cpu_s"] for r in results[n]) for n in runs}
    for name in (n for n in ("clipsearch bf16", "clipsearch int8", "clipsearch int8-dynamic")
                 if n in runs):
        print(f"\n{name} / clipsearch f32, images at batch 32: {med[name] / med['clipsearch f32']:.2f}x"
              f" per second, {cpu[name] / cpu['clipsearch f32']:.2f}x per CPU-second (medians).")
    if pruned is None:
        return
    least, mean = pruned_cosine(model, pruned)
    print(f"\nPruning (20% of every tower Linear zeroed by magnitude): images/s "
          f"{med['clipsearch f32, 20% pruned'] / med['clipsearch f32']:.2f}x the dense model's; "
          f"image embeddings' cosine to the dense model's: least {least:.5f}, mean {mean:.5f}.")


if __name__ == "__main__":
    main()
