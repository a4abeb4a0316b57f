// The Gemma tokenizer on small hand-written tokenizer.json files: framing (bos/eos/padding side),
// byte fallback, tokenizers' merge order, special tokens, the flavour kAuto picks, lower-casing
// in a SigLIP folder, the load time of a Gemma-sized file, and an error naming the file and the
// key for every malformed or unsupported file.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clipsearch/tokenizer.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Ids: 0 <pad>, 1 <eos>, 2 <bos>, 3 <unk>, 4..259 <0x00>..<0xFF>, then the pieces below.
json base_tokenizer_json() {
  json vocab = {{"<pad>", 0}, {"<eos>", 1}, {"<bos>", 2}, {"<unk>", 3}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    vocab[name] = 4 + b;
  }
  const char* pieces[] = {"a", "b", "c", "\u2581", "ab", "bc", "abc", "\u2581a", "A"};
  for (int i = 0; i < 9; ++i) vocab[pieces[i]] = 260 + i;
  auto special = [](int id, const char* content) {
    return json{{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", false},
                {"rstrip", false}, {"normalized", false}, {"special", true}};
  };
  return {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", json::array({special(0, "<pad>"), special(1, "<eos>"), special(2, "<bos>"),
                                    special(3, "<unk>")})},
      {"normalizer", {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}},
      {"pre_tokenizer",
       {{"type", "Split"},
        {"pattern", {{"String", " "}}},
        {"behavior", "MergedWithPrevious"},
        {"invert", false}}},
      {"post_processor", {{"type", "TemplateProcessing"}}},
      {"decoder", nullptr},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", "<unk>"},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", true},
        {"byte_fallback", true},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", json::array({json::array({"a", "b"}), json::array({"b", "c"}),
                                json::array({"ab", "c"}), json::array({"\u2581", "a"})})}}}};
}

fs::path write_folder(const std::string& name, const json& tokenizer,
                      const std::vector<std::pair<std::string, std::string>>& files = {}) {
  fs::path dir = fs::temp_directory_path() / ("clipsearch_gemma_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << tokenizer.dump();
  for (const auto& [file, text] : files) std::ofstream(dir / file) << text;
  return dir;
}

std::vector<int32_t> encode(Tokenizer& t, const std::string& text) { return t.encode(text).ids; }

std::vector<int32_t> padded(std::vector<int32_t> ids, size_t length, bool left) {
  const std::vector<int32_t> pad(length - ids.size(), 0);
  ids.insert(left ? ids.begin() : ids.end(), pad.begin(), pad.end());
  return ids;
}

TEST(Gemma, DefaultsAddBosAndPadOnTheLeft) {
  auto t = Tokenizer::load(write_folder("defaults", base_tokenizer_json()).string());
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->flavor(), TokenizerFlavor::kGemma);
  EXPECT_EQ(t->context_length(), 64);
  EXPECT_EQ(t->start_token_id(), 2);
  EXPECT_EQ(t->end_token_id(), -1);
  EXPECT_EQ(t->vocab_size(), 269u);
  // "abc" merges through "ab" (rank 0) then "ab"+"c"; " a" becomes "▁a".
  EXPECT_EQ(encode(*t, "abc a"), padded({2, 266, 267}, 64, true));
  // Not lower-cased outside a SigLIP folder: "A" is its own piece.
  EXPECT_EQ(encode(*t, "A"), padded({2, 268}, 64, true));
}

TEST(Gemma, ByteFallbackAndSpecialTokens) {
  auto t = Tokenizer::load(write_folder("bytes", base_tokenizer_json()).string(),
                           {TokenizerFlavor::kGemma, 8});
  ASSERT_TRUE(t.ok()) << t.status().message();
  // é is C3 A9: <0xC3> <0xA9>; <eos> in the text is the special token; <eo is not.
  EXPECT_EQ(encode(*t, "\xc3\xa9<eos>"), padded({2, 4 + 0xC3, 4 + 0xA9, 1}, 8, true));
  EXPECT_EQ(encode(*t, "<eo"), padded({2, 4 + '<', 4 + 'e', 4 + 'o'}, 8, true));
  // Truncation keeps <bos> and the first ids.
  EXPECT_EQ(encode(*t, "aaaaaaaaaaaa"),
            (std::vector<int32_t>{2, 260, 260, 260, 260, 260, 260, 260}));
}

