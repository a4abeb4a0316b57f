#!/usr/bin/env bash
# Builds the GPU suite here and puts it in one folder that a GPU machine without this machine's
# Debian libraries can run with `scripts/gpu_check.sh --bundle DIR` (see its header): the test
# programs and the benchmark (bin/), libclipsearch_cuda.so, the CUDA runtime and every library the tests and the
# module link except glibc's and cuBLAS (lib/). Usage: scripts/gpu_bundle.sh [DIR]
# (default build-gpu-bundle, ignored by git: a session passes it to its device run as a carried
# path).
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:-build-gpu-bundle}
export PATH=$PATH:/usr/local/cuda/bin
tests="cuda_kernels_test cuda_backend_test cuda_module_test cuda_reference_test"
CLIPSEARCH_TARGETS="clipsearch_cuda_module $tests cuda_tower_bench" scripts/build.sh build-cuda \
  -DCLIPSEARCH_CUDA=ON -DCLIPSEARCH_BUILD_BENCH=ON
rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/lib"
for t in $tests; do cp build-cuda/src/cuda/$t "$bundle/bin/"; done
cp build-cuda/bench/cuda_tower_bench "$bundle/bin/"
cp build-cuda/src/cuda/libclipsearch_cuda.so "$bundle/lib/"
# What the dynamic linker resolves for them, less glibc (the GPU machine's own) and cuBLAS
# (hundreds of MB: the GPU machine's CUDA toolkit has it).
for f in "$bundle"/bin/* "$bundle"/lib/libclipsearch_cuda.so; do
  ldd "$f" | awk '$3 ~ /^\// {print $3}'
done | sort -u | while read -r lib; do
  case $(basename "$lib") in
    libc.so*|libm.so*|libmvec.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*|libcublas*) ;;
    *) cp -L "$lib" "$bundle/lib/" ;;
  esac
done
du -sh "$bundle"
