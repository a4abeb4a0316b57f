// Random inputs for the tests of the numeric kernels (tensor/, index/): header-only and with no
// dependency, so that every layer's tests may include it.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace clipsearch::testing {

// n independent standard normal floats (std::mt19937 seeded with `seed`).
inline std::vector<float> random_normal_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

}  // namespace clipsearch::testing
