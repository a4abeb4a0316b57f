"""Benchmark: clipsearch's ResNet image tower against open_clip's RN50 on PyTorch, the same
random weights, the same threads, the same machine, the same run.

Measures image throughput at batch 32 and the latency of one image (batch 1), each repeated
(--repeats per round) and reported as min / median over all rounds; the rounds (--rounds)
alternate the two sides, so that a shared machine's load changes hit both alike, and the share of this machine's OpenBLAS sgemm rate
the tower reaches (the FLOPs of every convolution and of the attention pooling, counted from
the architecture).

Usage: .venv/bin/python bench/resnet_bench.py [--threads 2] [--repeats 5] [--rounds 1]
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
RN50 = dict(image_size=224, layers=[3, 4, 6, 3], width=64, patch_size=None)
TEXT = dict(context_length=77, vocab_size=49408, width=512, heads=8, layers=12)


def make_model(out):
    """open_clip's RN50 with random weights (batch norms with real statistics), saved in the
    published layout."""
    if os.path.exists(os.path.join(out, "open_clip_model.safetensors")):
        return out
    import numpy as np
    import open_clip
    import torch
    from safetensors.torch import save_file
    sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
    from make_clip_models import calibrate_batch_norms
    torch.manual_seed(0)
    model = open_clip.model.CLIP(embed_dim=1024, vision_cfg=RN50, text_cfg=TEXT,
                                 quick_gelu=True).eval()
    calibrate_batch_norms(model, 224, np.random.default_rng(0))
    os.makedirs(out, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              os.path.join(out, "open_clip_model.safetensors"))
    with open(os.path.join(out, "open_clip_config.json"), "w") as f:
        json.dump({"model_cfg": {"embed_dim": 1024, "quick_gelu": True, "vision_cfg": RN50,
                                 "text_cfg": TEXT}}, f)
    return out


def resnet_flops(size=224, layers=(3, 4, 6, 3), width=64, heads_dim=64, out_dim=1024):
    """Multiply-adds x2 of one image: every convolution and the attention pooling."""
    total = 0
    side = (size + 1) // 2
    half = width // 2
    total += side * side * (27 * half + 9 * half * half + 9 * half * width)  # the stem
    side //= 2
    inplanes = width
    for stage, blocks in enumerate(layers):
        planes = width << stage
        for i in range(blocks):
            stride = 2 if stage > 0 and i == 0 else 1
            total += side * side * (inplanes * planes + 9 * planes * planes)  # conv1, conv2
            side //= stride
            total += side * side * planes * planes * 4  # conv3
            if stride > 1 or inplanes != planes * 4:
                total += side * side * inplanes * planes * 4  # downsample
            inplanes = planes * 4
    tokens, features = side * side + 1, width * 32
    total += 2 * tokens * features * features + features * features + features * out_dim
    return 2 * total


def torch_times(model_dir, threads, repeats, batch):
    import numpy as np
    import open_clip
    import torch
    from safetensors.torch import load_file
    torch.set_num_threads(threads)
    model = open_clip.model.CLIP(embed_dim=1024, vision_cfg=RN50, text_cfg=TEXT,
                                 quick_gelu=True).eval()
    model.load_state_dict(load_file(os.path.join(model_dir, "open_clip_model.safetensors")))
    pixels = torch.from_numpy(np.random.default_rng(1).standard_normal(
        (batch, 3, 224, 224)).astype(np.float32))
    times, cpu = [], []
    with torch.no_grad():
        model.encode_image(pixels)  # warm-up
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            model.encode_image(pixels)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return times, cpu


def clipsearch_times(model_dir, threads, repeats, batch):
    out = subprocess.run([CLI, "bench", "--model", model_dir, "--batch", str(batch),
                          "--iters", str(repeats), "--text-batch", "1", "--threads",
                          str(threads)], check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    return result["image_batch_s"], result["image_batch_cpu_s"]


def sgemm_gflops(threads):
    out = subprocess.run([SGEMM, str(threads)], check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()[-1]
    return json.loads(out)["openblas_gflops"]


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def summary(values):
    return min(values), statistics.median(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--dir", default=os.path.join(ROOT, "build", "bench-resnet"))
    args = parser.parse_args()
    model = make_model(os.path.join(args.dir, "rn50"))
    flops = resnet_flops()
    # [batch] -> wall and CPU seconds (all threads) of clipsearch's and the reference's repeats.
    times = {batch: ([], [], [], []) for batch in (32, 1)}
    loads = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        for batch, (ours, ref, ours_cpu, ref_cpu) in times.items():
            wall, cpu = clipsearch_times(model, args.threads, args.repeats, batch)
            ours += wall
            ours_cpu += cpu
            wall, cpu = torch_times(model, args.threads, args.repeats, batch)
            ref += wall
            ref_cpu += cpu
            loads.append(os.getloadavg()[0])
    rows = {batch: (summary(t[0]), summary(t[1])) for batch, t in times.items()}
    c1 = (summary(times[1][2]), summary(times[1][3]))
    peak = sgemm_gflops(args.threads)
    (o32, r32), (o1, r1) = rows[32], rows[1]
    print(f"### RN50 image tower vs open_clip on PyTorch ({args.threads} threads)\n")
    print(f"Machine: {cpu_name()}, {os.cpu_count()} cores; "
          f"{args.rounds} rounds x {args.repeats} repeats, min / median; load average "
          f"{min(loads):.1f}-{max(loads):.1f}. RN50: {flops / 1e9:.2f} GFLOP per 224 px image "
          f"(convolutions and attention pooling, counted by the script).\n")
    print("| | clipsearch | open_clip (PyTorch) | ratio (min / median) |")
    print("|---|---|---|---|")
    print(f"| images/s, batch 32 | {32 / o32[0]:.2f} / {32 / o32[1]:.2f} | "
          f"{32 / r32[0]:.2f} / {32 / r32[1]:.2f} | {r32[0] / o32[0]:.2f}x / "
          f"{r32[1] / o32[1]:.2f}x |")
    print(f"| one image, ms | {o1[0] * 1e3:.1f} / {o1[1] * 1e3:.1f} | "
          f"{r1[0] * 1e3:.1f} / {r1[1] * 1e3:.1f} | {r1[0] / o1[0]:.2f}x / "
          f"{r1[1] / o1[1]:.2f}x |")
    print(f"| one image, CPU ms (all threads) | {c1[0][0] * 1e3:.1f} / {c1[0][1] * 1e3:.1f} | "
          f"{c1[1][0] * 1e3:.1f} / {c1[1][1] * 1e3:.1f} | {c1[1][0] / c1[0][0]:.2f}x / "
          f"{c1[1][1] / c1[0][1]:.2f}x |")
    print(f"\nImage tower at batch 32: {32 * flops / o32[0] / 1e9:.1f} GFLOP/s = "
          f"{100 * 32 * flops / o32[0] / 1e9 / peak:.0f}% of OpenBLAS sgemm ({peak:.1f} GFLOP/s); "
          f"batch 1: {flops / o1[0] / 1e9:.1f} GFLOP/s.")


if __name__ == "__main__":
    main()
