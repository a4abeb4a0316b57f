#!/usr/bin/env bash
# The GPU suite in one short script, for a machine with an NVIDIA GPU and driver (issue 16): builds
# the CUDA kernels and their tests (CLIPSEARCH_CUDA=ON, build-cuda/), runs the tests labelled gpu
# and says which device ran them. A test that found no device is reported as skipped and fails
# this script: here a skip means the GPU was not reached. Usage: scripts/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/cuda/bin
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader ||
  { echo "gpu_check.sh: nvidia-smi finds no GPU" >&2; exit 1; }
CLIPSEARCH_TARGETS=cuda_kernels_test scripts/build.sh build-cuda -DCLIPSEARCH_CUDA=ON \
  -DCLIPSEARCH_BUILD_BENCH=OFF
cd build-cuda
ctest --output-on-failure -L gpu | tee ctest-gpu.log
if grep -q "(Skipped)" ctest-gpu.log; then
  echo "gpu_check.sh: a GPU test skipped: it found no device" >&2
  exit 1
fi
