// Unit tests of the WordPiece flavour on small synthetic vocabularies: loading, errors, the
// WordPiece rules, special tokens, truncation. wordpiece_golden_test compares with the reference.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "clipsearch/tokenizer.h"
#include "text/bert_normalizer.h"
#include "text/utf8.h"
#include "text/wordpiece_vocab.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kVocab = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a",  "b", "##a", "##b", "ab",
    "[",     "]",     "cls",   "mask",  "中",     "国", "e", "##é", "E",   "."};

int32_t id_of(const std::string& token) {
  for (size_t i = 0; i < kVocab.size(); ++i) {
    if (kVocab[i] == token) return static_cast<int32_t>(i);
  }
  return -1;
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::string join_lines(const std::vector<std::string>& lines, const std::string& eol = "\n") {
  std::string out;
  for (const std::string& l : lines) out += l + eol;
  return out;
}

fs::path make_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("clipsearch_wp_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

fs::path make_model(const std::string& name, const std::string& eol = "\n") {
  fs::path dir = make_dir(name);
  write(dir / "vocab.txt", join_lines(kVocab, eol));
  return dir;
}

std::vector<int32_t> ids(Tokenizer& tok, const std::string& text) { return tok.encode(text).ids; }

std::vector<int32_t> wrap(std::vector<std::string> tokens) {
  std::vector<int32_t> out = {id_of("[CLS]")};
  for (const std::string& t : tokens) out.push_back(id_of(t));
  out.push_back(id_of("[SEP]"));
  return out;
}

TEST(WordPiece, AutoDetectsAVocabTxtFolder) {
  auto tok = Tokenizer::load(make_model("auto").string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->flavor(), TokenizerFlavor::kWordPiece);
  EXPECT_EQ(tok->start_token_id(), id_of("[CLS]"));
  EXPECT_EQ(tok->end_token_id(), id_of("[SEP]"));
  EXPECT_EQ(tok->vocab_size(), kVocab.size());
  EXPECT_EQ(tok->context_length(), 77);
}

TEST(WordPiece, GreedyLongestMatchAndUnknownWords) {
  auto tok = Tokenizer::load(make_model("greedy").string());
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(ids(*tok, "abab"), wrap({"ab", "##a", "##b"}));
  EXPECT_EQ(ids(*tok, "ba"), wrap({"b", "##a"}));
  // A rest without an entry makes the whole word [UNK], not just the rest.
  EXPECT_EQ(ids(*tok, "abx a"), wrap({"[UNK]", "a"}));
  EXPECT_EQ(ids(*tok, "AB."), wrap({"ab", "."}));          // lowercased; punctuation isolated
  EXPECT_EQ(ids(*tok, "中国a"), wrap({"中", "国", "a"}));  // ideographs spaced out
  EXPECT_EQ(ids(*tok, "É"), wrap({"e"}));                  // accents stripped (lowercase on)
  EXPECT_EQ(ids(*tok, "eé"), wrap({"[UNK]"}));             // "##é" is never reached: NFD first
  EXPECT_EQ(ids(*tok, ""), wrap({}));
  EXPECT_EQ(ids(*tok, " \t\n"), wrap({}));
}

TEST(WordPiece, MaxInputCharsPerWord) {
  auto tok = Tokenizer::load(make_model("maxchars").string(), {TokenizerFlavor::kAuto, 512});
  ASSERT_TRUE(tok.ok());
  std::vector<std::string> hundred(1, "a");
  hundred.resize(100, "##a");
  EXPECT_EQ(ids(*tok, std::string(100, 'a')), wrap(hundred));    // 100 code points: WordPiece
  EXPECT_EQ(ids(*tok, std::string(101, 'a')), wrap({"[UNK]"}));  // 101: [UNK] at once
  // Counted after normalization: 101 code points of which clean_text drops one.
  EXPECT_EQ(ids(*tok, std::string(50, 'a') + "\x01" + std::string(50, 'a')), wrap(hundred));
}

TEST(WordPiece, SpecialTokensInTheText) {
  auto tok = Tokenizer::load(make_model("specials").string());
  ASSERT_TRUE(tok.ok());
  // Matched in the raw text, anywhere, case-sensitively; lowercase forms are ordinary text.
  EXPECT_EQ(ids(*tok, "a[CLS]b"), wrap({"a", "[CLS]", "b"}));
  EXPECT_EQ(ids(*tok, "[cls]"), wrap({"[", "cls", "]"}));
  EXPECT_EQ(ids(*tok, "[MASK] a"), wrap({"[MASK]", "a"}));
  EXPECT_EQ(ids(*tok, "[CLS[CLS]]"), wrap({"[", "cls", "[CLS]", "]"}));
}

TEST(WordPiece, CaseKeptWithoutLowercase) {
  fs::path dir = make_model("cased");
  write(dir / "tokenizer_config.json", R"({"do_lower_case": false, "model_max_length": 40})");
  auto tok = Tokenizer::load(dir.string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(ids(*tok, "E e É"), wrap({"E", "e", "[UNK]"}));  // no lowercase, no accent strip
  EXPECT_EQ(tok->context_length(), 40);  // tokenizer_config.json's model_max_length
}

TEST(WordPiece, NormalizedAddedTokenMatchesAfterLowercasing) {
  fs::path dir = make_model("normalized");
  write(dir / "special_tokens_map.json",
        R"({"mask_token": {"content": "mask", "normalized": true, "lstrip": false}})");
  auto tok = Tokenizer::load(dir.string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(ids(*tok, "aMASKb"), wrap({"a", "mask", "b"}));  // cut out of "amaskb"
}

TEST(WordPiece, ChineseClipConfigGivesContextLengthAndFlavor) {
  fs::path dir = make_model("cnclip");
  write(dir / "config.json", R"({"model_type": "chinese_clip",
      "text_config": {"max_position_embeddings": 512}})");
  auto tok = Tokenizer::load(dir.string());
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(tok->flavor(), TokenizerFlavor::kWordPiece);
  EXPECT_EQ(tok->context_length(), 512);
  auto small = Tokenizer::load(dir.string(), {TokenizerFlavor::kWordPiece, 5});
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(ids(*small, "a b a b a"), wrap({"a", "b", "a"}));  // truncated, [SEP] kept last
}

TEST(WordPiece, CrLfAndCrLineEndings) {
  for (const char* eol : {"\r\n", "\r"}) {
    auto tok = Tokenizer::load(make_model("crlf").string() + "/../" +
                               make_model(eol[1] ? "crlf2" : "cr", eol).filename().string());
    ASSERT_TRUE(tok.ok()) << tok.status().message();
    EXPECT_EQ(ids(*tok, "ab ba"), wrap({"ab", "b", "##a"}));
  }
}

TEST(WordPiece, VocabTxtLinesAsPythonReadsThem) {
  auto v = text::parse_vocab_txt("a\n\nb \r\nc\rd", "vocab.txt");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->size, 5u);
  EXPECT_EQ(v->token_to_id.find(""), 1);
  EXPECT_EQ(v->token_to_id.find("b "), 2);  // trailing spaces are part of the token
  EXPECT_EQ(v->token_to_id.find("d"), 4);   // the last line needs no newline
  auto dup = text::parse_vocab_txt("a\nb\na\n", "vocab.txt");
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->token_to_id.find("a"), 2);  // the last line wins, as in a Python dict
}

void expect_error(const fs::path& dir, const std::vector<std::string>& fragments) {
  auto tok = Tokenizer::load(dir.string(), {TokenizerFlavor::kWordPiece, 0});
  ASSERT_FALSE(tok.ok());
  for (const std::string& f : fragments) {
    EXPECT_NE(tok.status().message().find(f), std::string::npos)
        << "\"" << tok.status().message() << "\" lacks \"" << f << "\"";
  }
}

TEST(WordPiece, MalformedFiles) {
  fs::path dir = make_dir("missing");
  expect_error(dir, {"vocab.txt", "cannot open"});

  write(dir / "vocab.txt", "");
  expect_error(dir, {"vocab.txt", "empty"});

  write(dir / "vocab.txt", "[UNK]\n[SEP]\n[PAD]\n[MASK]\na\n");
  expect_error(dir, {"cls_token", "[CLS]", "vocab.txt"});

  write(dir / "vocab.txt", "[UNK]\n[SEP]\n[CLS]\n[MASK]\na\n");
  expect_error(dir, {"pad_token", "[PAD]"});

  write(dir / "vocab.txt", "[UNK]\n[SEP]\n[CLS]\n[PAD]\n[MASK]\nok\n\xC3\x28\n");
  expect_error(dir, {"vocab.txt", "line 7", "UTF-8"});

  write(dir / "vocab.txt", join_lines(kVocab));
  write(dir / "tokenizer_config.json", "{\"do_lower_case\": true,\n \"cls_token\": [CLS]}");
  expect_error(dir, {"tokenizer_config.json", "line 2"});

  write(dir / "tokenizer_config.json", R"({"do_lower_case": "yes"})");
  expect_error(dir, {"tokenizer_config.json", "do_lower_case"});

  write(dir / "tokenizer_config.json", R"({"unk_token": "<unk>"})");
  expect_error(dir, {"tokenizer_config.json", "unk_token", "<unk>"});

  fs::remove(dir / "tokenizer_config.json");
  write(dir / "special_tokens_map.json", R"({"sep_token": 3})");
  expect_error(dir, {"special_tokens_map.json", "sep_token"});

  write(dir / "special_tokens_map.json",
        R"({"mask_token": {"content": "[MASK]", "lstrip": true}})");
  expect_error(dir, {"special_tokens_map.json", "lstrip"});

  fs::remove(dir / "special_tokens_map.json");
  write(dir / "tokenizer.json", R"({"model": {"type": "BPE", "vocab": {}}})");
  expect_error(dir, {"tokenizer.json", "WordPiece"});

  write(dir / "tokenizer.json", R"({"model": {"type": "WordPiece", "vocab": {"a": -1}}})");
  expect_error(dir, {"tokenizer.json", "\"a\""});
}

TEST(WordPiece, TokenizerJsonIsPreferred) {
  fs::path dir = make_dir("tokjson");
  write(dir / "vocab.txt", "unrelated\n");
  write(dir / "tokenizer.json", R"({
    "added_tokens": [{"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false,
                      "rstrip": false, "normalized": false, "special": true}],
    "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                   "strip_accents": null, "lowercase": true},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "@@",
              "max_input_chars_per_word": 3,
              "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "a": 5,
                        "@@b": 6}}})");
  auto tok = Tokenizer::load(dir.string());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->flavor(), TokenizerFlavor::kWordPiece);
  EXPECT_EQ(ids(*tok, "ab abbb [UNK]"), (std::vector<int32_t>{2, 5, 6, 1, 1, 3}));
}

TEST(WordPiece, PreTokenizerAndNormalizerClasses) {
  using text::bert_is_punctuation;
  using text::bert_is_split_space;
  for (char c : std::string("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")) {
    EXPECT_TRUE(bert_is_punctuation(static_cast<unsigned char>(c))) << c;
  }
  EXPECT_TRUE(bert_is_punctuation(U'、'));
  EXPECT_TRUE(bert_is_punctuation(U'」'));
  EXPECT_FALSE(bert_is_punctuation(U'a'));
  EXPECT_TRUE(bert_is_split_space(U'\u3000'));
  std::u32string out;
  const char32_t input[] = U"A\u0000\uFFFD\u200B\tB\u00A0C";
  text::bert_normalize(std::u32string_view(input, 9), {}, &out);
  EXPECT_EQ(out, U"a b c");  // NUL, U+FFFD, the format char dropped; whitespace to spaces
}

}  // namespace
}  // namespace clipsearch
