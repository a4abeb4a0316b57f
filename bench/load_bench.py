"""Benchmark: `clipsearch serve` under load (bench/load_test.py) on a 100,000-image index with a
random-weight ViT-B/32, and what dynamic batching of uploaded pictures buys.

Scenarios, each run --repeats times, interleaved (scenario A, B, C, D, A, B, ...) so that a
change in the machine's load touches all of them alike, each on a fresh server:

  mixed         16 clients, 1 in 4 queries an uploaded picture, half the texts repeated
                (the text and result caches answer those)
  mixed-unique  the same with every text unique (no cache can answer)
  images-b16    16 clients, pictures only, serve --max-batch 16
  images-b1     the same with --max-batch 1 (every picture its own forward pass)

The query pictures are real JPEG and PNG files made from scikit-image's photographs (640x480
to 1280x960). Prints a Markdown section for bench/RESULTS.md (min / median over the repeats;
the batching speed-up is the ratio of image QPS within each repeat) and writes every run's
full report to BUILD/bench-load/results.json.

Usage: .venv/bin/python bench/load_bench.py [--duration 60] [--repeats 3] [--threads 2]
"""
import argparse
import importlib.util
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "build", "src", "cli", "clipsearch")
WORK = os.path.join(ROOT, "build", "bench-load")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load_test  # noqa: E402
from index_bench import make_model  # noqa: E402
from synthetic_index import make_synthetic_index  # noqa: E402

SCENARIOS = {
    "mixed": {"image_share": 0.25, "repeat_share": 0.5, "serve": []},
    "mixed-unique": {"image_share": 0.25, "repeat_share": 0.0, "serve": []},
    "images-b16": {"image_share": 1.0, "repeat_share": 0.0, "serve": ["--max-batch=16"]},
    "images-b1": {"image_share": 1.0, "repeat_share": 0.0, "serve": ["--max-batch=1"]},
}


def make_query_pictures(out):
    """Six uploads, JPEG and PNG, from real photographs."""
    from PIL import Image
    os.makedirs(out, exist_ok=True)
    data = os.path.join(os.path.dirname(importlib.util.find_spec("skimage").origin), "data")
    sizes = [("astronaut.png", (640, 480), "jpg"), ("chelsea.png", (800, 600), "jpg"),
             ("coffee.png", (1024, 768), "jpg"), ("rocket.jpg", (1280, 960), "jpg"),
             ("motorcycle_left.png", (640, 480), "png"), ("astronaut.png", (512, 512), "png")]
    files = []
    for i, (name, size, ext) in enumerate(sizes):
        dst = os.path.join(out, f"query_{i}.{ext}")
        if not os.path.exists(dst):
            im = Image.open(os.path.join(data, name)).convert("RGB").resize(size, Image.LANCZOS)
            im.save(dst, **({"quality": 90} if ext == "jpg" else {}))
        files.append(dst)
    return files


def run_scenario(name, db, pictures, a):
    s = SCENARIOS[name]
    serve = [f"--threads={a.threads}", *s["serve"]]
    args = ["--server", CLI, "--db", db, "--clients", str(a.clients), "--duration",
            str(a.duration), "--warmup", str(a.warmup), "--image-share", str(s["image_share"]),
            "--repeat-share", str(s["repeat_share"]), "--images", *pictures,
            *[f"--serve-arg={x}" for x in serve]]
    opts = load_test.parse_args(args)
    server = load_test.Server(CLI, db, opts.serve_arg)
    try:
        report = load_test.measure(opts, load_test.read_images(pictures), server.port, server.pid)
    finally:
        code = server.stop()
    if code != 0:
        report["error_samples"].append(f"serve exited with {code}")
    report["scenario"] = name
    return report


def fmt(v):
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"


def pair(first, values):
    """"first / median" of the values that exist, e.g. min / median."""
    values = [v for v in values if v is not None]
    return f"{fmt(first(values))} / {fmt(statistics.median(values))}" if values else "-"


def lo_med(values):
    return pair(min, values)


def hi_med(values):
    return pair(max, values)


def cpu_model():
    return next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                 if l.startswith("model name")), "?")


