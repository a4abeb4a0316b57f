#!/usr/bin/env bash
# Image pipeline benchmark, both sides in one run on one machine, one thread each:
# clipsearch (exact and fast decode) vs Pillow + transformers CLIPImageProcessor.
# Inputs: 8-megapixel (3264x2448) JPEGs made from scikit-image's photographs (upscaled with
# Lanczos, quality 90), written to BUILD_DIR/bench_images.
# Usage: bench/run_image_bench.sh [BUILD_DIR] [REPEATS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
repeats=${2:-7}
rounds=${3:-3}
model="$build/bench_images/model"
mkdir -p "$model"
echo '{"size": 224, "crop_size": 224, "resample": 3}' > "$model/preprocessor_config.json"
.venv/bin/python - "$build/bench_images" <<'PY'
import importlib.util, os, sys
from PIL import Image
out = sys.argv[1]
data = os.path.join(os.path.dirname(importlib.util.find_spec("skimage").origin), "data")
for name in ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png"]:
    dst = os.path.join(out, os.path.splitext(name)[0] + "_8mp.jpg")
    if not os.path.exists(dst):
        im = Image.open(os.path.join(data, name)).convert("RGB")
        im.resize((3264, 2448), Image.LANCZOS).save(dst, quality=90)
PY
files=("$build"/bench_images/*_8mp.jpg)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# Rounds alternate the two sides, so that a change in the machine's load (it is shared) falls on
# both; each round's ratio compares runs a few seconds apart.
log=$(mktemp)
for ((round = 1; round <= rounds; ++round)); do
  echo "round $round, load $(cut -d' ' -f1 /proc/loadavg)"
  OMP_NUM_THREADS=1 "$build/bench/image_bench" --model "$model" --repeats "$repeats" "${files[@]}" | tee -a "$log"
  OMP_NUM_THREADS=1 .venv/bin/python -W ignore bench/image_reference_bench.py "$model" "$repeats" "${files[@]}" | tee -a "$log"
done
python3 - "$log" <<'PY'
import re, statistics, sys
rounds = []
for line in open(sys.argv[1]):
    if line.startswith("RESULT"):
        v = {k: float(x) for k, x in re.findall(r"(\w+)=([\d.]+)", line)}
        if "exact_min" in v:
            rounds.append(v)
        else:
            rounds[-1].update(v)
for i, v in enumerate(rounds, 1):
    print(f"round {i} ratio (reference / clipsearch), min: exact {v['ref_min'] / v['exact_min']:.2f}x, "
          f"fast {v['ref_min'] / v['fast_min']:.2f}x; median: exact {v['ref_median'] / v['exact_median']:.2f}x, "
          f"fast {v['ref_median'] / v['fast_median']:.2f}x")
best = {k: min(v[k] for v in rounds) for k in rounds[0]}
print(f"all rounds, best min: reference {best['ref_min']:.1f} ms, exact {best['exact_min']:.1f} ms, "
      f"fast {best['fast_min']:.1f} ms; ratios exact {best['ref_min'] / best['exact_min']:.2f}x, "
      f"fast {best['ref_min'] / best['fast_min']:.2f}x; median of round ratios (medians): exact "
      f"{statistics.median(v['ref_median'] / v['exact_median'] for v in rounds):.2f}x, fast "
      f"{statistics.median(v['ref_median'] / v['fast_median'] for v in rounds):.2f}x")
PY
rm -f "$log"
