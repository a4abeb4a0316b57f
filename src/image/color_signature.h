// Colour signatures: the few dominant colours of an image, for colour-aware product search.
//
// Why not an HSV histogram: a histogram compares colours only inside the same bin, so two
// images whose colours fall in different bins score 0 whatever their distance (a red and a
// dark-red dress are as far apart as red and blue), and bin edges make near-identical colours
// jump. A signature of dominant colours in CIELAB with weights (Rubner et al.'s colour
// signatures) keeps real colour distances: CIELAB distance approximates perceived difference.
//
// Computation: at most 64 x 64 pixels sampled on a regular grid; each converted from sRGB (D65)
// to CIELAB; k-means with k = 4 started from the means of the 4 most populated cells of a
// 8 x 8 x 8 RGB grid (deterministic), 10 Lloyd iterations; clusters that end empty are dropped.
// Distance between two signatures A and B (weights w, colours c):
//   d(A, B) = (sum_a w_a min_b |c_a - c_b| + sum_b w_b min_a |c_a - c_b|) / 2
// so a one-colour query against a one-colour image is their CIELAB distance, exactly.
// Similarity: exp(-d / 25), in (0, 1]. Pure functions, thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "clipsearch/image.h"
#include "clipsearch/status.h"

namespace clipsearch {

inline constexpr int kColorSignatureColors = 4;
// Stored as 16 floats: (L, a, b, weight) per colour, heaviest first, unused colours weight 0.
inline constexpr int kColorSignatureFloats = 4 * kColorSignatureColors;

struct ColorSignature {
  struct Color {
    float lab[3] = {0, 0, 0};
    float weight = 0;
  };
  std::vector<Color> colors;  // 1..kColorSignatureColors, heaviest first, weights sum to 1

  std::array<float, kColorSignatureFloats> pack() const;
  static ColorSignature unpack(const float* packed);  // kColorSignatureFloats floats
};

ColorSignature color_signature(const RgbImage& image);
// The signature of one colour (a colour query).
ColorSignature color_signature_of(const uint8_t rgb[3]);

float color_distance(const ColorSignature& a, const ColorSignature& b);
float color_similarity(const ColorSignature& a, const ColorSignature& b);
// color_similarity(query, ColorSignature::unpack(packed)), bit for bit, without allocating (the
// search scans every image's packed signature); 0 for a signature without colours.
float color_similarity_packed(const ColorSignature& query, const float* packed);

// sRGB (0-255) to CIELAB, D65 white.
std::array<float, 3> color_srgb_to_lab(const uint8_t rgb[3]);

// "#c0392b", "#f00", "c0392b" or a colour name ("red", "navy", ...: the CSS basic colours and a
// few common ones). An unknown colour is an error naming it.
Result<std::array<uint8_t, 3>> color_parse(const std::string& text);

}  // namespace clipsearch
