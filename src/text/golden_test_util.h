// What the tokenizer differential tests share: the golden files that tests/reference/*_golden.py
// write (one JSON line per text: {"hex": UTF-8 bytes in hex, "ids", "category", "valid_utf8"}),
// the comparison of a Tokenizer with them, and the random-bytes robustness check.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "clipsearch/tokenizer.h"

namespace clipsearch::golden {

struct GoldenCase {
  std::string text;  // raw bytes, possibly invalid UTF-8
  std::vector<int32_t> ids;
  std::string category;
  bool valid_utf8 = true;
};

// $CLIPSEARCH_REFERENCE_DIR/<family>: where a family's fixture writes models and golden files.
inline std::string reference_dir(const std::string& family) {
  const char* dir = std::getenv("CLIPSEARCH_REFERENCE_DIR");
  return std::string(dir ? dir : "reference") + "/" + family;
}

inline std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Printable ASCII as it is, every other byte as \xHH.
inline std::string escaped(const std::string& bytes) {
  std::ostringstream os;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      os << c;
    } else {
      os << "\\x" << std::hex << (c >> 4) << (c & 15) << std::dec;
    }
  }
  return os.str();
}

inline std::string join(const std::vector<int32_t>& ids) {
  std::ostringstream os;
  for (size_t i = 0; i < ids.size(); ++i) os << (i ? "," : "") << ids[i];
  return os.str();
}

// The cases of golden file `path` (empty when it is missing).
inline std::vector<GoldenCase> read_golden(const std::string& path) {
  std::vector<GoldenCase> cases;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    cases.push_back({from_hex(j["hex"]), j["ids"].get<std::vector<int32_t>>(),
                     j["category"].get<std::string>(), j["valid_utf8"].get<bool>()});
  }
  return cases;
}

struct Comparison {
  size_t compared = 0;
  size_t mismatches = 0;
  size_t at_context = 0;  // reference encodings as long as the context (truncated or exact)
};

// Encodes every case and fails for each text whose ids differ (the first 10 printed in full:
// text, expected and actual ids) or whose invalid-UTF-8 report differs; prints the totals.
inline Comparison compare_golden(Tokenizer& tokenizer, const std::vector<GoldenCase>& cases,
                                 const std::string& name) {
  Comparison r;
  for (const GoldenCase& c : cases) {
    ++r.compared;
    r.at_context += c.ids.size() == static_cast<size_t>(tokenizer.context_length());
    Encoding enc = tokenizer.encode(c.text);
    EXPECT_EQ(enc.invalid_utf8 == 0, c.valid_utf8) << escaped(c.text);
    EXPECT_EQ(enc.warning.empty(), c.valid_utf8) << escaped(c.text);
    if (enc.ids != c.ids && ++r.mismatches <= 10) {
      ADD_FAILURE() << name << " [" << c.category << "] text \"" << escaped(c.text)
                    << "\"\n  expected " << join(c.ids) << "\n  actual   " << join(enc.ids);
    }
  }
  EXPECT_EQ(r.mismatches, 0u) << r.mismatches << " of " << r.compared << " texts differ";
  std::cout << name << ": " << r.compared << " texts (" << r.at_context
            << " at the context length) identical to the reference"
            << (r.mismatches ? " (NOT all)" : "") << "\n";
  return r;
}

// Random bytes (mostly ill-formed UTF-8, with `extra` characters mixed in): never a crash (the
// sanitizer build runs this), always [start, ids in the vocabulary..., end] within the context.
inline void expect_random_bytes_never_break(Tokenizer& tokenizer, const std::string& extra,
                                            size_t max_bytes = 64) {
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&] {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return state;
  };
  for (int i = 0; i < 3000; ++i) {
    std::string bytes(next() % max_bytes, '\0');
    for (char& c : bytes) c = static_cast<char>(next() % 4 ? next() : extra[next() % extra.size()]);
    Encoding enc = tokenizer.encode(bytes);
    ASSERT_GE(enc.ids.size(), 2u);
    ASSERT_LE(enc.ids.size(), static_cast<size_t>(tokenizer.context_length()));
    EXPECT_EQ(enc.ids.front(), tokenizer.start_token_id());
    EXPECT_EQ(enc.ids.back(), tokenizer.end_token_id());
    for (int32_t id : enc.ids) {
      ASSERT_GE(id, 0);
      ASSERT_LT(static_cast<size_t>(id), tokenizer.vocab_size());
    }
  }
}

}  // namespace clipsearch::golden
