#include "tensor/blas_core.h"

#include <cblas.h>
#include <unistd.h>

#include <cstdlib>

#include <set>

namespace clipsearch {

std::string blas_core_name() {
  const char* name = openblas_get_corename();
  return name ? name : "";
}

std::string blas_better_coretype() {
  // Kernel sets without AVX2/FMA: what OpenBLAS falls back to on CPUs it does not recognize.
  static const std::set<std::string> kFallbacks = {"Prescott", "Core2",  "Penryn",     "Dunnington",
                                                   "Nehalem",  "Katmai", "Coppermine", "Northwood",
                                                   "Banias",   "Atom",   "Sandybridge"};
  const std::string current = blas_core_name();
  if (kFallbacks.count(current) == 0) return "";
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return "";
}

void reexec_with_better_blas(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user's choice stands
  const std::string coretype = blas_better_coretype();
  if (coretype.empty()) return;
  ::setenv("OPENBLAS_CORETYPE", coretype.c_str(), 1);
  ::execv("/proc/self/exe", argv);
  ::unsetenv("OPENBLAS_CORETYPE");  // exec failed: carry on with the kernels we have
}

}  // namespace clipsearch
