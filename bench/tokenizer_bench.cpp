// Tokenizer benchmark: load time and single-thread throughput on a file of captions.
//
//   bench_tokenizer MODEL_DIR CAPTIONS.txt [REPEATS]
//
// Prints one JSON object: load_ms (min/median over REPEATS loads), captions_per_s for a cold
// tokenizer (a fresh word cache per repeat) and a warm one (the cache kept), min/median over
// REPEATS, and a checksum of the ids. bench/tokenizer_bench.py runs it next to the Rust
// `tokenizers` library.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "clipsearch/tokenizer.h"

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL_DIR CAPTIONS.txt [REPEATS]\n", argv[0]);
    return 2;
  }
  const std::string model = argv[1];
  const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
  std::vector<std::string> captions;
  std::ifstream in(argv[2]);
  for (std::string line; std::getline(in, line);) captions.push_back(line);
  if (captions.empty()) {
    std::fprintf(stderr, "%s: no captions\n", argv[2]);
    return 1;
  }
  std::vector<double> load_ms, cold, warm;
  long long checksum = 0;
  for (int r = 0; r < repeats; ++r) {
    double t0 = now_s();
    auto tok = clipsearch::Tokenizer::load(model);
    double t1 = now_s();
    if (!tok.ok()) {
      std::fprintf(stderr, "%s\n", tok.status().message().c_str());
      return 1;
    }
    load_ms.push_back((t1 - t0) * 1e3);
    for (int pass = 0; pass < 2; ++pass) {  // cold: first pass of a fresh tokenizer; then warm
      double s0 = now_s();
      long long sum = 0;
      for (const std::string& c : captions) {
        for (int32_t id : tok->encode(c).ids) sum += id;
      }
      double s1 = now_s();
      (pass == 0 ? cold : warm).push_back(captions.size() / (s1 - s0));
      checksum = sum;
    }
  }
  std::printf(
      "{\"captions\": %zu, \"repeats\": %d, \"load_ms_min\": %.3f, \"load_ms_median\": %.3f, "
      "\"cold_captions_per_s_max\": %.1f, \"cold_captions_per_s_median\": %.1f, "
      "\"warm_captions_per_s_max\": %.1f, \"warm_captions_per_s_median\": %.1f, "
      "\"checksum\": %lld}\n",
      captions.size(), repeats, *std::min_element(load_ms.begin(), load_ms.end()), median(load_ms),
      *std::max_element(cold.begin(), cold.end()), median(cold),
      *std::max_element(warm.begin(), warm.end()), median(warm), checksum);
  return 0;
}
