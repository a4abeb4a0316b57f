// The manifest.json a reference fixture writes beside its cases ({"cases": [...]}).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace clipsearch::testing {

// DIR/manifest.json; a missing file fails the test (the fixture did not run) and gives no cases.
inline nlohmann::json read_fixture_manifest(const std::string& dir) {
  std::ifstream in(dir + "/manifest.json");
  EXPECT_TRUE(in.good()) << "missing " << dir << "/manifest.json (fixture not run?)";
  return in.good() ? nlohmann::json::parse(in) : nlohmann::json{{"cases", nlohmann::json::array()}};
}

}  // namespace clipsearch::testing
