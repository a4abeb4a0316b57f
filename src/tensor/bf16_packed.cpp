#include "tensor/bf16_packed.h"

#include "core/thread_pool.h"

namespace clipsearch {

Bf16Packed bf16_pack(const uint16_t* w, int64_t out, int64_t in) {
  constexpr int64_t kCols = Bf16Packed::kPanelCols;
  Bf16Packed p;
  p.out = out;
  p.in = in;
  p.pairs = (in + 1) / 2;
  p.panels = (out + kCols - 1) / kCols;
  p.data.assign(static_cast<size_t>(p.panels * p.pairs * kCols), 0);
  parallel_for(
      p.panels,
      [&](int64_t begin, int64_t end) {
        for (int64_t panel = begin; panel < end; ++panel) {
          uint32_t* dst = p.data.data() + panel * p.pairs * kCols;
          for (int64_t j = 0; j < kCols && panel * kCols + j < out; ++j) {
            const uint16_t* row = w + (panel * kCols + j) * in;
            for (int64_t i = 0; i < in; ++i) {
              dst[(i / 2) * kCols + j] |= static_cast<uint32_t>(row[i]) << (16 * (i % 2));
            }
          }
        }
      },
      1);
  return p;
}

}  // namespace clipsearch
