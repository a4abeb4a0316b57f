// Which OpenBLAS kernel set this process runs, and a better one when OpenBLAS fell back.
//
// OpenBLAS (DYNAMIC_ARCH builds, as Debian's) picks its kernels from the CPU model when the
// library loads. Debian 12's 0.3.21 does not know recent Xeons (Sapphire and Emerald Rapids)
// and falls back to its SSE3 "Prescott" kernels, about six times slower on the matrix products
// that are 90% of CLIP's work. The choice can only be overridden with OPENBLAS_CORETYPE before
// the library loads, so the CLI re-executes itself once with it set (see cli/main.cpp).
#pragma once

#include <string>

namespace clipsearch {

// OpenBLAS's name for the kernels in use ("Prescott", "Haswell", "SkylakeX", ...).
std::string blas_core_name();

// The OPENBLAS_CORETYPE that suits this CPU better than the kernels in use, or "" when the
// current choice is fine (or the CPU has no AVX2/FMA).
std::string blas_better_coretype();

// For a program's main(): if OpenBLAS fell back to generic kernels and OPENBLAS_CORETYPE is
// unset, executes /proc/self/exe again with OPENBLAS_CORETYPE set to blas_better_coretype().
// Returns (doing nothing) when no better choice exists or exec fails.
void reexec_with_better_blas(char** argv);

}  // namespace clipsearch
