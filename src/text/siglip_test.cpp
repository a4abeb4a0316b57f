// The SigLIP family behind the Tokenizer facade on a hand-written spiece.model: folder
// detection, the pipeline's steps (underline prefix, lowercasing, special tokens and their
// stripping, punctuation removal, the unk-token trick), framing (no start token, </s> once,
// padding), context length rules and every refused setting.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "clipsearch/tokenizer.h"
#include "text/siglip_vocab.h"
#include "text/spiece_model_test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;
using namespace text::spiece_test;

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// A folder with the synthetic spiece.model and the given JSON files (empty: not written).
fs::path make_folder(const std::string& name, const std::string& tokenizer_config,
                     const std::string& config = "", const std::string& special_map = "") {
  fs::path dir = fs::temp_directory_path() / ("clipsearch_siglip_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  write(dir / "spiece.model", siglip_like_model());
  if (!tokenizer_config.empty()) write(dir / "tokenizer_config.json", tokenizer_config);
  if (!config.empty()) write(dir / "config.json", config);
  if (!special_map.empty()) write(dir / "special_tokens_map.json", special_map);
  return dir;
}

const char* kConfig = R"({"tokenizer_class": "SiglipTokenizer", "model_max_length": 64})";

std::vector<int32_t> padded(std::vector<int32_t> ids, size_t length, int32_t pad) {
  ids.resize(length, pad);
  return ids;
}

TEST(Siglip, DetectsSiglipFoldersOnly) {
  EXPECT_TRUE(text::is_siglip_folder(make_folder("class", kConfig).string()));
  EXPECT_TRUE(
      text::is_siglip_folder(make_folder("by_config", "", R"({"model_type": "siglip"})").string()));
  EXPECT_FALSE(
      text::is_siglip_folder(make_folder("gemma", R"({"tokenizer_class": "GemmaTokenizer"})",
                                         R"({"model_type": "siglip"})")
                                 .string()));
  fs::path with_json = make_folder("with_tokenizer_json", "", R"({"model_type": "siglip"})");
  write(with_json / "tokenizer.json", "{}");
  EXPECT_FALSE(text::is_siglip_folder(with_json.string()));  // SigLIP 2 layout: not ours
  EXPECT_FALSE(text::is_siglip_folder(make_folder("no_hint", "").string()));
}

TEST(Siglip, EncodesLikeSiglipTokenizer) {
  auto tok = Tokenizer::load(make_folder("encode", kConfig).string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->flavor(), TokenizerFlavor::kSiglip);
  EXPECT_EQ(tok->context_length(), 64);
  EXPECT_EQ(tok->start_token_id(), -1);
  EXPECT_EQ(tok->end_token_id(), 1);
  EXPECT_EQ(tok->vocab_size(), kSyntheticPieces.size());
  // "▁a", "▁b": lowercased, punctuation dropped, </s> then padding with </s>.
  EXPECT_EQ(tok->encode("A, b!").ids, padded({3, 13, 1}, 64, 1));
  // A special token keeps its case and takes the spaces around it; "▁" before it is dropped.
  EXPECT_EQ(tok->encode("  </s>  b").ids, padded({1, 6, 1}, 64, 1));
  // "</S>" is lowercased before the special tokens are cut out: it is </s>.
  EXPECT_EQ(tok->encode("a </S>").ids, padded({3, 1}, 64, 1));  // no second </s>
  // Unknown characters: one <unk> per run.
  EXPECT_EQ(tok->encode("a xyz").ids, padded({3, 4, 2, 1}, 64, 1));
  EXPECT_EQ(tok->encode("").ids, padded({1}, 64, 1));
}

TEST(Siglip, TruncatesKeepingEndAndPadsWithPadToken) {
  auto folder = make_folder("pad", R"({"tokenizer_class": "SiglipTokenizer",
      "pad_token": "<pad>", "do_lower_case": false, "padding_side": "left"})");
  auto tok = Tokenizer::load(folder.string(), {TokenizerFlavor::kAuto, 5});
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->encode("a").ids, (std::vector<int32_t>{0, 0, 0, 3, 1}));
  EXPECT_EQ(tok->encode("a a a a a a").ids, (std::vector<int32_t>{3, 3, 3, 3, 1}));
  // The ids already end with </s>: it is not added again (ref: _add_eos_if_not_present).
  EXPECT_EQ(tok->encode("a</s>").ids, (std::vector<int32_t>{0, 0, 0, 3, 1}));
  // Cased: "A" is not in the vocabulary.
  EXPECT_EQ(tok->encode("A").ids, (std::vector<int32_t>{0, 0, 4, 2, 1}));
}

