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

namespace clipsearch {
namespace {

struct GoldenCase {
  std::string text;  // raw bytes, possibly invalid UTF-8
  std::vector<int32_t> ids;
  std::string category;
  bool valid_utf8 = true;
};

std::string reference_dir() {
  const char* dir = std::getenv("CLIPSEARCH_REFERENCE_DIR");
  return std::string(dir ? dir : "reference") + "/unigram";
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string escaped(const std::string& bytes) {
  std::ostringstream os;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      os << c;
    } else {
      os << "\\x" << std::hex << (c >> 4) << (c & 15) << std::dec;
    }
  }
  return os.str();
}

std::string join(const std::vector<int32_t>& ids) {
  std::ostringstream os;
  for (size_t i = 0; i < ids.size(); ++i) os << (i ? "," : "") << ids[i];
  return os.str();
}

void expect_identical(const std::string& model, TokenizerFlavor flavor, int context_length = 77) {
  auto tokenizer = Tokenizer::load(reference_dir() + "/models/" + model, {flavor, 0});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  EXPECT_EQ(tokenizer->flavor(), TokenizerFlavor::kUnigram);
  EXPECT_EQ(tokenizer->context_length(), context_length);  // 77: open_clip's default
  std::ifstream in(reference_dir() + "/golden_" + model + ".jsonl");
  std::string line;
  size_t compared = 0, mismatches = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    GoldenCase c{from_hex(j["hex"]), j["ids"].get<std::vector<int32_t>>(),
                 j["category"].get<std::string>(), j["valid_utf8"].get<bool>()};
    ++compared;
    Encoding enc = tokenizer->encode(c.text);
    EXPECT_EQ(enc.invalid_utf8 == 0, c.valid_utf8) << escaped(c.text);
    if (enc.ids != c.ids && ++mismatches <= 10) {
      ADD_FAILURE() << model << " [" << c.category << "] text \"" << escaped(c.text)
                    << "\"\n  expected " << join(c.ids) << "\n  actual   " << join(enc.ids);
    }
  }
  ASSERT_GE(compared, 10000u) << "golden file missing or short: " << model;
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << compared << " texts differ";
  std::cout << model << ": " << compared << " texts identical to the reference"
            << (mismatches ? " (NOT all)" : "") << "\n";
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
  auto tokenizer = Tokenizer::load(reference_dir() + "/models/xlmr");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&] {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return state;
  };
  for (int i = 0; i < 3000; ++i) {
    std::string bytes(next() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(next() % 4 ? next() : " <>\t\n"[next() % 5]);
    Encoding enc = tokenizer->encode(bytes);
    ASSERT_GE(enc.ids.size(), 2u);
    ASSERT_LE(enc.ids.size(), static_cast<size_t>(tokenizer->context_length()));
    EXPECT_EQ(enc.ids.front(), tokenizer->start_token_id());
    EXPECT_EQ(enc.ids.back(), tokenizer->end_token_id());
    for (int32_t id : enc.ids) {
      ASSERT_GE(id, 0);
      ASSERT_LT(static_cast<size_t>(id), tokenizer->vocab_size());
    }
  }
}

}  // namespace
}  // namespace clipsearch
