# Compiler flags shared by every target of the project.
add_library(clipsearch_flags INTERFACE)
target_compile_options(clipsearch_flags INTERFACE -Wall -Wextra -Wpedantic -Werror
                                                  -Wno-missing-field-initializers)
# One binary for every x86-64 machine: the baseline instruction set, never -march=native; the
# SIMD kernels pick their level at run time (src/core/isa.h). Arithmetic is computed as written
# (no contraction into FMA behind the code's back), so plain C++ gives the same floats on every
# machine and compiler, and two paths that write the same expression agree bit for bit.
target_compile_options(clipsearch_flags INTERFACE -ffp-contract=off)
# The layers are linked into the CLI and also into libclipsearch.so (the installed library), so
# all code is position independent. -fno-semantic-interposition lets the compiler inline and call
# functions of the library directly, as in an executable (nothing interposes them).
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
target_compile_options(clipsearch_flags INTERFACE -fno-semantic-interposition)
# Hidden by default, everywhere (-fvisibility=hidden -fvisibility-inlines-hidden): the objects of
# the layers go into libclipsearch.so as they are, and it must export the public API only, what
# include/clipsearch/ marks with CLIPSEARCH_EXPORT (clipsearch/export.h). tests/install checks the
# export list. Executables linking the layers statically are not affected.
set(CMAKE_C_VISIBILITY_PRESET hidden)
set(CMAKE_CXX_VISIBILITY_PRESET hidden)
set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)

# Release builds keep assertions: a broken internal invariant must abort, not corrupt results.
string(REPLACE "-DNDEBUG" "" CMAKE_CXX_FLAGS_RELEASE "${CMAKE_CXX_FLAGS_RELEASE}")
string(REPLACE "-DNDEBUG" "" CMAKE_CXX_FLAGS_RELWITHDEBINFO "${CMAKE_CXX_FLAGS_RELWITHDEBINFO}")
set(CMAKE_CXX_FLAGS_RELEASE "${CMAKE_CXX_FLAGS_RELEASE}" CACHE STRING "" FORCE)
set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "${CMAKE_CXX_FLAGS_RELWITHDEBINFO}" CACHE STRING "" FORCE)

if(CLIPSEARCH_SANITIZE)
  target_compile_options(clipsearch_flags INTERFACE -fsanitize=address,undefined
                                                    -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(clipsearch_flags INTERFACE -fsanitize=address,undefined)
endif()

if(CLIPSEARCH_FUZZ)
  # Coverage instrumentation for the library; the fuzz targets link libFuzzer's main.
  target_compile_options(clipsearch_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(clipsearch_flags INTERFACE -fsanitize=address,undefined)
endif()
