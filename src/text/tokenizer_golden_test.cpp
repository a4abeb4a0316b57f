// Differential test: the tokenizer against the golden ids of the Python references
// (tests/reference/tokenizer_golden.py writes them at test time). Every text must give
// identical ids; the first mismatches are printed in full.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "clipsearch/tokenizer.h"
#include "text/open_clip_clean.h"
#include "text/utf8.h"

namespace clipsearch {
namespace {

struct GoldenCase {
  std::string text;  // raw bytes, possibly invalid UTF-8
  std::vector<int32_t> ids;
  std::string category;
  bool valid_utf8 = true;
};

std::string reference_dir() {
  const char* dir = std::getenv("CLIPSEARCH_REFERENCE_DIR");
  return std::string(dir ? dir : "reference") + "/tokenizer";
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::vector<GoldenCase> read_golden(const std::string& name) {
  std::vector<GoldenCase> cases;
  std::ifstream in(reference_dir() + "/golden_" + name + ".jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    cases.push_back({from_hex(j["hex"]), j["ids"].get<std::vector<int32_t>>(),
                     j["category"].get<std::string>(), j["valid_utf8"].get<bool>()});
  }
  return cases;
}

std::string escaped(const std::string& bytes) {
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

std::string join(const std::vector<int32_t>& ids) {
  std::ostringstream os;
  for (size_t i = 0; i < ids.size(); ++i) os << (i ? "," : "") << ids[i];
  return os.str();
}

void expect_identical(const std::string& model, const std::string& golden, TokenizerFlavor flavor,
                      size_t expected_min_cases) {
  auto tokenizer = Tokenizer::load(reference_dir() + "/models/" + model, {flavor, 0});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  std::vector<GoldenCase> cases = read_golden(golden);
  ASSERT_GE(cases.size(), expected_min_cases) << "golden file missing or short: " << golden;
  size_t compared = 0, mismatches = 0;
  for (const GoldenCase& c : cases) {
    ++compared;
    Encoding enc = tokenizer->encode(c.text);
    EXPECT_EQ(enc.invalid_utf8 == 0, c.valid_utf8) << escaped(c.text);
    EXPECT_EQ(enc.warning.empty(), c.valid_utf8) << escaped(c.text);
    if (enc.ids != c.ids && ++mismatches <= 10) {
      ADD_FAILURE() << golden << " [" << c.category << "] text \"" << escaped(c.text)
                    << "\"\n  expected " << join(c.ids) << "\n  actual   " << join(enc.ids);
    }
  }
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << compared << " texts differ";
  std::cout << golden << ": " << compared << " texts identical to the reference"
            << (mismatches ? " (NOT all)" : "") << "\n";
}

// Random bytes (mostly ill-formed UTF-8) through both flavours: never a crash (the sanitizer
// build runs this), always [start, ids in the vocabulary..., end] within the context length.
TEST(TokenizerGolden, RandomBytesNeverBreakIt) {
  for (const char* model : {"hf", "open_clip"}) {
    auto tokenizer = Tokenizer::load(reference_dir() + "/models/" + model);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    auto next = [&] {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      return state;
    };
    for (int i = 0; i < 3000; ++i) {
      std::string bytes(next() % 64, '\0');
      for (char& c : bytes) c = static_cast<char>(next() % 4 ? next() : "&<# '\n"[next() % 6]);
      Encoding enc = tokenizer->encode(bytes);
      ASSERT_GE(enc.ids.size(), 2u);
      ASSERT_LE(enc.ids.size(), static_cast<size_t>(tokenizer->context_length()));
      EXPECT_EQ(enc.ids.front(), tokenizer->start_token_id());
      EXPECT_EQ(enc.ids.back(), tokenizer->end_token_id());
      for (int32_t id : enc.ids) {
        ASSERT_GE(id, 0);
        ASSERT_LT(static_cast<size_t>(id), tokenizer->vocab_size());
      }
    }
  }
}

TEST(TokenizerGolden, TransformersFromVocabAndMerges) {
  expect_identical("hf", "transformers", TokenizerFlavor::kAuto, 10000);
}

TEST(TokenizerGolden, TransformersPublishedLayout) {
  expect_identical("hf_published", "transformers_published", TokenizerFlavor::kAuto, 10000);
}

TEST(TokenizerGolden, OpenClip) {
  expect_identical("open_clip", "open_clip", TokenizerFlavor::kAuto, 10000);
}

// open_clip's first cleaning step alone (ftfy.fix_text, its encoding repair included) on every
// text: tokenization hides case and much else, so the repaired text itself is compared too.
TEST(TokenizerGolden, FtfyFixText) {
  std::ifstream in(reference_dir() + "/golden_ftfy.jsonl");
  std::string line;
  size_t compared = 0, changed = 0, mismatches = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    std::string input = from_hex(j["hex"]), expected = from_hex(j["fixed"]);
    std::u32string cps;
    ASSERT_EQ(text::utf8_decode(input, &cps), 0u) << escaped(input);
    std::string actual = text::utf8_encode(text::ftfy_fix_text(cps));
    ++compared;
    changed += expected != input;
    if (actual != expected && ++mismatches <= 10) {
      ADD_FAILURE() << "[" << j["category"].get<std::string>() << "] text \"" << escaped(input)
                    << "\"\n  expected \"" << escaped(expected) << "\"\n  actual   \""
                    << escaped(actual) << "\"";
    }
  }
  ASSERT_GE(compared, 10000u) << "golden_ftfy.jsonl missing or short";
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << compared << " texts differ";
  std::cout << "ftfy: " << compared << " texts (" << changed << " changed by ftfy) identical to "
            << "ftfy.fix_text" << (mismatches ? " (NOT all)" : "") << "\n";
}

}  // namespace
}  // namespace clipsearch
