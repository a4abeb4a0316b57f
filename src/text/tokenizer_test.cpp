// Unit tests of the Tokenizer on small synthetic vocabularies (the real one is only used by
// the golden test, which derives it at test time): loading, errors, truncation, options.
#include "clipsearch/tokenizer.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "text/utf8.h"
#include "text/vocabulary.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;

// A tiny CLIP-style vocabulary: the 256 byte symbols, the same with "</w>", merges making
// "ab</w>", "cat</w>", then the two special tokens.
struct TinyModel {
  fs::path dir;
  std::vector<std::string> vocab;
  int32_t id(const std::string& token) const {
    for (size_t i = 0; i < vocab.size(); ++i) {
      if (vocab[i] == token) return static_cast<int32_t>(i);
    }
    return -1;
  }
};

std::vector<std::string> byte_symbols() {
  std::vector<std::string> symbols;
  for (int pass = 0; pass < 2; ++pass) {
    for (int b = 0; b < 256; ++b) {
      char32_t c = text::byte_to_unicode(static_cast<uint8_t>(b));
      if ((c == static_cast<char32_t>(b)) != (pass == 0)) continue;
      std::string s;
      text::utf8_append(c, &s);
      symbols.push_back(s);
    }
  }
  return symbols;
}

const std::vector<std::pair<std::string, std::string>> kMerges = {
    {"a", "b</w>"}, {"c", "a"}, {"ca", "t</w>"}};

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

TinyModel make_hf_model(const std::string& name) {
  TinyModel m;
  m.dir = fs::temp_directory_path() / ("clipsearch_tok_" + name);
  fs::remove_all(m.dir);
  fs::create_directories(m.dir);
  m.vocab = byte_symbols();
  for (const auto& s : byte_symbols()) m.vocab.push_back(s + "</w>");
  std::string merges = "#version: 0.2\n";
  for (const auto& [l, r] : kMerges) {
    m.vocab.push_back(l + r);
    merges += l + " " + r + "\n";
  }
  m.vocab.push_back("<|startoftext|>");
  m.vocab.push_back("<|endoftext|>");
  nlohmann::json j;
  for (size_t i = 0; i < m.vocab.size(); ++i) j[m.vocab[i]] = i;
  write(m.dir / "vocab.json", j.dump());
  write(m.dir / "merges.txt", merges);
  return m;
}

TEST(Tokenizer, EncodesWithStartAndEndTokens) {
  TinyModel m = make_hf_model("basic");
  auto tok = Tokenizer::load(m.dir.string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->flavor(), TokenizerFlavor::kTransformers);
  EXPECT_EQ(tok->context_length(), 77);
  EXPECT_EQ(tok->start_token_id(), m.id("<|startoftext|>"));
  EXPECT_EQ(tok->end_token_id(), m.id("<|endoftext|>"));
  Encoding e = tok->encode("AB  Cat!");
  EXPECT_TRUE(e.warning.empty());
  EXPECT_EQ(e.ids, (std::vector<int32_t>{m.id("<|startoftext|>"), m.id("ab</w>"), m.id("cat</w>"),
                                         m.id("!</w>"), m.id("<|endoftext|>")}));
  EXPECT_EQ(tok->encode("").ids,
            (std::vector<int32_t>{m.id("<|startoftext|>"), m.id("<|endoftext|>")}));
  EXPECT_EQ(tok->encode("x<|endoftext|>").ids,
            (std::vector<int32_t>{m.id("<|startoftext|>"), m.id("x</w>"), m.id("<|endoftext|>"),
                                  m.id("<|endoftext|>")}));
}

TEST(Tokenizer, TruncatesKeepingEndTokenLast) {
  TinyModel m = make_hf_model("truncate");
  auto tok = Tokenizer::load(m.dir.string(), {TokenizerFlavor::kAuto, 5});
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  Encoding e = tok->encode("ab cat ab cat ab cat");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{m.id("<|startoftext|>"), m.id("ab</w>"), m.id("cat</w>"),
                                         m.id("ab</w>"), m.id("<|endoftext|>")}));
  EXPECT_EQ(tok->encode("ab cat ab").ids.size(), 5u);  // exactly full: nothing dropped
  EXPECT_EQ(tok->encode("ab cat ab").ids[3], m.id("ab</w>"));
}