TEST(Siglip, ContextLengthRules) {
  auto length = [](const fs::path& dir) {
    auto tok = Tokenizer::load(dir.string());
    EXPECT_TRUE(tok.ok()) << tok.status().message();
    return tok.ok() ? tok->context_length() : 0;
  };
  EXPECT_EQ(length(make_folder(
                "len_text_config", kConfig,
                R"({"model_type": "siglip", "text_config": {"max_position_embeddings": 16}})")),
            16);
  EXPECT_EQ(length(make_folder("len_default",
                               R"({"tokenizer_class": "SiglipTokenizer", "model_max_length": 32})",
                               R"({"model_type": "siglip", "text_config": {}})")),
            64);  // SiglipTextConfig's default, not model_max_length
  EXPECT_EQ(
      length(make_folder("len_max_length",
                         R"({"tokenizer_class": "SiglipTokenizer", "model_max_length": 32})")),
      32);
}

TEST(Siglip, LegacySpecialTokensMap) {
  auto folder = make_folder("legacy", "", R"({"model_type": "siglip"})",
                            R"({"eos_token": "</s>", "unk_token": {"content": "<unk>"},
                                "pad_token": "<pad>", "additional_special_tokens": ["<img>"]})");
  auto tok = Tokenizer::load(folder.string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->encode("a<img>").ids, padded({3, 16, 1}, 64, 0));
}

void expect_refused(const std::string& name, const std::string& config, StatusCode code,
                    const std::string& needle) {
  auto tok = Tokenizer::load(make_folder(name, config).string(), {TokenizerFlavor::kSiglip, 0});
  ASSERT_FALSE(tok.ok()) << needle;
  EXPECT_EQ(tok.status().code(), code) << tok.status().message();
  EXPECT_NE(tok.status().message().find(needle), std::string::npos) << tok.status().message();
}

TEST(Siglip, RefusesWhatIsNotReproduced) {
  expect_refused("kwargs", R"({"sp_model_kwargs": {"enable_sampling": true}})",
                 StatusCode::kUnsupported, "sp_model_kwargs");
  expect_refused("split", R"({"split_special_tokens": true})", StatusCode::kUnsupported,
                 "split_special_tokens");
  expect_refused("trunc", R"({"truncation_side": "left"})", StatusCode::kUnsupported,
                 "truncation_side");
  expect_refused("missing_token", R"({"eos_token": "<eos>"})", StatusCode::kUnsupported,
                 "eos_token \"<eos>\" is not in spiece.model");
  expect_refused("single_word",
                 R"({"added_tokens_decoder": {"1": {"content": "</s>", "single_word": true}}})",
                 StatusCode::kUnsupported, "single_word");
  expect_refused("null_eos", R"({"eos_token": null})", StatusCode::kUnsupported, "eos_token");
  expect_refused("bad_json", "{", StatusCode::kCorruption, "tokenizer_config.json");
  fs::path none = fs::temp_directory_path() / "clipsearch_siglip_none";
  fs::remove_all(none);
  fs::create_directories(none);
  auto tok = Tokenizer::load(none.string(), {TokenizerFlavor::kSiglip, 0});
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.status().message().find("spiece.model"), std::string::npos);
}

}  // namespace
}  // namespace clipsearch
