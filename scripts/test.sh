#!/usr/bin/env bash
# Builds and runs the whole default test suite: the Release build (unit, reference and
# end-to-end tests), then the ASan+UBSan build. The reference tests generate random-weight
# models with transformers/open_clip into the build folder (nothing is downloaded).
# Slow suites are opt-in: CLIPSEARCH_SLOW_TESTS=1 adds the label "slow".
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
labels='-LE slow'
[[ "${CLIPSEARCH_SLOW_TESTS:-0}" == 1 ]] && labels=''

scripts/build.sh build
(cd build && ctest --output-on-failure -j"$jobs" $labels)

CMAKE_BUILD_TYPE=RelWithDebInfo scripts/build.sh build-asan -DCLIPSEARCH_SANITIZE=ON \
  -DCLIPSEARCH_BUILD_BENCH=OFF
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs" -L sanitize)

# Bounded fuzzing (ctest label "fuzz"): the libFuzzer targets, built with clang, ASan+UBSan.
CC=clang CXX=clang++ CMAKE_BUILD_TYPE=RelWithDebInfo cmake -S . -B build-fuzz \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLIPSEARCH_FUZZ=ON -DCLIPSEARCH_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$jobs" --target image_fuzz image_fuzz_seeds
(cd build-fuzz && ctest --output-on-failure -L fuzz)
