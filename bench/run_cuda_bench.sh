#!/usr/bin/env bash
# The issue-16 benchmark on a GPU machine, in one run: images/s of B/32 and L/14 image towers at
# batch 256 on the CUDA engine (cuda_tower_bench) and on transformers with fp16 autocast
# (cuda_torch_bench.py), same GPU, same random-weight shapes; their ratio. Results go to
# bench/RESULTS.md with the device. Usage: bench/run_cuda_bench.sh BENCH_PROGRAM [PYTHON]
# (scripts/gpu_check.sh runs it after the GPU suite, with the program it built or bundled).
set -euo pipefail
cd "$(dirname "$0")/.."
program=${1:?usage: bench/run_cuda_bench.sh BENCH_PROGRAM [PYTHON]}
python=${2:-python3}
for tower in B/32 L/14; do
  # $CLIPSEARCH_BENCH_LIBRARY_PATH: the libraries of a bundled program (gpu_check.sh --bundle).
  ours=$(env LD_LIBRARY_PATH="${CLIPSEARCH_BENCH_LIBRARY_PATH:-${LD_LIBRARY_PATH:-}}" \
    "$program" "$tower" 256 10)
  echo "$ours"
  if theirs=$("$python" bench/cuda_torch_bench.py "$tower" 256 10 2>/dev/null); then
    echo "$theirs"
    awk -v a="$ours" -v b="$theirs" -v t="$tower" 'BEGIN {
      ra = x[split(a, x, ", ")]; rb = y[split(b, y, ", ")];
      sub(/ images\/s/, "", ra); sub(/ images\/s/, "", rb);
      printf "%s: clipsearch / transformers = %.2fx (images/s at the min)\n", t, ra / rb }'
  else
    echo "run_cuda_bench.sh: $python has no torch + transformers with CUDA: no baseline" >&2
  fi
done
