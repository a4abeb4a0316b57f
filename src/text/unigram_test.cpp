// The Unigram tokenizer on small hand-written tokenizer.json files: the segmentation, added
// tokens, and an error naming the file and the key for every malformed or unsupported file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clipsearch/tokenizer.h"
#include "text/precompiled_charsmap.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The example of tokenizers' Unigram::encode documentation, with XLM-R's special tokens.
json base_tokenizer_json() {
  json vocab = json::array({{"<s>", 0.0},
                            {"<pad>", 0.0},
                            {"</s>", 0.0},
                            {"<unk>", 0.0},
                            {"a", -1.0},
                            {"b", -1.0},
                            {"c", -1.0},
                            {"d", -1.0},
                            {"cd", 1.0},
                            {"ab", 2.0},
                            {"abc", 5.0},
                            {"abcd", 10.0},
                            {"\u2581", -2.0},
                            {"\u2581a", -0.5},
                            {"<mask>", 0.0}});
  return {{"version", "1.0"},
          {"added_tokens", json::array()},
          {"normalizer",
           {{"type", "Sequence"},
            {"normalizers",
             json::array(
                 {{{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}}})}}},
          {"pre_tokenizer",
           {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"add_prefix_space", true}}},
          {"post_processor",
           {{"type", "TemplateProcessing"},
            {"single", json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                    {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}})},
            {"special_tokens",
             {{"<s>", {{"id", "<s>"}, {"ids", {0}}, {"tokens", {"<s>"}}}},
              {"</s>", {{"id", "</s>"}, {"ids", {2}}, {"tokens", {"</s>"}}}}}}}},
          {"model", {{"type", "Unigram"}, {"unk_id", 3}, {"vocab", vocab}}}};
}

