// Differential test: the Unigram tokenizer against the golden ids of transformers'
// XLMRobertaTokenizerFast (tests/reference/unigram_golden.py trains the SentencePiece models and
// writes the ids at test time). Every text must give identical ids; the first mismatches are
// printed in full.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "clipsearch/tokenizer.h"
#include "text/golden_test_util.h"

namespace clipsearch {
namespace {

using namespace golden;

void expect_identical(const std::string& model, TokenizerFlavor flavor) {
  const std::string dir = reference_dir("unigram");
  auto tokenizer = Tokenizer::load(dir + "/models/" + model, {flavor, 0});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  EXPECT_EQ(tokenizer->flavor(), TokenizerFlavor::kUnigram);
  EXPECT_EQ(tokenizer->context_length(), 77);  // open_clip's default for these models
  const std::vector<GoldenCase> cases = read_golden(dir + "/golden_" + model + ".jsonl");
  ASSERT_GE(cases.size(), 10000u) << "golden file missing or short: " << model;
  compare_golden(*tokenizer, cases, model);
}

TEST(UnigramGolden, ConvertedFolder) { expect_identical("xlmr", TokenizerFlavor::kAuto); }

TEST(UnigramGolden, ResavedFolderWithAddedTokens) {
  expect_identical("xlmr_resaved", TokenizerFlavor::kUnigram);
}

TEST(UnigramGolden, CaseFoldingCharsmap) { expect_identical("xlmr_cf", TokenizerFlavor::kAuto); }

// Random bytes (mostly ill-formed UTF-8): never a crash (the sanitizer build runs this), always
// [start, ids in the vocabulary..., end] within the context length.
TEST(UnigramGolden, RandomBytesNeverBreakIt) {
  auto tokenizer = Tokenizer::load(reference_dir("unigram") + "/models/xlmr");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  expect_random_bytes_never_break(*tokenizer, " <>\t\n");
}

}  // namespace
}  // namespace clipsearch
