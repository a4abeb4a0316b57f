"""Benchmark (issue 19): a text query's latency while pictures are uploaded, against the same
server idle, for two builds of `clipsearch serve` in the same run (before / after).

Each run starts a fresh server over one catalog (a random-weight ViT-B/32, --rows rows grown from
a few photos: bench/synthetic_index.py), warms it up, then measures two phases of --duration s:

  idle   one client sending text searches, every text unique (no cache answers)
  mixed  the same text client while --image-clients clients upload pictures, each upload a
         different JPEG (so no answer cache can help either build)

Runs are interleaved (before, after, before, after, ...) so a change in the machine's load
touches both alike. Prints a Markdown section for bench/RESULTS.md: text p50 / p99 per phase,
the p99 ratio mixed / idle (issue 19 asks for at most 2), image QPS; min / median over repeats.

Usage: .venv/bin/python bench/tower_priority_bench.py --before OLD/clipsearch --after \
           build/src/cli/clipsearch [--duration 20] [--repeats 3] [--image-clients 4]
Loopback only; bounded in time (load_test's limits).
"""
import argparse
import io
import os
import platform
import random
import statistics
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "build", "bench-tower-priority")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load_test  # noqa: E402
from index_bench import make_model  # noqa: E402
from synthetic_index import make_synthetic_index  # noqa: E402

K = 10


def unique_pictures(count):
    """`count` different 640x480 JPEGs (crops of scikit-image's photographs)."""
    import importlib.util
    from PIL import Image
    data = os.path.join(os.path.dirname(importlib.util.find_spec("skimage").origin), "data")
    sources = [Image.open(os.path.join(data, n)).convert("RGB").resize((1280, 960))
               for n in ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"]]
    rng = random.Random(1)
    out = []
    for i in range(count):
        x, y = rng.randrange(0, 640), rng.randrange(0, 480)
        buf = io.BytesIO()
        sources[i % len(sources)].crop((x, y, x + 640, y + 480)).save(buf, "JPEG", quality=85)
        out.append((f"upload_{i}.jpg", buf.getvalue(), "image/jpeg"))
    return out


class UniquePictures(load_test.Workload):
    """Every request an upload of the next picture (never one the server has seen)."""

    def __init__(self, images):
        super().__init__(images, 1.0, 0.0, K)
        self.next = 0

    def next_request(self, rng):
        with self.lock:
            picture = self.images[self.next % len(self.images)]
            self.next += 1
        saved, self.images = self.images, [picture]
        try:
            return super().next_request(rng)
        finally:
            self.images = saved


def phase(port, duration_s, image_clients, pictures, seed):
    """Text latencies (s, sorted) of one text client, and uploads answered per second."""
    stats = load_test.Stats()
    stop_at = time.monotonic() + duration_s
    texts = load_test.Workload([], 0.0, 0.0, K)
    texts.unique = seed * 1000000  # texts never seen by this server before
    uploads = UniquePictures(pictures)
    threads = [threading.Thread(target=load_test.client,
                                args=(port, texts, stats, seed, stop_at, 10**6, 60))]
    threads += [threading.Thread(target=load_test.client,
                                 args=(port, uploads, stats, seed + 1 + c, stop_at, 10**6, 60))
                for c in range(image_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if any(stats.errors.values()):
        sys.exit(f"tower_priority_bench: errors {stats.errors}: {stats.error_samples}")
    return sorted(stats.latencies["text"]), stats.in_window["image"] / duration_s


def one_run(binary, db, a, pictures, seed):
    server = load_test.Server(binary, db, ["--threads", str(a.threads)])
    try:
        phase(server.port, 3, a.image_clients, pictures[:50], seed)  # warm-up
        idle, _ = phase(server.port, a.duration, 0, [], seed + 100)
        mixed, image_qps = phase(server.port, a.duration, a.image_clients, pictures[50:],
                                 seed + 200)
    finally:
        server.stop()
    p = load_test.percentile
    return {"idle_p50": p(idle, 0.5) * 1000, "idle_p99": p(idle, 0.99) * 1000,
            "mixed_p50": p(mixed, 0.5) * 1000, "mixed_p99": p(mixed, 0.99) * 1000,
            "p99_ratio": p(mixed, 0.99) / p(idle, 0.99), "image_qps": image_qps,
            "texts": (len(idle), len(mixed))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--image-clients", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rows", type=int, default=10000)
    a = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    model = make_model(os.path.join(WORK, "model"))
    db = make_synthetic_index(a.after, model, WORK, a.rows)
    pictures = unique_pictures(50 + int(a.duration * 40))
    runs = {"before": [], "after": []}
    load = []
    for r in range(a.repeats):
        for name in ("before", "after"):
            load.append(os.getloadavg()[0])
            runs[name].append(one_run(getattr(a, name), db, a, pictures, 10 * r + 1))
            print(name, r, runs[name][-1], file=sys.stderr)
    print(f"### Text behind pictures, {time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, serve --threads {a.threads}, {a.repeats} repeats, "
          f"load {min(load):.1f}-{max(load):.1f}\n")
    print(f"Random-weight ViT-B/32, {a.rows} rows (exact index); one text client (unique texts), "
          f"alone (idle) and beside {a.image_clients} clients uploading pictures (each upload a "
          f"different 640x480 JPEG), {a.duration:g} s per phase after 3 s of warm-up, a fresh "
          "server per run; min / median over the repeats.\n")
    print("| build | text p50 idle ms | text p99 idle ms | text p50 mixed ms | text p99 mixed ms "
          "| p99 mixed / idle | image QPS |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, rs in runs.items():
        def mm(key, fmt="{:.0f}"):
            values = [r[key] for r in rs]
            return f"{fmt.format(min(values))} / {fmt.format(statistics.median(values))}"
        print(f"| {name} | {mm('idle_p50')} | {mm('idle_p99')} | {mm('mixed_p50')} | "
              f"{mm('mixed_p99')} | {mm('p99_ratio', '{:.2f}')} | {mm('image_qps', '{:.2f}')} |")


if __name__ == "__main__":
    main()
