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
#include "text/golden_test_util.h"
#include "text/open_clip_clean.h"
#include "text/utf8.h"

namespace clipsearch {
namespace {

using namespace golden;

std::string reference_dir() { return golden::reference_dir("tokenizer"); }

void expect_identical(const std::string& model, const std::string& golden, TokenizerFlavor flavor,
                      size_t expected_min_cases) {
  auto tokenizer = Tokenizer::load(reference_dir() + "/models/" + model, {flavor, 0});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  const std::vector<GoldenCase> cases =
      read_golden(reference_dir() + "/golden_" + golden + ".jsonl");
  ASSERT_GE(cases.size(), expected_min_cases) << "golden file missing or short: " << golden;
  compare_golden(*tokenizer, cases, golden);
}

// Random bytes (mostly ill-formed UTF-8) through both flavours: never a crash (the sanitizer
// build runs this), always [start, ids in the vocabulary..., end] within the context length.
TEST(TokenizerGolden, RandomBytesNeverBreakIt) {
  for (const char* model : {"hf", "open_clip"}) {
    auto tokenizer = Tokenizer::load(reference_dir() + "/models/" + model);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
    expect_random_bytes_never_break(*tokenizer, "&<# '\n");
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
