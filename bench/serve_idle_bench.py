"""Benchmark: `clipsearch serve` under 16 clients, alone and beside 2,000 idle connections, for
two builds in one run (issue 19: connections cost memory, not threads).

Each round runs, for --before and --after in turn, the mixed load of bench/load_bench.py (16
clients, a quarter of the queries uploaded pictures, half the texts repeated) on a fresh server
over the same 100,000-image catalog, first alone, then with --idle 2,000 connections from
127.0.0.2, 127.0.0.3, ... (30 each, under the per-address cap) that send the start of a request
head and then nothing, reopened when the server cuts them (bench/load_test.py
--idle-connections). Prints a Markdown table for bench/RESULTS.md: QPS min / median over the
rounds, latency percentiles best / median, errors in all.

Usage: .venv/bin/python bench/serve_idle_bench.py --before OLD/clipsearch --after NEW/clipsearch
           [--rounds 3] [--duration 20] [--idle 2000]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load_test  # noqa: E402
from index_bench import make_model  # noqa: E402
from load_bench import cpu_model, lo_med, make_query_pictures  # noqa: E402
from synthetic_index import make_synthetic_index  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "build", "bench-load")


def run(binary, db, pictures, a, idle):
    args = ["--server", binary, "--db", db, "--clients", str(a.clients), "--duration",
            str(a.duration), "--warmup", str(a.warmup), "--image-share", "0.25",
            "--repeat-share", "0.5", "--idle-connections", str(idle), "--images", *pictures,
            f"--serve-arg=--threads={a.threads}"]
    opts = load_test.parse_args(args)
    server = load_test.Server(binary, db, opts.serve_arg)
    try:
        return load_test.measure(opts, load_test.read_images(pictures), server.port, server.pid)
    finally:
        server.stop()


def print_table(runs, a, load_before):
    cpu = cpu_model()
    print(f"### serve beside {a.idle:,} idle connections, {time.strftime('%Y-%m-%d')}, {cpu}, "
          f"{os.cpu_count()} cores, serve --threads {a.threads}, {a.rounds} rounds, load average "
          f"{load_before:.2f} before, {max(r['machine']['load_after'] for r in runs.values()):.2f}"
          " highest after a run\n")
    print(f"{a.clients} clients for {a.duration:g} s after {a.warmup:g} s of warm-up, a quarter of "
          "the queries uploaded pictures; QPS min / median over the rounds, latency best / median "
          "of the rounds' percentiles.\n")
    print("| build | idle connections (held, mean) | text q/s | picture q/s | text p50 ms | "
          "text p99 ms | picture p50 ms | picture p99 ms | errors | server RSS peak MB |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for build in ("before", "after"):
        for idle in (0, a.idle):
            mine = [r for (b, i, _), r in runs.items() if b == build and i == idle]
            t = [r["by_type"]["text"] for r in mine]
            im = [r["by_type"]["image"] for r in mine]
            held = [r["idle"]["held_mean"] for r in mine if r["idle"]]
            print(f"| {build} | {idle} ({round(statistics.median(held)) if held else 0}) | "
                  f"{lo_med([x['qps'] for x in t])} | {lo_med([x['qps'] for x in im])} | "
                  f"{lo_med([x['p50_ms'] for x in t])} | {lo_med([x['p99_ms'] for x in t])} | "
                  f"{lo_med([x['p50_ms'] for x in im])} | {lo_med([x['p99_ms'] for x in im])} | "
                  f"{sum(x['errors'] for x in t + im)} | "
                  f"{statistics.median(r['rss']['peak_mb'] for r in mine):.0f} |")
    errors = [e for r in runs.values() for e in r["error_samples"]]
    if errors:
        print("\nErrors (first few): " + "; ".join(errors[:5]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--before", required=True, help="clipsearch binary of the previous build")
    p.add_argument("--after", required=True, help="clipsearch binary of this build")
    p.add_argument("--images", type=int, default=100000)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--idle", type=int, default=2000)
    p.add_argument("--duration", type=float, default=20)
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    load_before = os.getloadavg()[0]
    model = make_model(os.path.join(ROOT, "build", "bench-index", "model"))
    db = make_synthetic_index(a.after, model, WORK, a.images)
    pictures = make_query_pictures(os.path.join(WORK, "queries"))
    load_test.Server(a.after, db).stop()  # the first start writes the vector file; not measured
    runs = {}
    for r in range(a.rounds):
        for build in ("before", "after"):
            for idle in (0, a.idle):
                print(f"[{r + 1}/{a.rounds}] {build}, {idle} idle ...", file=sys.stderr,
                      flush=True)
                runs[(build, idle, r)] = run(getattr(a, build), db, pictures, a, idle)
    print_table(runs, a, load_before)


if __name__ == "__main__":
    main()
