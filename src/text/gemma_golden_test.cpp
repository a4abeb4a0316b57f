// Differential test: the Gemma tokenizer (SigLIP 2) against the golden ids of transformers'
// GemmaTokenizerFast (tests/reference/gemma_tokenizer_golden.py trains SentencePiece BPE models
// with byte fallback and writes the ids at test time): tok(text, padding="max_length",
// max_length=64, truncation=True), on text.lower() in the SigLIP folders. Every text must give
// identical ids; the first mismatches are printed in full.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "clipsearch/tokenizer.h"
#include "text/golden_test_util.h"

namespace clipsearch {
namespace {

using namespace golden;

void expect_identical(const std::string& model, TokenizerFlavor flavor = TokenizerFlavor::kAuto) {
  const std::string dir = reference_dir("gemma");
  auto tokenizer = Tokenizer::load(dir + "/models/" + model, {flavor, 0});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  EXPECT_EQ(tokenizer->flavor(), TokenizerFlavor::kGemma);
  EXPECT_EQ(tokenizer->context_length(), 64);
  const std::vector<GoldenCase> cases = read_golden(dir + "/golden_" + model + ".jsonl");
  ASSERT_GE(cases.size(), 10000u) << "golden file missing or short: " << model;
  compare_golden(*tokenizer, cases, model);
}

// GemmaTokenizerFast's defaults (<bos> first, no <eos>, padding on the left), no lower-casing:
// a 700-piece model that falls back to bytes for everything but Latin text.
TEST(GemmaGolden, SmallVocabularyDefaults) { expect_identical("small_default"); }

// The 8,000-piece model over many scripts, defaults.
TEST(GemmaGolden, LargeVocabularyDefaults) { expect_identical("large_default"); }

// SigLIP 2 folders: add_bos_token false, add_eos_token true, padding_side right, config.json
// model_type "siglip" (text lower-cased first).
TEST(GemmaGolden, SmallVocabularySiglip2) { expect_identical("small_siglip2"); }

TEST(GemmaGolden, LargeVocabularySiglip2) {
  expect_identical("large_siglip2", TokenizerFlavor::kGemma);
}

// tokenizer.json without tokenizer.model, config.json without text_config (SigLIP's 64).
TEST(GemmaGolden, TokenizerJsonOnly) { expect_identical("large_json_only"); }

// Random bytes (mostly ill-formed UTF-8) and literal special tokens: never a crash (the
// sanitizer build runs this); always 64 ids in the vocabulary, <eos> after the text, padding
// after it.
TEST(GemmaGolden, RandomBytesNeverBreakIt) {
  auto tokenizer = Tokenizer::load(reference_dir("gemma") + "/models/small_siglip2");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  ASSERT_EQ(tokenizer->start_token_id(), -1);
  const int32_t eos = tokenizer->end_token_id();
  ASSERT_GE(eos, 0);
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&] {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return state;
  };
  const std::string extra = " <bos><eos>\t\n\xe2\x96\x81";
  for (int i = 0; i < 3000; ++i) {
    std::string bytes(next() % 200, '\0');
    for (char& c : bytes) c = static_cast<char>(next() % 4 ? next() : extra[next() % extra.size()]);
    Encoding enc = tokenizer->encode(bytes);
    ASSERT_EQ(enc.ids.size(), 64u);
    size_t last = enc.ids.size();
    while (last > 0 && enc.ids[last - 1] == 0) --last;  // <pad> is id 0
    ASSERT_GT(last, 0u);
    EXPECT_EQ(enc.ids[last - 1], eos);
    for (int32_t id : enc.ids) {
      ASSERT_GE(id, 0);
      ASSERT_LT(static_cast<size_t>(id), tokenizer->vocab_size());
    }
  }
}

}  // namespace
}  // namespace clipsearch
