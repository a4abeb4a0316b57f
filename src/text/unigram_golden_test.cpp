// Differential test: the Unigram tokenizer against the golden ids of transformers'
// XLMRobertaTokenizerFast (tests/reference/unigram_golden.py trains the SentencePiece models and
// writes the ids at test time), and in open_clip model folders against open_clip's HFTokenizer
// (its text cleaning, then the same tokenizer). Every text must give identical ids; the first
// mismatches are printed in full.
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

void expect_identical(const std::string& model, TokenizerFlavor flavor, int context_length = 77) {
  const std::string dir = reference_dir("unigram");
  auto tokenizer = Tokenizer::load(dir + "/models/" + model, {flavor, 0});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  EXPECT_EQ(tokenizer->flavor(), TokenizerFlavor::kUnigram);
  EXPECT_EQ(tokenizer->context_length(), context_length);  // 77: open_clip's default
  const std::vector<GoldenCase> cases = read_golden(dir + "/golden_" + model + ".jsonl");
  ASSERT_GE(cases.size(), 10000u) << "golden file missing or short: " << model;
  compare_golden(*tokenizer, cases, model);
}

TEST(UnigramGolden, ConvertedFolder) { expect_identical("xlmr", TokenizerFlavor::kAuto); }

TEST(UnigramGolden, ResavedFolderWithAddedTokens) {
  expect_identical("xlmr_resaved", TokenizerFlavor::kUnigram);
}

TEST(UnigramGolden, CaseFoldingCharsmap) { expect_identical("xlmr_cf", TokenizerFlavor::kAuto); }

// open_clip_config.json beside tokenizer.json: open_clip's HFTokenizer, its "whitespace"
// cleaning (ftfy, HTML entities, whitespace runs, no lowercasing) before the tokenizer.
TEST(UnigramGolden, OpenClipFolderCleansLikeHFTokenizer) {
  expect_identical("xlmr_open_clip", TokenizerFlavor::kAuto);
}

// text_cfg.tokenizer_kwargs {"clean": "lower"} and text_cfg.context_length 32.
TEST(UnigramGolden, OpenClipFolderLowerCleaning) {
  expect_identical("xlmr_open_clip_lower", TokenizerFlavor::kUnigram, 32);
}

// text_cfg.tokenizer_kwargs {"clean": "canonicalize"} (ASCII punctuation removed, lowercase).
TEST(UnigramGolden, OpenClipFolderCanonicalizeCleaning) {
  expect_identical("xlmr_open_clip_canon", TokenizerFlavor::kAuto);
}

// Random bytes (mostly ill-formed UTF-8): never a crash (the sanitizer build runs this), always
// [start, ids in the vocabulary..., end] within the context length.
TEST(UnigramGolden, RandomBytesNeverBreakIt) {
  auto tokenizer = Tokenizer::load(reference_dir("unigram") + "/models/xlmr");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  expect_random_bytes_never_break(*tokenizer, " <>\t\n");
}

}  // namespace
}  // namespace clipsearch
