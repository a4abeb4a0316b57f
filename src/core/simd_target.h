// Function attributes that compile one function for a higher instruction-set level than the
// baseline x86-64 the project builds for. A kernel carrying one is only called after
// core/isa.h says the level is active. Attributes rather than per-file -m flags: with -mavx2
// on a whole file, any inline library function instantiated there (std::min, std::vector)
// could be emitted with AVX2 instructions and picked by the linker for the whole program,
// which would then crash on a machine without AVX2.
#pragma once

#define CLIPSEARCH_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define CLIPSEARCH_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))
// The same levels with F16C (half <-> float conversions), which every AVX2 CPU has and
// isa_supported() checks for kAvx2; kept apart so only the kernels that convert halves use it.
#define CLIPSEARCH_TARGET_AVX2_F16C __attribute__((target("avx2,fma,f16c")))
#define CLIPSEARCH_TARGET_AVX512_F16C \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")))
// kAvx512Bf16: AVX-512 with VDPBF16PS / VCVTNE2PS2BF16 (AVX512_BF16) and VPDPBUSD (AVX512_VNNI).
#define CLIPSEARCH_TARGET_AVX512_BF16                                             \
  __attribute__((                                                                 \
      target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,avx512vnni,avx2,fma," \
             "f16c")))