TEST(Tokenizer, ContextLengthFromConfig) {
  TinyModel m = make_hf_model("config");
  write(m.dir / "config.json", R"({"text_config": {"max_position_embeddings": 4}})");
  auto tok = Tokenizer::load(m.dir.string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->context_length(), 4);
  EXPECT_EQ(tok->encode("a b c d e f").ids.size(), 4u);
  write(m.dir / "config.json", R"({"text_config": {"max_position_embeddings": 1}})");
  auto bad = Tokenizer::load(m.dir.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().message();
  EXPECT_NE(bad.status().message().find("config.json"), std::string::npos);
  auto too_small = Tokenizer::load(m.dir.string(), {TokenizerFlavor::kAuto, 1});
  ASSERT_FALSE(too_small.ok());
  EXPECT_EQ(too_small.status().code(), StatusCode::kInvalidArgument);
}

TEST(Tokenizer, SpecialTokensAreLookedUp) {
  TinyModel m = make_hf_model("specials");
  // Name the start token after another vocabulary entry: its id must follow.
  write(m.dir / "special_tokens_map.json",
        R"({"bos_token": {"content": "ab</w>"}, "eos_token": "cat</w>"})");
  auto tok = Tokenizer::load(m.dir.string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->start_token_id(), m.id("ab</w>"));
  EXPECT_EQ(tok->end_token_id(), m.id("cat</w>"));
  write(m.dir / "special_tokens_map.json", R"({"bos_token": "<s>"})");
  auto missing = Tokenizer::load(m.dir.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kCorruption);
  EXPECT_NE(missing.status().message().find("\"<s>\" is not in the vocabulary"), std::string::npos)
      << missing.status().message();
}

TEST(Tokenizer, InvalidUtf8IsReplacedWithAWarning) {
  TinyModel m = make_hf_model("utf8");
  auto tok = Tokenizer::load(m.dir.string());
  ASSERT_TRUE(tok.ok());
  Encoding e = tok->encode("ab\xff\xc3");
  EXPECT_EQ(e.invalid_utf8, 2u);
  EXPECT_NE(e.warning.find("U+FFFD"), std::string::npos);
  Encoding same = tok->encode("ab\xef\xbf\xbd\xef\xbf\xbd");  // the same text, valid
  EXPECT_EQ(e.ids, same.ids);
  EXPECT_TRUE(same.warning.empty());
}

TEST(Tokenizer, BatchEqualsSingle) {
  TinyModel m = make_hf_model("batch");
  auto tok = Tokenizer::load(m.dir.string());
  ASSERT_TRUE(tok.ok());
  std::vector<std::string> texts = {"ab", "", "cat cat", "\xff"};
  std::vector<Encoding> batch = tok->encode_batch(texts);
  ASSERT_EQ(batch.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(batch[i].ids, tok->encode(texts[i]).ids);
}

TEST(Tokenizer, ErrorsNameTheFile) {
  TinyModel m = make_hf_model("errors");
  auto expect_error = [&](const std::string& needle, StatusCode code = StatusCode::kCorruption) {
    auto tok = Tokenizer::load(m.dir.string());
    ASSERT_FALSE(tok.ok());
    EXPECT_EQ(tok.status().code(), code) << tok.status().message();
    EXPECT_NE(tok.status().message().find(needle), std::string::npos) << tok.status().message();
  };
  write(m.dir / "merges.txt", "#version: 0.2\na b</w>\nq zz\n");
  expect_error("merges.txt: line 3");
  fs::remove(m.dir / "merges.txt");
  expect_error("merges.txt: missing", StatusCode::kNotFound);  // the message names the file
  write(m.dir / "merges.txt", "#version: 0.2\n");
  write(m.dir / "vocab.json", "{\"a\": ");
  expect_error("vocab.json: expected a non-negative integer id at byte 6");
  write(m.dir / "vocab.json", R"({"a": 1} x)");
  expect_error("vocab.json: unexpected data after the object");
  write(m.dir / "vocab.json", R"({"\u00e9\ud83d\ude00": 1, "b": -1})");
  expect_error("vocab.json: expected a non-negative integer id at byte 31");
  write(m.dir / "vocab.json", R"({"a": 0})");
  write(m.dir / "merges.txt", "");
  expect_error("vocab.json: the byte-level symbol of byte 0");
  fs::remove_all(m.dir);
  expect_error("no such model folder", StatusCode::kNotFound);
  fs::create_directories(m.dir);
  expect_error("no tokenizer vocabulary", StatusCode::kNotFound);
}

fs::path write_gz(const fs::path& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
  return path;
}

TEST(Tokenizer, OpenClipBpeFile) {
  fs::path dir = fs::temp_directory_path() / "clipsearch_tok_gz";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string text = "\"bpe_simple_vocab_16e6.txt#version: 0.2";
  for (const auto& [l, r] : kMerges) text += "\n" + l + " " + r;
  write_gz(dir / "bpe_simple_vocab_16e6.txt.gz", text);
  auto tok = Tokenizer::load(dir.string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->flavor(), TokenizerFlavor::kOpenClip);
  EXPECT_EQ(tok->vocab_size(), 512u + kMerges.size() + 2);
  EXPECT_EQ(tok->start_token_id(), 512 + 3);
  EXPECT_EQ(tok->end_token_id(), 512 + 4);
  // open_clip cleaning: HTML entities, whitespace, lowercase; its own special token names.
  Encoding e = tok->encode("  &lt;end_of_text&gt;\tCAT&amp;amp; ");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{515, 516, 514, 256 + ('&' - '!'), 516}))
      << "ids: " << ::testing::PrintToString(e.ids);
  // The .gz file may be named directly; a file that is not gzip is an error that names it.
  EXPECT_TRUE(Tokenizer::load((dir / "bpe_simple_vocab_16e6.txt.gz").string()).ok());
  std::ofstream(dir / "bpe_simple_vocab_16e6.txt.gz") << "not gzip";
  auto bad = Tokenizer::load(dir.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption) << bad.status().message();
  EXPECT_NE(bad.status().message().find("bpe_simple_vocab_16e6.txt.gz"), std::string::npos);
}

}  // namespace
}  // namespace clipsearch
