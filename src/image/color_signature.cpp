#include "image/color_signature.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <utility>

namespace clipsearch {
namespace {

constexpr int kMaxSamplesPerSide = 64;
constexpr int kIterations = 10;
constexpr float kSimilarityScale = 25.0f;

float srgb_to_linear(uint8_t v) {
  const float c = static_cast<float>(v) / 255.0f;
  return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
}

float lab_f(float t) {
  constexpr float kDelta = 6.0f / 29.0f;
  return t > kDelta * kDelta * kDelta ? std::cbrt(t) : t / (3 * kDelta * kDelta) + 4.0f / 29.0f;
}

float lab_distance(const float* a, const float* b) {
  const float d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
  return std::sqrt(d0 * d0 + d1 * d1 + d2 * d2);
}

struct Sample {
  std::array<float, 3> lab;
  int cell;  // 8 x 8 x 8 RGB grid cell
};

std::vector<Sample> grid_samples(const RgbImage& image) {
  const int nx = std::min(image.width, kMaxSamplesPerSide);
  const int ny = std::min(image.height, kMaxSamplesPerSide);
  std::vector<Sample> samples;
  samples.reserve(static_cast<size_t>(nx * ny));
  for (int j = 0; j < ny; ++j) {
    const int y = static_cast<int>((static_cast<int64_t>(2 * j + 1) * image.height) / (2 * ny));
    for (int i = 0; i < nx; ++i) {
      const int x = static_cast<int>((static_cast<int64_t>(2 * i + 1) * image.width) / (2 * nx));
      const uint8_t* p =
          image.pixels.data() +
          (static_cast<size_t>(y) * static_cast<size_t>(image.width) + static_cast<size_t>(x)) * 3;
      samples.push_back({color_srgb_to_lab(p), (p[0] >> 5) * 64 + (p[1] >> 5) * 8 + (p[2] >> 5)});
    }
  }
  return samples;
}

// Means of the most populated grid cells: a deterministic k-means start.
std::vector<std::array<float, 3>> initial_centres(const std::vector<Sample>& samples) {
  std::vector<int> count(512, 0);
  std::vector<std::array<double, 3>> sum(512, {0, 0, 0});
  for (const Sample& s : samples) {
    ++count[static_cast<size_t>(s.cell)];
    for (int c = 0; c < 3; ++c)
      sum[static_cast<size_t>(s.cell)][static_cast<size_t>(c)] += s.lab[static_cast<size_t>(c)];
  }
  std::vector<int> cells;
  for (int c = 0; c < 512; ++c) {
    if (count[static_cast<size_t>(c)] > 0) cells.push_back(c);
  }
  std::stable_sort(cells.begin(), cells.end(), [&](int a, int b) {
    return count[static_cast<size_t>(a)] > count[static_cast<size_t>(b)];
  });
  if (cells.size() > kColorSignatureColors) cells.resize(kColorSignatureColors);
  std::vector<std::array<float, 3>> centres;
  for (int c : cells) {
    const auto n = static_cast<double>(count[static_cast<size_t>(c)]);
    const auto& s = sum[static_cast<size_t>(c)];
    centres.push_back(
        {static_cast<float>(s[0] / n), static_cast<float>(s[1] / n), static_cast<float>(s[2] / n)});
  }
  return centres;
}

size_t nearest(const std::vector<std::array<float, 3>>& centres, const float* lab) {
  size_t best = 0;
  float best_d = INFINITY;
  for (size_t k = 0; k < centres.size(); ++k) {
    const float d = lab_distance(centres[k].data(), lab);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best;
}

// Half of the one-way matching cost: sum over `from` of weight x distance to the nearest in `to`.
float one_way(const ColorSignature& from, const ColorSignature& to) {
  float total = 0;
  for (const auto& a : from.colors) {
    float best = INFINITY;
    for (const auto& b : to.colors) best = std::min(best, lab_distance(a.lab, b.lab));
    total += a.weight * best;
  }
  return total;
}

struct NamedColor {
  const char* name;
  uint8_t rgb[3];
};

// The CSS basic colours plus common names a shopper types.
constexpr NamedColor kNamedColors[] = {
    {"black", {0, 0, 0}},           {"white", {255, 255, 255}},     {"gray", {128, 128, 128}},
    {"grey", {128, 128, 128}},      {"silver", {192, 192, 192}},    {"red", {255, 0, 0}},
    {"maroon", {128, 0, 0}},        {"orange", {255, 165, 0}},      {"yellow", {255, 255, 0}},
    {"olive", {128, 128, 0}},       {"lime", {0, 255, 0}},          {"green", {0, 128, 0}},
    {"teal", {0, 128, 128}},        {"cyan", {0, 255, 255}},        {"aqua", {0, 255, 255}},
    {"blue", {0, 0, 255}},          {"navy", {0, 0, 128}},          {"purple", {128, 0, 128}},
    {"magenta", {255, 0, 255}},     {"fuchsia", {255, 0, 255}},     {"pink", {255, 192, 203}},
    {"brown", {165, 42, 42}},       {"beige", {245, 245, 220}},     {"gold", {255, 215, 0}},
    {"violet", {238, 130, 238}},    {"indigo", {75, 0, 130}},       {"turquoise", {64, 224, 208}},
    {"coral", {255, 127, 80}},      {"salmon", {250, 128, 114}},    {"crimson", {220, 20, 60}},
    {"tomato", {255, 99, 71}},      {"khaki", {240, 230, 140}},     {"tan", {210, 180, 140}},
    {"wheat", {245, 222, 179}},     {"ivory", {255, 255, 240}},     {"chocolate", {210, 105, 30}},
    {"plum", {221, 160, 221}},      {"orchid", {218, 112, 214}},    {"lavender", {230, 230, 250}},
    {"skyblue", {135, 206, 235}},   {"lightblue", {173, 216, 230}}, {"darkblue", {0, 0, 139}},
    {"darkred", {139, 0, 0}},       {"darkgreen", {0, 100, 0}},     {"lightgreen", {144, 238, 144}},
    {"lightgray", {211, 211, 211}}, {"lightgrey", {211, 211, 211}}, {"darkgray", {169, 169, 169}},
    {"darkgrey", {169, 169, 169}},
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::array<float, 3> color_srgb_to_lab(const uint8_t rgb[3]) {
  const float r = srgb_to_linear(rgb[0]), g = srgb_to_linear(rgb[1]), b = srgb_to_linear(rgb[2]);
  // sRGB (D65) to XYZ, then normalized by the D65 white point.
  const float x = (0.4124564f * r + 0.3575761f * g + 0.1804375f * b) / 0.95047f;
  const float y = 0.2126729f * r + 0.7151522f * g + 0.0721750f * b;
  const float z = (0.0193339f * r + 0.1191920f * g + 0.9503041f * b) / 1.08883f;
  const float fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
  return {116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
}

ColorSignature color_signature(const RgbImage& image) {
  ColorSignature sig;
  if (image.width <= 0 || image.height <= 0) return sig;
  const std::vector<Sample> samples = grid_samples(image);
  std::vector<std::array<float, 3>> centres = initial_centres(samples);
  std::vector<size_t> assignment(samples.size());
  std::vector<int> members;
  for (int it = 0; it < kIterations; ++it) {
    std::vector<std::array<double, 3>> sum(centres.size(), {0, 0, 0});
    members.assign(centres.size(), 0);
    for (size_t s = 0; s < samples.size(); ++s) {
      const size_t k = assignment[s] = nearest(centres, samples[s].lab.data());
      ++members[k];
      for (size_t c = 0; c < 3; ++c) sum[k][c] += samples[s].lab[c];
    }
    for (size_t k = 0; k < centres.size(); ++k) {
      if (members[k] == 0) continue;
      for (size_t c = 0; c < 3; ++c) {
        centres[k][c] = static_cast<float>(sum[k][c] / members[k]);
      }
    }
  }
  for (size_t k = 0; k < centres.size(); ++k) {
    if (members[k] == 0) continue;
    ColorSignature::Color color;
    std::copy(centres[k].begin(), centres[k].end(), color.lab);
    color.weight = static_cast<float>(members[k]) / static_cast<float>(samples.size());
    sig.colors.push_back(color);
  }
  std::stable_sort(sig.colors.begin(), sig.colors.end(),
                   [](const auto& a, const auto& b) { return a.weight > b.weight; });
  return sig;
}

ColorSignature color_signature_of(const uint8_t rgb[3]) {
  ColorSignature sig;
  ColorSignature::Color color;
  const auto lab = color_srgb_to_lab(rgb);
  std::copy(lab.begin(), lab.end(), color.lab);
  color.weight = 1;
  sig.colors.push_back(color);
  return sig;
}

std::array<float, kColorSignatureFloats> ColorSignature::pack() const {
  std::array<float, kColorSignatureFloats> out{};
  for (size_t k = 0; k < colors.size() && k < kColorSignatureColors; ++k) {
    for (size_t c = 0; c < 3; ++c) out[k * 4 + c] = colors[k].lab[c];
    out[k * 4 + 3] = colors[k].weight;
  }
  return out;
}

ColorSignature ColorSignature::unpack(const float* packed) {
  ColorSignature sig;
  for (int k = 0; k < kColorSignatureColors; ++k) {
    const float* p = packed + k * 4;
    if (!(p[3] > 0)) continue;
    Color color;
    std::copy(p, p + 3, color.lab);
    color.weight = p[3];
    sig.colors.push_back(color);
  }
  return sig;
}

float color_distance(const ColorSignature& a, const ColorSignature& b) {
  if (a.colors.empty() || b.colors.empty()) return INFINITY;
  return 0.5f * (one_way(a, b) + one_way(b, a));
}

float color_similarity(const ColorSignature& a, const ColorSignature& b) {
  return std::exp(-color_distance(a, b) / kSimilarityScale);
}

float color_similarity_packed(const ColorSignature& query, const float* packed) {
  bool any = false;
  for (int k = 0; k < kColorSignatureColors; ++k) any = any || packed[k * 4 + 3] > 0;
  if (query.colors.empty() || !any) return 0;
  // The two one_way() sums of color_distance(query, image), in the same order.
  float to_image = 0;
  for (const auto& a : query.colors) {
    float best = INFINITY;
    for (int k = 0; k < kColorSignatureColors; ++k) {
      const float* p = packed + k * 4;
      if (p[3] > 0) best = std::min(best, lab_distance(a.lab, p));
    }
    to_image += a.weight * best;
  }
  float to_query = 0;
  for (int k = 0; k < kColorSignatureColors; ++k) {
    const float* p = packed + k * 4;
    if (!(p[3] > 0)) continue;
    float best = INFINITY;
    for (const auto& b : query.colors) best = std::min(best, lab_distance(p, b.lab));
    to_query += p[3] * best;
  }
  return std::exp(-(0.5f * (to_image + to_query)) / kSimilarityScale);
}

Result<std::array<uint8_t, 3>> color_parse(const std::string& text) {
  std::string s = text;
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const NamedColor& named : kNamedColors) {
    if (s == named.name) return std::array<uint8_t, 3>{named.rgb[0], named.rgb[1], named.rgb[2]};
  }
  std::string hex = s.size() && s[0] == '#' ? s.substr(1) : s;
  if (hex.size() == 3) hex = {hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]};
  if (hex.size() == 6 &&
      std::all_of(hex.begin(), hex.end(), [](char c) { return hex_digit(c) >= 0; })) {
    std::array<uint8_t, 3> rgb{};
    for (size_t c = 0; c < 3; ++c) {
      rgb[c] = static_cast<uint8_t>(hex_digit(hex[2 * c]) * 16 + hex_digit(hex[2 * c + 1]));
    }
    return rgb;
  }
  return Status::invalid_argument("colour '" + text + "': expected #rrggbb, #rgb or a colour name");
}

}  // namespace clipsearch
