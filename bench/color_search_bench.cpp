// Colour-aware search cost: plain exact search against color_mixed_search at several colour
// weights, scoring every row in one pass (what search does without HNSW) and through candidate
// lists over an exact CLIP side (the HNSW code path, with the scan standing in for the graph), one
// query at a time, on synthetic embedding-like rows with random two-colour signatures. Also the
// cost of computing one signature (64 x 64 samples, k-means).
//
// Usage: color_search_bench [--rows N] [--dim D] [--queries Q]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "clipsearch/threads.h"
#include "image/color_signature.h"
#include "index/exact_index.h"
#include "search/color_search.h"
#include "testing/test_vectors.h"

using namespace clipsearch;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

RgbImage two_colour_image(std::mt19937& rng, int w, int h) {
  std::uniform_int_distribution<int> byte(0, 255), split(1, w - 1);
  const uint8_t a[3] = {uint8_t(byte(rng)), uint8_t(byte(rng)), uint8_t(byte(rng))};
  const uint8_t b[3] = {uint8_t(byte(rng)), uint8_t(byte(rng)), uint8_t(byte(rng))};
  const int cut = split(rng);
  RgbImage im{w, h, {}};
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const uint8_t* c = x < cut ? a : b;
      im.pixels.insert(im.pixels.end(), c, c + 3);
    }
  }
  return im;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 100000, dim = 512, queries = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rows")) rows = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dim")) dim = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--queries")) queries = std::atoll(argv[i + 1]);
  }
  set_num_threads(1);
  const std::vector<float> vectors = testing::embedding_like_vectors(rows, dim, 64, 1);
  std::vector<int64_t> ids(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) ids[static_cast<size_t>(i)] = i + 1;
  const VectorView view{ids.data(), vectors.data(), rows, dim};

  std::mt19937 rng(3);
  std::vector<float> colors(static_cast<size_t>(rows * kColorSignatureFloats));
  const RgbImage big = two_colour_image(rng, 1024, 768);
  double t0 = now_ms();
  for (int i = 0; i < 20; ++i) static_cast<void>(color_signature(big));
  std::printf("signature of a 1024x768 image: %.3f ms\n", (now_ms() - t0) / 20);
  for (int64_t r = 0; r < rows; ++r) {
    const auto packed = color_signature(two_colour_image(rng, 16, 16)).pack();
    std::copy(packed.begin(), packed.end(), colors.begin() + r * kColorSignatureFloats);
  }

  const std::vector<float> q = testing::random_unit_vectors(queries, dim, 9);
  SearchOptions options;
  options.k = 10;
  auto time = [&](const char* what, auto&& search_one) {
    const double start = now_ms();
    for (int64_t i = 0; i < queries; ++i) search_one(q.data() + i * dim);
    std::printf("%-32s %8.2f ms/query\n", what, (now_ms() - start) / double(queries));
  };
  std::printf("%lld rows, dim %lld, k 10, 1 thread\n", (long long)rows, (long long)dim);
  time("exact (no colour)", [&](const float* query) { exact_search(view, query, options); });
  const uint8_t red[3] = {192, 57, 43};
  for (float w : {0.1f, 0.3f, 0.7f, 1.0f}) {
    const search::ColorQuery color{color_signature_of(red), w};
    char label[64];
    std::snprintf(label, sizeof label, "colour W=%.1f, one pass", double(w));
    time(label, [&](const float* query) {
      search::color_mixed_search(view, colors.data(), query, color, options, {});
    });
    std::snprintf(label, sizeof label, "colour W=%.1f, candidates", double(w));
    time(label, [&](const float* query) {
      search::color_mixed_search(
          view, colors.data(), query, color, options,
          [&](const SearchOptions& o) { return exact_search(view, query, o); });
    });
  }
  return 0;
}