// tokenizers' queue takes a newly formed pair of lower rank before the remaining occurrences of
// the current pair (ref: Word::merge_all). With merges (bc b) then (b c), "bcbc" is "bcb" "c";
// open_clip's loop (bpe.cpp: every occurrence of the best pair first) would give "bc" "bc".
TEST(Gemma, MergesInTokenizersOrder) {
  json tj = base_tokenizer_json();
  tj["model"]["vocab"]["bcb"] = 269;
  tj["model"]["merges"].insert(tj["model"]["merges"].begin(), json::array({"bc", "b"}));
  auto t = Tokenizer::load(write_folder("merges", tj).string(), {TokenizerFlavor::kGemma, 4});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(encode(*t, "bcbc"), padded({2, 269, 262}, 4, true));
  EXPECT_EQ(encode(*t, "abc"), padded({2, 266}, 4, true));
  EXPECT_EQ(encode(*t, "bca"), padded({2, 265, 260}, 4, true));
}

TEST(Gemma, Siglip2FolderLowercasesAndPutsEosLast) {
  const std::string config = R"({"add_bos_token": false, "add_eos_token": true,
                                 "padding_side": "right", "tokenizer_class": "GemmaTokenizer"})";
  auto t = Tokenizer::load(write_folder("siglip2", base_tokenizer_json(),
                                        {{"tokenizer_config.json", config},
                                         {"config.json", R"({"model_type": "siglip"})"}})
                               .string());
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->context_length(), 64);
  EXPECT_EQ(t->start_token_id(), -1);
  EXPECT_EQ(t->end_token_id(), 1);
  // "A" is lower-cased to "a" (Python's str.lower()); "<EOS>" to the special token "<eos>".
  EXPECT_EQ(encode(*t, "A<EOS>"), padded({260, 1, 1}, 64, false));
}

TEST(Gemma, ContextLengthFromTheFolder) {
  const std::string config = R"({"model_type": "siglip", "text_config":
                                  {"max_position_embeddings": 16}})";
  auto t = Tokenizer::load(
      write_folder("context", base_tokenizer_json(), {{"config.json", config}}).string());
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->context_length(), 16);
  auto t2 = Tokenizer::load(write_folder("max_length", base_tokenizer_json(),
                                         {{"tokenizer_config.json", R"({"model_max_length": 32})"}})
                                .string());
  ASSERT_TRUE(t2.ok()) << t2.status().message();
  EXPECT_EQ(t2->context_length(), 32);
}

// "t<i>" (GCC 12 warns, wrongly, about "t" + std::to_string(i) under -Wrestrict).
std::string token_name(int i) {
  std::string s = std::to_string(i);
  s.insert(s.begin(), 't');
  return s;
}

// A file of Gemma's size: 256,000 tokens and 500,000 merges. Prints the load time (a figure,
// not a timed test: bench/RESULTS.md keeps figures).
TEST(Gemma, LoadsAGemmaSizedFile) {
  json tj = base_tokenizer_json();
  json& vocab = tj["model"]["vocab"];
  json& merges = tj["model"]["merges"];
  // Tokens "t<i>" and pieces "t<i>t<j>" made of two of them, as many as Gemma has.
  const int n_base = 1000;
  for (int i = 0; i < n_base; ++i) vocab[token_name(i)] = static_cast<int>(vocab.size());
  for (int k = 0; vocab.size() < 256000; ++k) {
    const std::string a = token_name(k % n_base), b = token_name(k / n_base);
    vocab[a + b] = static_cast<int>(vocab.size());
    merges.push_back(json::array({a, b}));
  }
  // The merge list once more (a repeated pair replaces the first: the same work per entry).
  for (size_t k = 0; merges.size() < 500000; ++k) merges.push_back(json(merges[k]));
  const fs::path dir = write_folder("large", tj);
  const auto start = std::chrono::steady_clock::now();
  auto t = Tokenizer::load(dir.string());
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(t.ok()) << t.status().message();
  std::cout << "tokenizer.json of " << fs::file_size(dir / "tokenizer.json") / 1000000 << " MB, "
            << vocab.size() << " tokens, " << merges.size() << " merges: loaded in " << ms
            << " ms\n";
  EXPECT_EQ(t->vocab_size(), vocab.size());
  EXPECT_EQ(encode(*t, "abc")[63], 266);
}

