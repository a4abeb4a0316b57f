#!/usr/bin/env bash
# Fails, listing each offending line, when code under src/ calls libvips outside
# src/image/vips_*.{h,cpp}. Those files call vips_ready() before libvips (src/image/vips_runtime.h
# says why: a libvips call ahead of it can race libvips' lazy initialisation and abort the
# process, issue 12). Test code (*_test.cpp, src/testing/) may use libvips to make test images,
# but initialised by vips_ready(), never by vips_init()/VIPS_INIT() (which skip the untrusted-loader
# block). Comments are ignored. Usage: scripts/check_vips_calls.sh [SOURCE_ROOT]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

# libvips in a line: its header, a vips_*() call or a VIPS_* macro.
libvips='#[[:space:]]*include[[:space:]]*[<"]vips/|\bvips_[A-Za-z0-9_]+[[:space:]]*\(|\bVIPS_[A-Z0-9_]+'
# The project's own vips_*() functions, declared in src/image/vips_*.h, are not libvips.
own=$(sed -E 's://.*$::' src/image/vips_*.h | grep -ohE '\bvips_[a-z0-9_]+[[:space:]]*\(' |
  sed -E 's/[[:space:]]*\($//' | sort -u | paste -sd'|')

# A file's lines with comments removed and the project's own calls masked, numbered as grep -n.
code() { sed -E "s://.*\$::; s/\b($own)[[:space:]]*\(/project_call(/g" "$1"; }

failed=0
report() {
  echo "$1: $2" >&2
  failed=1
}

while IFS= read -r file; do
  text=$(code "$file")
  case "$file" in
    src/image/vips_*.h | src/image/vips_*.cpp)
      # The home of libvips calls: each .cpp that calls libvips makes sure libvips is ready.
      if [[ "$file" == *.cpp ]] && grep -qE "$libvips" <<<"$text" &&
        ! grep -qE '\bvips_ready[[:space:]]*\(' "$file"; then
        report "$file" "calls libvips but never vips_ready()"
      fi
      ;;
    *_test.cpp | src/testing/*)
      while IFS= read -r hit; do
        report "$file:${hit%%:*}" "libvips initialised by hand, use vips_ready(): ${hit#*:}"
      done < <(grep -nE '\b(vips_init|VIPS_INIT)[[:space:]]*\(' <<<"$text" || true)
      if grep -qE "$libvips" <<<"$text" && ! grep -qE '\bvips_ready[[:space:]]*\(' "$file"; then
        report "$file" "uses libvips without calling vips_ready() first"
      fi
      ;;
    *)
      while IFS= read -r hit; do
        report "$file:${hit%%:*}" "libvips outside src/image/vips_*: ${hit#*:}"
      done < <(grep -nE "$libvips" <<<"$text" || true)
      ;;
  esac
done < <(find src -type f \( -name '*.cpp' -o -name '*.cc' -o -name '*.c' -o -name '*.h' \
  -o -name '*.hpp' \) | sort)

if ((failed)); then
  echo "libvips may be called only from src/image/vips_*.cpp, after vips_ready()" >&2
  exit 1
fi
echo "libvips calls: only in src/image/vips_*, each after vips_ready()"
