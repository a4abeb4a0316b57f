// What the model reference tests check of every embedding row: its cosine with the reference's
// row and its largest difference, relative to the largest magnitude of the reference.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/npy.h"

namespace clipsearch::testing {

// A fixture's token_ids.json: one list of token ids per text, as the reference tokenized them.
inline std::vector<std::vector<int32_t>> load_token_ids(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in).get<std::vector<std::vector<int32_t>>>();
}

// Every row of `got` ([rows, dim], as `ref` is shaped) against the reference's: cosine >=
// min_cosine and max |got - ref| <= max_rel_error * max |ref| (not checked when max_rel_error is
// negative). Returns the lowest cosine (0 when the sizes differ, which fails the test).
inline double expect_rows_close(const std::string& what, const std::vector<float>& got,
                                const NpyArray& ref, double min_cosine, double max_rel_error) {
  if (ref.shape.size() != 2 || got.size() != ref.data.size()) {
    ADD_FAILURE() << what << ": " << got.size() << " values against the reference's "
                  << ref.data.size();
    return 0;
  }
  const int64_t rows = ref.shape[0], dim = ref.shape[1];
  float ref_max = 0;
  for (float v : ref.data) ref_max = std::max(ref_max, std::fabs(v));
  double lowest = 1;
  for (int64_t r = 0; r < rows; ++r) {
    double dot = 0, ng = 0, nr = 0, max_err = 0;
    for (int64_t i = 0; i < dim; ++i) {
      const double g = got[static_cast<size_t>(r * dim + i)];
      const double f = ref.data[static_cast<size_t>(r * dim + i)];
      dot += g * f;
      ng += g * g;
      nr += f * f;
      max_err = std::max(max_err, std::fabs(g - f));
    }
    const double cosine = dot / std::sqrt(ng * nr);
    lowest = std::min(lowest, cosine);
    EXPECT_GE(cosine, min_cosine) << what << " row " << r;
    if (max_rel_error >= 0) {
      EXPECT_LE(max_err, max_rel_error * ref_max) << what << " row " << r;
    }
  }
  return lowest;
}

}  // namespace clipsearch::testing