// Each malformed or unsupported file: an error naming the file and what is wrong.
void expect_error(const std::string& name, const json& tj, const std::string& what,
                  const std::vector<std::pair<std::string, std::string>>& files = {}) {
  const fs::path dir = write_folder(name, tj, files);
  auto t = Tokenizer::load(dir.string(), {TokenizerFlavor::kGemma, 0});
  ASSERT_FALSE(t.ok()) << name;
  const std::string& msg = t.status().message();
  EXPECT_NE(msg.find(dir.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find(what), std::string::npos) << name << ": " << msg;
}

TEST(Gemma, MalformedFilesAreErrorsNamingFileAndKey) {
  {
    const fs::path dir = write_folder("bad_json", base_tokenizer_json());
    std::ofstream(dir / "tokenizer.json") << base_tokenizer_json().dump().substr(0, 500);
    auto t = Tokenizer::load(dir.string());
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.status().message().find("tokenizer.json"), std::string::npos)
        << t.status().message();
  }
  json tj = base_tokenizer_json();
  tj["model"].erase("merges");
  expect_error("no_merges", tj, "model.merges: missing");
  tj = base_tokenizer_json();
  tj["model"]["merges"].push_back(json::array({"a", "zz"}));
  expect_error("merge_oov", tj, "\"zz\" is not in the vocabulary");
  tj = base_tokenizer_json();
  tj["model"]["merges"].push_back("a b c");
  expect_error("merge_legacy_bad", tj, "model.merges");
  tj = base_tokenizer_json();
  tj["model"]["vocab"]["x"] = 100000;
  expect_error("id_out_of_range", tj, "model.vocab: id 100000");
  tj = base_tokenizer_json();
  tj["model"]["vocab"]["x"] = -1;
  expect_error("id_negative", tj, "model.vocab");
  tj = base_tokenizer_json();
  tj["model"]["unk_token"] = "<nope>";
  expect_error("unk_oov", tj, "model.unk_token");
  tj = base_tokenizer_json();
  tj["model"]["dropout"] = 0.1;
  expect_error("dropout", tj, "model.dropout");
  tj = base_tokenizer_json();
  tj["model"]["continuing_subword_prefix"] = "##";
  expect_error("prefix", tj, "model.continuing_subword_prefix");
  tj = base_tokenizer_json();
  tj["normalizer"] = {{"type", "NFKC"}};
  expect_error("normalizer", tj, "normalizer.type");
  tj = base_tokenizer_json();
  tj["normalizer"]["pattern"] = {{"Regex", " +"}};
  expect_error("normalizer_regex", tj, "normalizer.pattern");
  tj = base_tokenizer_json();
  tj["pre_tokenizer"] = {{"type", "Metaspace"}};
  expect_error("pre_tokenizer", tj, "pre_tokenizer.type");
  tj = base_tokenizer_json();
  tj["pre_tokenizer"]["invert"] = true;
  expect_error("pre_tokenizer_invert", tj, "pre_tokenizer.invert");
  tj = base_tokenizer_json();
  tj["added_tokens"].push_back({{"content", "<x>"}, {"single_word", true}});
  expect_error("single_word", tj, "single_word");
  tj = base_tokenizer_json();
  tj["truncation"] = {{"direction", "Left"}};
  expect_error("truncation_left", tj, "truncation");
  tj = base_tokenizer_json();
  tj["something_new"] = 1;
  expect_error("unknown_key", tj, "something_new");
  expect_error("class", base_tokenizer_json(), "tokenizer_class",
               {{"tokenizer_config.json", R"({"tokenizer_class": "LlamaTokenizer"})"}});
  expect_error("padding_side", base_tokenizer_json(), "padding_side",
               {{"tokenizer_config.json", R"({"padding_side": "middle"})"}});
  expect_error("pad_null", base_tokenizer_json(), "pad_token",
               {{"tokenizer_config.json", R"({"pad_token": null})"}});
  expect_error("config_json", base_tokenizer_json(), "tokenizer_config.json",
               {{"tokenizer_config.json", "{"}});
  tj = base_tokenizer_json();
  tj["model"]["type"] = "WordPiece";
  expect_error("model_type", tj, "model.type");
}

// kAuto: a BPE tokenizer.json beside vocab.json is CLIP's layout, not Gemma's.
TEST(Gemma, VocabJsonFolderStaysClip) {
  const fs::path dir = write_folder("clip_layout", base_tokenizer_json(),
                                    {{"vocab.json", "{}"}, {"merges.txt", "#version: 0.2\n"}});
  auto t = Tokenizer::load(dir.string());
  EXPECT_TRUE(!t.ok() || t->flavor() != TokenizerFlavor::kGemma);
}

}  // namespace
}  // namespace clipsearch
