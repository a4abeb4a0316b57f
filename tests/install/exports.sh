#!/usr/bin/env bash
# libclipsearch.so exports the public API and nothing else. Every symbol in its dynamic symbol
# table must be something include/clipsearch/ marks CLIPSEARCH_EXPORT:
#   - a member of a class marked `class CLIPSEARCH_EXPORT Name` (not of its nested Impl), or its
#     typeinfo / vtable;
#   - a free function whose declaration starts with CLIPSEARCH_EXPORT;
# and every name marked must be exported (a definition compiled without its public header would
# be hidden). An internal symbol (clipsearch::search::Searcher::..., a std:: template instance, a C
# function) fails the test: it is what -fvisibility=hidden (cmake/ClipsearchOptions.cmake) and
# the version script (src/api/shared_library.map) keep out.
# Usage: exports.sh LIBCLIPSEARCH_SO SOURCE_DIR
set -euo pipefail
lib=$1 source=$2

# The names marked in the public headers (comments and export.h's own definitions left out).
headers=("$source"/include/clipsearch/*.h "$source"/include/clipsearch/version.h.in)
marked=$(grep -hv -e '^ *//' -e '#define' "${headers[@]}" | grep -o 'CLIPSEARCH_EXPORT [^(;{]*[({]')
classes=$(grep -oE '^CLIPSEARCH_EXPORT [A-Za-z_][A-Za-z0-9_]* *\{' <<<"$marked" |
  sed -E 's/^CLIPSEARCH_EXPORT ([A-Za-z0-9_]+).*/\1/' | sort -u)
# `class CLIPSEARCH_EXPORT Name {` is matched from the mark on, so a class is the word before `{`;
# a function is the word before `(`.
functions=$(grep -oE '[A-Za-z_][A-Za-z0-9_]* *\($' <<<"$marked" | tr -d ' (' | sort -u)
[[ -n $classes && -n $functions ]] || { echo "no CLIPSEARCH_EXPORT found in $source/include"; exit 1; }

# [abi:cxx11]: the tag of a function returning std::string (device_name), not part of its name.
symbols=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | c++filt |
  sed 's/\[abi:cxx11\]//g')
[[ -n $symbols ]] || { echo "$lib: no exported symbols"; exit 1; }

class_re=$(paste -sd'|' <<<"$classes")
function_re=$(paste -sd'|' <<<"$functions")
allowed="^(clipsearch::($class_re)::|clipsearch::($function_re)\(|(typeinfo|typeinfo name|vtable) for clipsearch::($class_re)$)"
leaks=$(grep -vE "$allowed" <<<"$symbols" | grep -v '^$' || true)
leaks+=$(grep -E '^clipsearch::[A-Za-z0-9_]+::Impl::' <<<"$symbols" || true)

missing=""
for name in $classes; do
  grep -qE "(^| for )clipsearch::$name(::|$)" <<<"$symbols" || missing+=" $name"
done
for name in $functions; do
  grep -qE "^clipsearch::(($class_re)::)?$name\(" <<<"$symbols" || missing+=" $name"
done

echo "$(wc -l <<<"$symbols") symbols exported by $(basename "$lib")"
status=0
if [[ -n $leaks ]]; then
  echo "exported but not public API (not marked CLIPSEARCH_EXPORT in include/clipsearch):"
  sed -n '1,40s/^/  /p' <<<"$leaks"
  echo "  ($(wc -l <<<"$leaks") in all)"
  status=1
fi
if [[ -n $missing ]]; then
  echo "marked CLIPSEARCH_EXPORT but not exported:$missing"
  status=1
fi
[[ $status -eq 0 ]] && echo "exports: ok"
exit $status
