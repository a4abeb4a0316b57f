#include "core/isa.h"

#include <algorithm>
#include <cstdlib>

#include <cpuid.h>

namespace clipsearch {

// CPUID leaf 7, sub-leaf 0, ECX bit 11 (AVX512_VNNI).
bool cpu_has_avx512_vnni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 11)) != 0;
}

namespace {

constexpr const char* kVariable = "CLIPSEARCH_ISA";

// CPUID leaf 1, ECX bit 29. Read directly: clang's __builtin_cpu_supports does not know "f16c"
// (the fuzzers' build is clang's).
bool cpu_has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
}

// CPUID leaf 7, sub-leaf 1 EAX bit 5 (AVX512_BF16), beside VNNI. Read directly for the same
// reason as F16C: not every compiler's __builtin_cpu_supports knows it.
bool cpu_has_avx512_bf16_vnni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!cpu_has_avx512_vnni() || __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0 || eax < 1) {
    return false;
  }
  if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (eax & (1u << 5)) != 0;
}

Isa detect() {
  // libgcc's checks include the OS side (XCR0: the AVX and AVX-512 register state enabled), so a
  // hypervisor that hides the state also hides the level.
  __builtin_cpu_init();
  // F16C (half conversions) came before AVX2 on every vendor's cores; checked all the same, so a
  // hypervisor that masks it cannot crash the half-precision kernels.
  const bool avx2 =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
  if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    // The BF16/VNNI instructions use the AVX-512 register state the checks above confirmed.
    return cpu_has_avx512_bf16_vnni() ? Isa::kAvx512Bf16 : Isa::kAvx512;
  }
  if (avx2) return Isa::kAvx2;
  return Isa::kScalar;
}

std::optional<Isa> cap_from_environment() {
  const char* value = std::getenv(kVariable);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return isa_parse(value);
}

}  // namespace

Isa isa_supported() {
  static const Isa supported = detect();
  return supported;
}

Isa isa_active() {
  static const Isa active = [] {
    const std::optional<Isa> cap = cap_from_environment();
    const Isa best = isa_supported();
    return cap && !isa_at_least(*cap, best) ? *cap : best;
  }();
  return active;
}

Status isa_environment_check() {
  const char* value = std::getenv(kVariable);
  if (value == nullptr || *value == '\0' || isa_parse(value)) return Status();
  return Status::invalid_argument(std::string(kVariable) + ": '" + value +
                                  "' is not one of scalar, avx2, avx512, avx512bf16");
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx512Bf16:
      return "avx512bf16";
  }
  return "scalar";
}

std::optional<Isa> isa_parse(std::string_view name) {
  for (Isa isa : kIsaLevels) {
    if (name == isa_name(isa)) return isa;
  }
  return std::nullopt;
}

}  // namespace clipsearch
