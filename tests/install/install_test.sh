#!/usr/bin/env bash
# The installed package works on its own. `cmake --install` into a fresh prefix, then:
#   1. examples/search_photos, configured with find_package(clipsearch) against that prefix only,
#      built and run: it indexes generated pictures with a random-weight model and searches them;
#   2. a program compiled with nothing but `pkg-config --cflags --libs clipsearch` prints the
#      library's version, which must be the headers' version.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR PYTHON MODEL_DIR (a model with a tokenizer)
set -euo pipefail
build=$1 source=$2 python=$3 model=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
prefix=$work/prefix
libdir=$(dirname "$(find "$prefix" -name 'libclipsearch.so' | head -1)")
[[ -d $libdir ]] || { echo "no libclipsearch.so under $prefix"; exit 1; }
[[ -x $prefix/bin/clipsearch ]] || { echo "no clipsearch executable under $prefix/bin"; exit 1; }

echo "== find_package(clipsearch): examples/search_photos"
cmake -S "$source/examples/search_photos" -B "$work/example" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/example" >/dev/null
mkdir "$work/photos"
"$python" - "$work/photos" <<'PY'
import sys
from PIL import Image
for i in range(4):
    Image.new("RGB", (40 + 8 * i, 32), (60 * i, 255 - 50 * i, 90)).save(f"{sys.argv[1]}/p{i}.png")
PY
out=$("$work/example/search_photos" "$work/catalog.db" "$model" "$work/photos" \
  "a red square" "green")
echo "$out"
grep -q "^indexed: 4 embedded, 0 unchanged, 0 failed$" <<<"$out"
hits=$(grep -cE '^  -?[0-9]+\.[0-9]{4}  .*/p[0-3]\.png$' <<<"$out")
[[ $hits -eq 8 ]] || { echo "expected 8 results (4 per text), got $hits"; exit 1; }

echo "== pkg-config clipsearch"
cat >"$work/version.cpp" <<'CPP'
#include <clipsearch/status.h>
#include <clipsearch/version.h>

#include <cstdio>
#include <cstring>

int main() {
  std::printf("%s %s\n", clipsearch::version(),
              clipsearch::status_code_name(clipsearch::StatusCode::kNotFound));
  return std::strcmp(clipsearch::version(), CLIPSEARCH_VERSION_STRING) == 0 ? 0 : 1;
}
CPP
export PKG_CONFIG_PATH=$libdir/pkgconfig
# shellcheck disable=SC2046  # the flags are words
g++ "$work/version.cpp" -o "$work/version" $(pkg-config --cflags --libs clipsearch)
version=$(LD_LIBRARY_PATH=$libdir "$work/version")
echo "$version"
expected=$(pkg-config --modversion clipsearch)
[[ $version == "$expected not found" ]] || { echo "expected '$expected not found'"; exit 1; }
echo "install_test: ok"
