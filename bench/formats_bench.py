"""Benchmark: `clipsearch index` over each kind of file a library holds (issue 23), beside JPEG:
phone HEICs, camera RAWs (embedded preview and developed) and videos, same random-weight
ViT-B/32, same threads, same run. HEIC is also timed through the reference recipe a Python user
would write (pillow-heif's opener + Pillow + transformers' CLIPImageProcessor + CLIPModel at batch
32, bench/index_bench.py's worker).

Files (BUILD/bench-formats, made once, reused):
  heic/   phone-like 12 MP HEICs (tests/reference/make_heif_files.py --bench: 512-px HEVC grid,
          thumbnail, EXIF)
  jpeg/   the same pictures as JPEG quality 90 (decoded by pillow-heif, saved by Pillow)
  raw/    24 MP DNGs with a full-size JPEG preview (tests/reference/make_raw_files.py --bench),
          indexed with --raw-mode preview and with --raw-mode develop
  video/  10 s 1280x720 H.264 MP4s made by the ffmpeg CLI (bench/make_videos.sh)

Each kind is indexed into a fresh catalog on every repeat; rates are files/s (and frames/s for
videos), min / median over the repeats.

Usage: .venv/bin/python bench/formats_bench.py [--count 12] [--videos 6] [--threads 2]
                                               [--repeats 3]
Prints a Markdown section for bench/RESULTS.md.
"""
import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import index_bench  # noqa: E402  (make_model, run_reference, rate)

ROOT = index_bench.ROOT
CLI = index_bench.CLI
WORK = os.path.join(ROOT, "build", "bench-formats")
REFERENCE = os.path.join(ROOT, "tests", "reference")


def files_in(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if not f.startswith("."))


def make_once(folder, count, command):
    os.makedirs(folder, exist_ok=True)
    if len(files_in(folder)) < count:
        subprocess.run(command, check=True)
    return files_in(folder)[:count]


def make_jpegs(heics, folder):
    import pillow_heif
    from PIL import Image
    pillow_heif.register_heif_opener()
    os.makedirs(folder, exist_ok=True)
    for src in heics:
        dst = os.path.join(folder, os.path.splitext(os.path.basename(src))[0] + ".jpg")
        if not os.path.exists(dst):
            Image.open(src).convert("RGB").save(dst, quality=90)
    return files_in(folder)


def index_runs(model, threads, repeats, folder, extra=()):
    runs, frames = [], 0
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            db = os.path.join(tmp, "index.db")
            start = time.perf_counter()
            subprocess.run([CLI, "index", folder, "--db", db, "--model", model, "--threads",
                            str(threads), "--batch-size", "32", "--quiet", *extra], check=True)
            runs.append(time.perf_counter() - start)
            frames = frame_count(db)
    return runs, frames


def frame_count(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM frames").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def heif_reference(model, threads, repeats, files):
    """bench/index_bench.py's reference worker with pillow-heif's opener registered."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    code = ("import pillow_heif, sys, json; pillow_heif.register_heif_opener(); "
            f"sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r}); "
            "import index_bench; files = sys.stdin.read().split('\\n'); "
            f"print(json.dumps(index_bench.reference_worker({model!r}, {threads}, {repeats}, "
            "files)))")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], input="\n".join(files),
                         env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def megapixels(files):
    import pillow_heif
    from PIL import Image
    pillow_heif.register_heif_opener()
    return statistics.mean(Image.open(f).size[0] * Image.open(f).size[1] for f in files) / 1e6


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=12)
    p.add_argument("--videos", type=int, default=6)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    model = index_bench.make_model(os.path.join(ROOT, "build", "bench-index", "model"))
    py = sys.executable
    heic_dir, raw_dir, video_dir = (os.path.join(WORK, k) for k in ("heic", "raw", "video"))
    heics = make_once(heic_dir, a.count, [py, os.path.join(REFERENCE, "make_heif_files.py"),
                                          "--bench", heic_dir, "--count", str(a.count)])
    jpegs = make_jpegs(heics, os.path.join(WORK, "jpeg"))
    raws = make_once(raw_dir, a.count, [py, os.path.join(REFERENCE, "make_raw_files.py"),
                                        "--bench", raw_dir, str(a.count)])
    videos = make_once(video_dir, a.videos, [os.path.join(ROOT, "bench", "make_videos.sh"),
                                             str(a.videos), video_dir])

    rows = []  # (label, files, runs, frames)
    for label, folder, files, extra in [
            ("JPEG", os.path.join(WORK, "jpeg"), jpegs, ()),
            ("HEIC", heic_dir, heics, ()),
            ("RAW (DNG), --raw-mode preview", raw_dir, raws, ("--raw-mode", "preview")),
            ("RAW (DNG), --raw-mode develop", raw_dir, raws, ("--raw-mode", "develop")),
            ("video (MP4)", video_dir, videos, ())]:
        runs, frames = index_runs(model, a.threads, a.repeats, folder, extra)
        rows.append((label, len(files), runs, frames))
    reference = heif_reference(model, a.threads, a.repeats, heics)

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    print(f"### Indexing by kind of file, {time.strftime('%Y-%m-%d')}, {cpu}, {os.cpu_count()} "
          f"cores, {a.threads} threads, {a.repeats} repeats, load {os.getloadavg()[0]:.1f}\n")
    print(f"{len(heics)} HEICs ({megapixels(heics):.1f} MP) and the same pictures as JPEG, "
          f"{len(raws)} DNGs of 6000 x 4000 with a full-size preview, {len(videos)} videos; "
          "random-weight ViT-B/32; min / median (higher is better).\n")
    print("| files | files/s | frames/s | vs JPEG (median) |")
    print("| --- | --- | --- | --- |")
    jpeg_med = index_bench.rate(rows[0][1], rows[0][2])[1]
    for label, n, runs, frames in rows:
        lo, med = index_bench.rate(n, runs)
        fr = "" if not frames else "{:.2f} / {:.2f}".format(*index_bench.rate(frames, runs))
        print(f"| {label} | {lo:.2f} / {med:.2f} | {fr} | {med / jpeg_med:.2f}x |")
    lo, med = index_bench.rate(len(heics), reference)
    heic_med = index_bench.rate(rows[1][1], rows[1][2])[1]
    print(f"| HEIC, reference recipe (pillow-heif + transformers) | {lo:.2f} / {med:.2f} | | "
          f"{med / jpeg_med:.2f}x |\n")
    print(f"clipsearch HEIC / reference recipe HEIC (median): {heic_med / med:.2f}x.")


if __name__ == "__main__":
    main()
