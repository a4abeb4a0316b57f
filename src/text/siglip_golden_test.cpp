// Differential test: the SigLIP tokenizer against the golden ids of transformers 4.37.2's
// SiglipTokenizer (tests/reference/siglip_tokenizer_golden.py trains the SentencePiece models,
// saves the folders and writes the ids at test time, padding="max_length" included). Every text
// must give identical ids; the first mismatches are printed in full.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "clipsearch/tokenizer.h"
#include "core/read_file.h"
#include "text/golden_test_util.h"
#include "text/spiece_model_test_util.h"

namespace clipsearch {
namespace {

using namespace golden;

void expect_identical(const std::string& model, TokenizerFlavor flavor, int context_length) {
  const std::string dir = reference_dir("siglip_tokenizer");
  auto tokenizer = Tokenizer::load(dir + "/models/" + model, {flavor, 0});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  EXPECT_EQ(tokenizer->flavor(), TokenizerFlavor::kSiglip);
  EXPECT_EQ(tokenizer->context_length(), context_length);
  EXPECT_EQ(tokenizer->start_token_id(), -1);
  const std::vector<GoldenCase> cases = read_golden(dir + "/golden_" + model + ".jsonl");
  ASSERT_GE(cases.size(), 10000u) << "golden file missing or short: " << model;
  const Comparison r = compare_golden(*tokenizer, cases, model);
  EXPECT_GT(r.at_context, 0u);
}

// Like google/siglip-*: tokenizer_class SiglipTokenizer, config.json model_type "siglip" without
// max_position_embeddings (SiglipTextConfig's default 64).
TEST(SiglipGolden, SiglipFolder) { expect_identical("siglip", TokenizerFlavor::kAuto, 64); }

// No tokenizer_class and no added_tokens_decoder: found by config.json, special tokens from
// special_tokens_map.json, do_lower_case false.
TEST(SiglipGolden, LegacyFolderCased) {
  expect_identical("siglip_legacy", TokenizerFlavor::kAuto, 64);
}

// nmt_nfkc_cf, byte fallback, user-defined symbols, remove_extra_whitespaces off, pad <pad>
// (not </s>), an additional special token, context 32 from config.json.
TEST(SiglipGolden, MultiScriptByteFallbackModel) {
  expect_identical("siglip_multi", TokenizerFlavor::kSiglip, 32);
}

// Random bytes (mostly ill-formed UTF-8): never a crash (the sanitizer build runs this), ids in
// the vocabulary, always the context length, </s> present.
TEST(SiglipGolden, RandomBytesNeverBreakIt) {
  for (const char* model : {"siglip", "siglip_multi"}) {
    auto tokenizer = Tokenizer::load(reference_dir("siglip_tokenizer") + "/models/" + model);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    auto next = [&] {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      return state;
    };
    const std::string extra = " <>/sunk\t\n\xe2\x96\x81";
    for (int i = 0; i < 3000; ++i) {
      std::string bytes(next() % 200, '\0');
      for (char& c : bytes) {
        c = static_cast<char>(next() % 3 ? extra[next() % extra.size()] : next());
      }
      Encoding enc = tokenizer->encode(bytes);
      ASSERT_EQ(enc.ids.size(), static_cast<size_t>(tokenizer->context_length()));
      bool has_end = false;
      for (int32_t id : enc.ids) {
        ASSERT_GE(id, 0);
        ASSERT_LT(static_cast<size_t>(id), tokenizer->vocab_size());
        has_end = has_end || id == tokenizer->end_token_id();
      }
      EXPECT_TRUE(has_end);
    }
  }
}

// Truncations and bit flips of a trained spiece.model (its nmt_nfkc charsmap included): an error
// or a working model, never a crash or an out-of-bounds read (the sanitizer build runs this).
TEST(SiglipGolden, DamagedTrainedModelNeverCrashes) {
  Result<std::string> bytes =
      read_file(reference_dir("siglip_tokenizer") + "/models/siglip/spiece.model");
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  text::spiece_test::fuzz_model(*bytes, 1000);
}

}  // namespace
}  // namespace clipsearch
