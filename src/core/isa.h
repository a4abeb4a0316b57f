// Which instruction-set level the project's own SIMD kernels run at, chosen at run time: one
// binary runs on every x86-64 machine (never -march=native) and uses the best level the CPU and
// the operating system support.
//
//   kScalar  plain C++ for the baseline x86-64 (SSE2): every machine
//   kAvx2    AVX2 + FMA + F16C (Haswell, Zen 1 and later)
//   kAvx512  AVX-512 F/BW/DQ/VL (Skylake-X, Ice Lake, Sapphire/Emerald Rapids, Zen 4 and later)
//   kAvx512Bf16  kAvx512 + AVX512_BF16 (VDPBF16PS) + AVX512_VNNI (VPDPBUSD): the first level
//            with low-precision arithmetic (Cooper Lake, Sapphire/Emerald Rapids, Zen 4 and
//            later; Ice Lake has VNNI without BF16 and stays kAvx512)
//
// Each level includes every level below it. The environment variable
// CLIPSEARCH_ISA=scalar|avx2|avx512|avx512bf16 caps the level (a cap above what
// the machine has changes nothing), so the tests can run every fallback on any machine.
// OpenBLAS is capped separately by OPENBLAS_CORETYPE. The level is read once per process; the
// functions are thread-safe.
//
// Kernels take the level as a parameter where the tests compare levels in one process
// (index/dot.h); everything else asks isa_active().
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "clipsearch/status.h"

namespace clipsearch {

enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2, kAvx512Bf16 = 3 };

// Every level, lowest first (for the tests and the names).
inline constexpr Isa kIsaLevels[] = {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAvx512Bf16};

// The best level this CPU and OS support (cpuid and the OS-enabled register state).
Isa isa_supported();
// Whether the CPU has AVX512_VNNI (cpuid alone: the OS's zmm state is what kAvx512 checks, so
// ask it only under that level). Ice and Cascade Lake have it without BF16, below kAvx512Bf16.
bool cpu_has_avx512_vnni();
// The level kernels use: isa_supported() capped by CLIPSEARCH_ISA. An unparseable value is
// reported by isa_environment_check() and otherwise ignored (no cap).
Isa isa_active();
// The error for an unusable CLIPSEARCH_ISA value ("CLIPSEARCH_ISA: 'sse9' is not one of ...");
// entry points (the CLI's main) call it once so a typo cannot silently run the best level.
Status isa_environment_check();

const char* isa_name(Isa isa);
std::optional<Isa> isa_parse(std::string_view name);
// Whether level `have` includes level `want`.
inline bool isa_at_least(Isa have, Isa want) {
  return static_cast<int>(have) >= static_cast<int>(want);
}

}  // namespace clipsearch
