"""Benchmark (issue 22): the Ray pipeline (clipsearch.distributed.index into parquet) against
`clipsearch index` on the same photos, same random-weight ViT-B/32, same two cores, in one run,
interleaved.

clipsearch index: --threads 2 (its decode workers and the model's pool share both cores).
Ray: a local cluster of 4 logical CPUs on the same 2 cores, so that, as in clipsearch index,
decoding (tasks on 2 logical CPUs) and the model (one actor, 2 logical CPUs, 2 threads) share
them. The cluster is started once, before the runs (a cluster outlives its jobs); each run is a
whole job: listing, model loads, decode, embed, parquet written, manifest.

The model and photos are made by the reference venv (bench/index_bench.py's make_model and
make_photos: scikit-image's pictures resized to 800-1600 pixels wide, JPEG quality 90), once,
under build/bench-distributed.

Usage: .venv-distributed/bin/python bench/distributed_index_bench.py [--photos 300] [--repeats 3]
Prints a Markdown section for bench/RESULTS.md.
"""
import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "build", "src", "cli", "clipsearch")
WORK = os.path.join(ROOT, "build", "bench-distributed")

MAKE = r"""
import os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "bench"))
import index_bench
index_bench.make_model(sys.argv[2])
index_bench.make_photos(sys.argv[3], int(sys.argv[4]), widths=(800, 1600))
"""


def make_inputs(count):
    model, photos = os.path.join(WORK, "model"), os.path.join(WORK, f"photos_{count}")
    subprocess.run([os.path.join(ROOT, ".venv", "bin", "python"), "-c", MAKE, ROOT, model,
                    photos, str(count)], check=True)
    return model, photos


def run_cli(model, photos, scratch):
    db = os.path.join(scratch, "c.db")
    start = time.perf_counter()
    subprocess.run([CLI, "index", "--db", db, "--model", model, "--threads", "2", "--quiet",
                    photos], check=True)
    seconds = time.perf_counter() - start
    for name in os.listdir(scratch):
        os.remove(os.path.join(scratch, name))
    return seconds


def run_ray(model, photos, scratch):
    from clipsearch.distributed import index
    out = os.path.join(scratch, "out")
    start = time.perf_counter()
    report = index([photos], model=model, output=out, actors=1, cpus_per_actor=2,
                   progress=False)
    seconds = time.perf_counter() - start
    shutil.rmtree(out)
    return seconds, report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    model, photos = make_inputs(args.photos)
    import ray
    ray.init(num_cpus=4, logging_level="WARNING", log_to_driver=False,
             include_dashboard=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    loads, cli, pipeline = [os.getloadavg()[0]], [], []
    with tempfile.TemporaryDirectory() as scratch:
        run_ray(model, photos, scratch)  # warm: worker processes, the module's first import
        for _ in range(args.repeats):
            cli.append(args.photos / run_cli(model, photos, scratch))
            loads.append(os.getloadavg()[0])
            seconds, report = run_ray(model, photos, scratch)
            assert report.written == args.photos, report.summary()
            pipeline.append(args.photos / seconds)
            loads.append(os.getloadavg()[0])
    ray.shutdown()
    med_cli, med_ray = statistics.median(cli), statistics.median(pipeline)
    print(f"### {time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, {args.repeats} repeats interleaved, load average "
          f"{min(loads):.1f}-{max(loads):.1f}\n")
    print(f"{args.photos} JPEGs, 800-1600 pixels wide; random-weight ViT-B/32; images/s, "
          "min / median.\n")
    print("| pipeline | images/s |\n| --- | --- |")
    print(f"| `clipsearch index --threads 2` | {min(cli):.2f} / {med_cli:.2f} |")
    print(f"| Ray pipeline (local cluster, 1 actor x 2 threads, decode tasks) | "
          f"{min(pipeline):.2f} / {med_ray:.2f} |")
    print(f"| Ray's overhead (medians) | {100 * (med_cli / med_ray - 1):+.1f}% time |")


if __name__ == "__main__":
    sys.exit(main())
