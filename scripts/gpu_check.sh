#!/usr/bin/env bash
# The GPU suite in one short script, for a machine with an NVIDIA GPU and driver (issue 16): the
# tests labelled gpu (src/cuda: the kernels, CudaBackend against CpuBackend on every operation
# and whole towers, the module's entry, and Model::load on cuda:0 against transformers on CUDA:
# tests/gpu/make_cuda_references.py makes the random-weight B/32, B/16 and L/14 models and their
# embeddings first, with $PYTHON or python3), and which device ran them; then, when they pass, the
# benchmark (bench/run_cuda_bench.sh: B/32 and L/14 images/s at batch 256 against transformers
# with fp16 autocast, $PYTHON or python3 with torch + transformers). A test that found no device
# is reported as skipped and fails this script: here a skip means the GPU was not reached.
#
# Two ways to run it, by what the GPU machine has:
#   scripts/gpu_check.sh
#       builds build-cuda/ (CLIPSEARCH_CUDA=ON) and runs `ctest -L gpu`. Needs what any build
#       needs (scripts/setup.sh's Debian packages: configuring the project asks for all of them,
#       OpenBLAS and GTest for these tests) plus the CUDA toolkit (nvcc, cuBLAS; 13 here).
#   scripts/gpu_check.sh --bundle build-gpu-bundle
#       runs tests built elsewhere by scripts/gpu_bundle.sh (on a development machine), for a
#       GPU machine that has the NVIDIA driver and the CUDA 13 libraries (libcublas.so.13,
#       libcublasLt.so.13; e.g. a Python 3.12 + PyTorch + nvcc image) but none of the Debian
#       libraries: the bundle carries the tests, libclipsearch_cuda.so, the CUDA runtime and
#       the Debian libraries the tests link (OpenBLAS, libgfortran, libstdc++), about 46 MB.
#       It needs glibc >= 2.36 (Debian 12's, which built it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/cuda/bin
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader ||
  { echo "gpu_check.sh: nvidia-smi finds no GPU" >&2; exit 1; }

# transformers on CUDA: the references cuda_reference_test compares with (about 2 GB of models).
export CLIPSEARCH_CUDA_REFERENCE_DIR=${CLIPSEARCH_CUDA_REFERENCE_DIR:-$PWD/build-cuda-reference}
"${PYTHON:-python3}" tests/gpu/make_cuda_references.py "$CLIPSEARCH_CUDA_REFERENCE_DIR"

if [[ "${1:-}" == --bundle ]]; then
  bundle=$(cd "${2:?usage: scripts/gpu_check.sh --bundle DIR}" && pwd)
  # The bundle's libraries first, then the machine's CUDA libraries (cuBLAS is not bundled); for
  # the bundle's programs only: Python and torch keep the machine's own libstdc++.
  cuda_libs=$(dirname "$(dirname "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)")")/lib64
  libs=$bundle/lib:$cuda_libs:${LD_LIBRARY_PATH:-}
  export CLIPSEARCH_CUDA_MODULE=$bundle/lib/libclipsearch_cuda.so
  log=$(mktemp)
  failed=0
  for t in "$bundle"/bin/*_test; do
    echo "== $(basename "$t")"
    if ! env LD_LIBRARY_PATH="$libs" "$t" 2>&1 | tee "$log"; then failed=1; fi
    if grep -q "\[  SKIPPED \]" "$log"; then
      echo "gpu_check.sh: $(basename "$t") skipped a test: it found no device" >&2
      failed=1
    fi
  done
  rm -f "$log"
  ((failed == 0)) || exit 1
  CLIPSEARCH_BENCH_LIBRARY_PATH=$libs \
    exec bench/run_cuda_bench.sh "$bundle/bin/cuda_tower_bench" "${PYTHON:-python3}"
fi

CLIPSEARCH_TARGETS="clipsearch_cuda_module cuda_kernels_test cuda_backend_test cuda_module_test
                    cuda_reference_test cuda_tower_bench" \
  scripts/build.sh build-cuda -DCLIPSEARCH_CUDA=ON -DCLIPSEARCH_BUILD_BENCH=ON
(cd build-cuda && ctest --output-on-failure -L gpu) | tee build-cuda/ctest-gpu.log
if grep -q "(Skipped)" build-cuda/ctest-gpu.log; then
  echo "gpu_check.sh: a GPU test skipped: it found no device" >&2
  exit 1
fi
export CLIPSEARCH_CUDA_MODULE=$PWD/build-cuda/src/cuda/libclipsearch_cuda.so
bench/run_cuda_bench.sh build-cuda/bench/cuda_tower_bench "${PYTHON:-python3}"
