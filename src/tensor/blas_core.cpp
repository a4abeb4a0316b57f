#include "tensor/blas_core.h"

#include <cblas.h>
#include <unistd.h>

#include <cstdlib>

#include <set>

#include "core/isa.h"

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
  // Never above the level the project's own kernels may use (CLIPSEARCH_ISA caps both here).
  switch (isa_active()) {
    case Isa::kAvx512Bf16:  // no float32 kernel of its own: AVX-512's
    case Isa::kAvx512:
      return "SkylakeX";
    case Isa::kAvx2:
      return "Haswell";
    case Isa::kScalar:
      break;
  }
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
