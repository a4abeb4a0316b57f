// A BF16 layer's weights packed once, at load, in the layout VDPBF16PS multiplies
// (weight_kernels_avx512bf16.cpp), so that the BF16 arithmetic level does not repack a panel of
// [out, in] storage on every product. The packing replaces the [out, in] copy (same size: two
// bytes a weight, padded to whole panels of 32 output columns and whole pairs of inputs), so the
// few-row products of that level read it too (a float32 kernel that widens the pairs).
//
// Immutable once packed: any number of threads may multiply by it.
#pragma once

#include <cstdint>
#include <vector>

namespace clipsearch {

struct Bf16Packed {
  static constexpr int64_t kPanelCols = 32;  // output columns per panel (2 zmm of 16)
  int64_t out = 0, in = 0;
  int64_t pairs = 0;   // (in + 1) / 2
  int64_t panels = 0;  // (out + kPanelCols - 1) / kPanelCols
  // [panels][pairs][kPanelCols]: the BF16 bits of w[c][2p] in the low half, of w[c][2p + 1] in the
  // high half; zero past `out` and past `in`.
  std::vector<uint32_t> data;

  // Panel of output column c (a multiple of kPanelCols): [pairs][kPanelCols].
  const uint32_t* panel(int64_t c) const {
    return data.data() + (c / kPanelCols) * pairs * kPanelCols;
  }
  uint16_t at(int64_t o, int64_t i) const {
    const uint32_t pair = panel(o - o % kPanelCols)[(i / 2) * kPanelCols + o % kPanelCols];
    return static_cast<uint16_t>(i % 2 == 0 ? pair : pair >> 16);
  }
  int64_t bytes() const { return static_cast<int64_t>(data.size() * sizeof(uint32_t)); }
};

// Packs BF16 bits w [out, in]; on the thread pool.
Bf16Packed bf16_pack(const uint16_t* w, int64_t out, int64_t in);

}  // namespace clipsearch