fs::path write_folder(const std::string& name, const json& tokenizer,
                      const std::string& extra_file = "", const std::string& extra = "") {
  fs::path dir = fs::temp_directory_path() / ("clipsearch_unigram_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << tokenizer.dump();
  if (!extra_file.empty()) std::ofstream(dir / extra_file) << extra;
  return dir;
}

std::vector<int32_t> ids_of(Tokenizer& t, const std::string& text) { return t.encode(text).ids; }

TEST(Unigram, ViterbiAndFusedUnknowns) {
  fs::path dir = write_folder("viterbi", base_tokenizer_json());
  auto t = Tokenizer::load(dir.string());
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->flavor(), TokenizerFlavor::kUnigram);
  EXPECT_EQ(t->start_token_id(), 0);
  EXPECT_EQ(t->end_token_id(), 2);
  EXPECT_EQ(t->context_length(), 77);
  // "▁abcdacdxx": ▁ (no ▁a...: ▁abcd is not a token), abcd, a, cd, and "xx" fused into one unk.
  EXPECT_EQ(ids_of(*t, "abcdacdxx"), (std::vector<int32_t>{0, 12, 11, 4, 8, 3, 2}));
  EXPECT_EQ(ids_of(*t, ""), (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(ids_of(*t, "a  a"), (std::vector<int32_t>{0, 13, 13, 2}));  // runs of spaces: one
  // <mask> strips the space on its left (XLMRobertaTokenizerFast's default for a string).
  EXPECT_EQ(ids_of(*t, "a <mask>"), (std::vector<int32_t>{0, 13, 14, 2}));
  EXPECT_EQ(ids_of(*t, "<s>a"), (std::vector<int32_t>{0, 0, 13, 2}));
}

TEST(Unigram, Truncation) {
  fs::path dir = write_folder("truncation", base_tokenizer_json());
  auto t = Tokenizer::load(dir.string(), {TokenizerFlavor::kUnigram, 5});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(ids_of(*t, "a a a a a a"), (std::vector<int32_t>{0, 13, 13, 13, 2}));
}

// open_clip_config.json beside tokenizer.json: open_clip's HFTokenizer cleaning first, as
// text_cfg.tokenizer_kwargs.clean says (default "whitespace"); other kwargs refused by name.
TEST(Unigram, OpenClipFolderCleaning) {
  auto load = [](const std::string& name, const json& text_cfg) {
    fs::path dir = write_folder(name, base_tokenizer_json(), "open_clip_config.json",
                                json{{"model_cfg", {{"text_cfg", text_cfg}}}}.dump());
    return Tokenizer::load(dir.string());
  };
  auto plain = Tokenizer::load(write_folder("oc_plain", base_tokenizer_json()).string());
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  auto ws = load("oc_whitespace", json{{"hf_tokenizer_name", "xlm-roberta-base"}});
  ASSERT_TRUE(ws.ok()) << ws.status().message();
  EXPECT_EQ(ws->flavor(), TokenizerFlavor::kUnigram);
  // HTML entities decoded, no lowercasing: "a&#98;" is "ab" (▁, ab), "A" stays unknown.
  EXPECT_EQ(ids_of(*ws, " a&#98;\t"), (std::vector<int32_t>{0, 12, 9, 2}));
  EXPECT_NE(ids_of(*plain, " a&#98;\t"), (std::vector<int32_t>{0, 12, 9, 2}));
  EXPECT_EQ(ids_of(*ws, "A"), (std::vector<int32_t>{0, 12, 3, 2}));
  auto lower = load("oc_lower", json{{"tokenizer_kwargs", {{"clean", "lower"}}}});
  ASSERT_TRUE(lower.ok()) << lower.status().message();
  EXPECT_EQ(ids_of(*lower, "A"), (std::vector<int32_t>{0, 13, 2}));
  auto canon = load("oc_canon", json{{"tokenizer_kwargs", {{"clean", "canonicalize"}}}});
  ASSERT_TRUE(canon.ok()) << canon.status().message();
  EXPECT_EQ(ids_of(*canon, "A_b!"), (std::vector<int32_t>{0, 13, 12, 5, 2}));
  auto bad = load("oc_bad", json{{"tokenizer_kwargs", {{"clean", "bogus"}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("tokenizer_kwargs.clean is \"bogus\""), std::string::npos)
      << bad.status().message();
  auto strip = load("oc_strip", json{{"tokenizer_kwargs", {{"strip_sep_token", true}}}});
  ASSERT_FALSE(strip.ok());
  EXPECT_EQ(strip.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(strip.status().message().find("tokenizer_kwargs.strip_sep_token"), std::string::npos)
      << strip.status().message();
}

void expect_error(const std::string& name, const json& tokenizer, const std::string& needle,
                  const std::string& extra_file = "", const std::string& extra = "") {
  fs::path dir = write_folder(name, tokenizer, extra_file, extra);
  auto t = Tokenizer::load(dir.string(), {TokenizerFlavor::kUnigram, 0});
  ASSERT_FALSE(t.ok()) << name;
  const std::string& msg = t.status().message();
  EXPECT_NE(msg.find(needle), std::string::npos) << name << ": " << msg;
  const std::string file = extra_file.empty() ? "tokenizer.json" : extra_file;
  EXPECT_NE(msg.find(file), std::string::npos) << name << ": " << msg;
}

json with_charsmap(const std::string& base64) {
  json j = base_tokenizer_json();
  j["normalizer"]["normalizers"].insert(
      j["normalizer"]["normalizers"].begin(),
      json{{"type", "Precompiled"}, {"precompiled_charsmap", base64}});
  return j;
}

TEST(Unigram, MalformedFilesNameTheFileAndKey) {
  json j = base_tokenizer_json();
  j["model"]["vocab"][5][1] = "high";
  expect_error("score", j, "model.vocab[5]");
  j = base_tokenizer_json();
  j["model"]["vocab"][2] = "just a string";
  expect_error("entry", j, "model.vocab[2]");
  j = base_tokenizer_json();
  j["model"]["unk_id"] = 15;
  expect_error("unk_range", j, "model.unk_id");
  j["model"]["unk_id"] = nullptr;
  expect_error("unk_null", j, "model.unk_id");
  j = base_tokenizer_json();
  j["model"]["vocab"] = json::array();
  expect_error("empty_vocab", j, "model.vocab");
  expect_error("bad_base64", with_charsmap("not*base64"), "precompiled_charsmap");
  expect_error("base64_padding", with_charsmap("QUJD="), "precompiled_charsmap");
  // A trie size of 64 bytes with 4 present.
  expect_error("truncated_trie", with_charsmap("QAAAAAAAAAA="), "truncated trie");
  expect_error("short_charsmap", with_charsmap("QQ=="), "precompiled_charsmap");
  // One unit whose child for 'A' (0 ^ 65) lies outside the one-unit trie: fine; a unit that
  // labels itself reachable and points outside is not.
  expect_error("odd_trie_size", with_charsmap("BQAAAAAAAAAA"), "multiple of 4");
  j = base_tokenizer_json();
  j["post_processor"]["special_tokens"]["</s>"]["ids"] = {99};
  expect_error("post_id", j, "post_processor.special_tokens");
  j = base_tokenizer_json();
  j["added_tokens"] = json::array({{{"content", 5}}});
  expect_error("added_content", j, "added_tokens[0]");
  expect_error("special_map", base_tokenizer_json(), "special_tokens_map.json",
               "special_tokens_map.json", "{not json");
  expect_error("special_map_type", base_tokenizer_json(), "mask_token", "special_tokens_map.json",
               R"({"mask_token": 7})");
}

TEST(Unigram, UnsupportedConfigurationsNameTheKey) {
  json j = base_tokenizer_json();
  j["model"]["type"] = "BPE";
  expect_error("bpe", j, "model.type");
  j = base_tokenizer_json();
  j["normalizer"]["normalizers"][0]["type"] = "NFKC";
  expect_error("nfkc", j, "normalizer.normalizers[0].type");
  j = base_tokenizer_json();
  j["normalizer"]["normalizers"][0]["pattern"] = {{"Regex", "\\s+"}};
  expect_error("regex", j, "normalizer.normalizers[0].pattern");
  j = base_tokenizer_json();
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  expect_error("whitespace", j, "pre_tokenizer.type");
  j = base_tokenizer_json();
  j.erase("post_processor");
  expect_error("no_post", j, "post_processor");
  j = base_tokenizer_json();
  j["model"]["byte_fallback"] = true;
  expect_error("byte_fallback", j, "model.byte_fallback");
  j = base_tokenizer_json();
  j["added_tokens"] = json::array({{{"id", 4},
                                    {"content", "a"},
                                    {"single_word", true},
                                    {"lstrip", false},
                                    {"rstrip", false},
                                    {"normalized", false},
                                    {"special", true}}});
  expect_error("single_word", j, "single_word");
}

TEST(Unigram, Base64) {
  EXPECT_EQ(text::base64_decode("QUJD").value(), "ABC");
  EXPECT_EQ(text::base64_decode("QUI=").value(), "AB");
  EXPECT_EQ(text::base64_decode("QQ==").value(), "A");
  EXPECT_EQ(text::base64_decode("").value(), "");
  EXPECT_FALSE(text::base64_decode("QUJ").has_value());
  EXPECT_FALSE(text::base64_decode("Q===").has_value());
  EXPECT_FALSE(text::base64_decode("QR==").has_value());  // non-canonical trailing bits
  EXPECT_FALSE(text::base64_decode("QQ==QUJD").has_value());
}

}  // namespace
}  // namespace clipsearch