def print_section(runs, a, load_before):
    cpu = cpu_model()
    print(f"### `clipsearch serve` under load, {time.strftime('%Y-%m-%d')}, {cpu}, "
          f"{os.cpu_count()} cores, serve --threads {a.threads}, {a.repeats} repeats, "
          f"load average {load_before:.2f} before, "
          f"{max(r['machine']['load_after'] for r in runs):.2f} highest after a run\n")
    print(f"{a.images:,} images (512-d, exact index), random-weight ViT-B/32; {a.clients} "
          f"clients for {a.duration:g} s after {a.warmup:g} s of warm-up, each on a fresh "
          "server. QPS (answers within the duration / duration): min / median; latency: best / "
          "median of the repeats' percentiles (lower is better); RSS (VmRSS, which includes "
          "the mapped weights and vector file) and anonymous RSS (heap: where a leak would "
          "show) sampled every second, slope over the second half of each run, highest / "
          "median.\n")
    print("| scenario | queries | QPS | p50 ms | p90 ms | p99 ms | errors | "
          "RSS start / peak / end MB (median) | anonymous RSS start / peak / end MB (median) | "
          "RSS slope, anonymous RSS slope MB/min | mean image / text batch | "
          "server / client CPU cores (median) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | --- |")
    for name in SCENARIOS:
        mine = [r for r in runs if r["scenario"] == name]
        for kind in ("text", "image"):
            per = [r["by_type"][kind] for r in mine]
            if not any(p["ok"] or p["errors"] for p in per):
                continue
            rss = [r["rss"] for r in mine]
            mid = lambda key: statistics.median(x[key] for x in rss)  # noqa: E731
            print(f"| {name} | {kind} | {lo_med([p['qps'] for p in per])} | "
                  f"{lo_med([p['p50_ms'] for p in per])} | {lo_med([p['p90_ms'] for p in per])} | "
                  f"{lo_med([p['p99_ms'] for p in per])} | {sum(p['errors'] for p in per)} | "
                  f"{mid('start_mb'):.0f} / {mid('peak_mb'):.0f} / {mid('end_mb'):.0f} | "
                  f"{mid('anon_start_mb'):.0f} / {mid('anon_peak_mb'):.0f} / "
                  f"{mid('anon_end_mb'):.0f} | "
                  f"{hi_med([x['second_half_slope_mb_per_min'] for x in rss])}, "
                  f"{hi_med([x['anon_second_half_slope_mb_per_min'] for x in rss])} | "
                  f"{statistics.median(r['image_batches']['mean_size'] for r in mine):.1f} / "
                  f"{statistics.median(r['text_batches']['mean_size'] for r in mine):.1f} | "
                  f"{statistics.median(r['server_cpu_cores'] for r in mine):.2f} / "
                  f"{statistics.median(r['client_cpu_cores'] for r in mine):.2f} |")
    b16 = [r["by_type"]["image"]["qps"] for r in runs if r["scenario"] == "images-b16"]
    b1 = [r["by_type"]["image"]["qps"] for r in runs if r["scenario"] == "images-b1"]
    ratios = [x / y for x, y in zip(b16, b1) if y]
    if ratios:
        print(f"\nDynamic batching at {a.clients} clients: image QPS with --max-batch 16 / "
              f"--max-batch 1 = {lo_med(ratios)} (min / median of the {len(ratios)} repeats).")
    errors = [e for r in runs for e in r["error_samples"]]
    if errors:
        print("\nErrors (first few): " + "; ".join(errors[:5]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=100000)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--warmup", type=float, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--scenarios", nargs="*", default=list(SCENARIOS), choices=list(SCENARIOS))
    a = p.parse_args()
    load_before = os.getloadavg()[0]
    model = make_model(os.path.join(ROOT, "build", "bench-index", "model"))
    db = make_synthetic_index(CLI, model, WORK, a.images)
    pictures = make_query_pictures(os.path.join(WORK, "queries"))
    load_test.Server(CLI, db).stop()  # the first start writes the vector file; not measured
    runs = []
    for repeat in range(a.repeats):
        for name in a.scenarios:
            print(f"[{repeat + 1}/{a.repeats}] {name} ...", file=sys.stderr, flush=True)
            runs.append(run_scenario(name, db, pictures, a))
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump(runs, f, indent=1)
    print_section(runs, a, load_before)


if __name__ == "__main__":
    main()
