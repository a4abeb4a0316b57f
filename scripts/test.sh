#!/usr/bin/env bash
# Builds and runs the whole default test suite:
#   1. Release build: unit, reference (differential against transformers/open_clip) and
#      end-to-end tests. Reference fixtures generate random-weight models into the build folder
#      with the Python reference (.venv); nothing is downloaded. Then the unit and reference
#      tests again at every SIMD level below this machine's best (CLIPSEARCH_ISA, and
#      OPENBLAS_CORETYPE for OpenBLAS), so a CPU no developer had cannot surprise the suite.
#      Then the CUDA kernels compiled and linked (CLIPSEARCH_CUDA=ON) where nvcc is installed.
#   2. The Python package: pip install into .venv, its pytest suite (python/tests); then into
#      .venv-distributed, the distributed path's suite (python/tests_distributed: Ray, Milvus Lite).
#   3. ASan+UBSan build: the tests labelled "sanitize".
#   4. clang libFuzzer build: each fuzz target for a bounded time (CLIPSEARCH_FUZZ_SECONDS).
# Slow suites are opt-in: CLIPSEARCH_SLOW_TESTS=1 adds the tests labelled "slow".
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
exclude='slow|fuzz'
[[ "${CLIPSEARCH_SLOW_TESTS:-0}" == 1 ]] && exclude='fuzz'

echo "== release build and tests"
scripts/build.sh build
build/src/cli/clipsearch --version
(cd build && ctest --output-on-failure -j"$jobs" -LE "$exclude")

# The CUDA engine (src/cuda, CLIPSEARCH_CUDA=ON: its kernels compiled with nvcc, the module
# libclipsearch_cuda.so linked with -Wl,--no-undefined against cudart and cuBLAS), its tests and
# its benchmark, so they never rot where no GPU runs them. Without a device the tests that need one skip
# (ctest: "Skipped") and cuda_module_test checks the module's entry, ABI check and reason.
# 25 s at -j1 (nvcc included): the C++ layers the tests link are ccache hits from the build above.
echo "== CUDA build (compile and link; GPU tests skip without a device)"
if command -v nvcc >/dev/null || [[ -x /usr/local/cuda/bin/nvcc ]]; then
  PATH=$PATH:/usr/local/cuda/bin \
    CLIPSEARCH_TARGETS="clipsearch_cuda_module cuda_kernels_test cuda_backend_test cuda_module_test
                        cuda_reference_test cuda_tower_bench" \
    scripts/build.sh build-cuda -DCLIPSEARCH_CUDA=ON -DCLIPSEARCH_BUILD_BENCH=ON
  (cd build-cuda && ctest --output-on-failure -L gpu)
else
  echo "test.sh: no nvcc (CUDA toolkit): the CUDA build is not checked" >&2
fi

# The Python package (pyproject.toml): built with scikit-build-core into build-py/ and installed
# into .venv, then its pytest suite, which also compares it with the reference, the CLI (built
# above) and a wheel installed into fresh virtual environments.
echo "== Python package"
CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1 CMAKE_CXX_COMPILER_LAUNCHER=ccache \
  CMAKE_C_COMPILER_LAUNCHER=ccache \
  .venv/bin/pip install -q --disable-pip-version-check --no-build-isolation --no-deps .
CLIPSEARCH_BINARY=$PWD/build/src/cli/clipsearch \
  .venv/bin/python -m pytest python/tests -q -p no:cacheprovider -W ignore::DeprecationWarning

# The distributed path (python/clipsearch/distributed, issue 22): the same package installed into
# .venv-distributed (Ray, pymilvus, Milvus Lite, numpy 2), then its tests, which start a local Ray
# cluster (a head and a worker node) and Milvus Lite files of their own, and have the reference
# venv (.venv) make their random-weight model and pictures. Nothing reaches the network.
echo "== distributed: Ray and Milvus Lite"
CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1 CMAKE_CXX_COMPILER_LAUNCHER=ccache \
  CMAKE_C_COMPILER_LAUNCHER=ccache \
  .venv-distributed/bin/pip install -q --disable-pip-version-check --no-build-isolation --no-deps .
.venv-distributed/bin/python -m pytest python/tests_distributed -q -p no:cacheprovider \
  -W ignore::DeprecationWarning

# Forced lower levels: only ever downward (any CPU runs them), each with the OpenBLAS kernels of
# that level. The fixtures' reference data from the run above is reused (-FA: no setup rerun).
best=$(build/src/cli/clipsearch --version | sed -n 's/^isa: [a-z0-9]* (this CPU: \([a-z0-9]*\))$/\1/p')
declare -A blas_core=([avx512]=SkylakeX [avx2]=Haswell [scalar]=Nehalem)
levels=()
case "$best" in
  avx512bf16) levels=(avx512 avx2 scalar) ;;
  avx512) levels=(avx2 scalar) ;;
  avx2) levels=(scalar) ;;
  scalar) ;;
  *) echo "test.sh: cannot tell this machine's SIMD level from 'clipsearch --version'" >&2; exit 1 ;;
esac
# Below avx512bf16, avx512 differs only in the products with BF16 and int8 weights (every
# float32 kernel is the same code at both levels), so that level reruns only the tests of those
# products; avx2 and scalar, which change every kernel, rerun the whole unit and reference suite.
declare -A only=([avx512]='^(tensor_test|precision_reference_test|quantize_test)$')
for level in "${levels[@]}"; do
  echo "== unit and reference tests at the forced level $level (this CPU: $best)"
  (cd build && CLIPSEARCH_ISA=$level OPENBLAS_CORETYPE=${blas_core[$level]} \
    ctest --output-on-failure -j"$jobs" -L 'unit|reference' -LE "fixture|$exclude" -FA '.*' \
    -R "${only[$level]:-.}")
done

# The sanitized builds use -O1 with line tables only (what the sanitizers' docs advise): they
# compile about twice as fast as -O2 -g and still report file:line in every stack.
sanitize_flags=(-DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1")

echo "== ASan+UBSan build and tests"
CMAKE_BUILD_TYPE=RelWithDebInfo scripts/build.sh build-asan -DCLIPSEARCH_SANITIZE=ON \
  -DCLIPSEARCH_BUILD_BENCH=OFF "${sanitize_flags[@]}"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs" -L sanitize)

echo "== libFuzzer targets"
CC=clang CXX=clang++ CMAKE_BUILD_TYPE=RelWithDebInfo CLIPSEARCH_TARGETS=clipsearch_fuzzers \
  scripts/build.sh build-fuzz \
  -DCLIPSEARCH_FUZZ=ON -DCLIPSEARCH_BUILD_TESTS=OFF -DCLIPSEARCH_BUILD_BENCH=OFF "${sanitize_flags[@]}" \
  -DCLIPSEARCH_FUZZ_SECONDS="${CLIPSEARCH_FUZZ_SECONDS:-30}"
# Each fuzzer is one thread for a fixed time: two at once halve the stage's wall time.
(cd build-fuzz && ctest --output-on-failure -j"$jobs" -L fuzz)
