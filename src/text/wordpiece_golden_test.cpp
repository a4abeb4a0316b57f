// Differential test: the WordPiece flavour against the golden ids of transformers'
// BertTokenizerFast (tests/reference/wordpiece_golden.py writes them at test time). Every text
// must give identical ids; the first mismatches are printed in full. A second test runs every
// code point through the normalizer and pre-tokenizer against the reference's own.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "clipsearch/tokenizer.h"
#include "text/bert_normalizer.h"
#include "text/golden_test_util.h"
#include "text/utf8.h"

namespace clipsearch {
namespace {

using namespace golden;

std::string reference_dir() { return golden::reference_dir("wordpiece"); }

void expect_identical(const std::string& model, const std::string& golden, int context_length) {
  auto tokenizer = Tokenizer::load(reference_dir() + "/models/" + model,
                                   {TokenizerFlavor::kAuto, context_length});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  EXPECT_EQ(tokenizer->flavor(), TokenizerFlavor::kWordPiece);
  if (context_length == 0) {
    EXPECT_EQ(tokenizer->context_length(), 512);  // from config.json
  }
  const std::vector<GoldenCase> cases =
      read_golden(reference_dir() + "/golden_" + golden + ".jsonl");
  ASSERT_GE(cases.size(), 10000u) << "golden file missing or short: " << golden;
  const Comparison r = compare_golden(*tokenizer, cases, golden);
  EXPECT_GT(r.at_context, 100u) << "the corpus should reach the context length";
}

TEST(WordPieceGolden, ChineseClipFolder) { expect_identical("cnclip", "cnclip", 0); }

TEST(WordPieceGolden, ChineseClipContext52) { expect_identical("cnclip", "cnclip_52", 52); }

TEST(WordPieceGolden, SavedWithTokenizerJson) {
  expect_identical("cnclip_saved", "cnclip_saved", 0);
}

TEST(WordPieceGolden, Cased) { expect_identical("cased", "cased", 0); }

// Every code point through BertNormalizer (lowercase and accent stripping on, and both off;
// Chinese spacing off) and BertPreTokenizer, against the reference's runs of code points that
// it does not leave alone.
TEST(WordPieceGolden, EveryCodePoint) {
  const std::string kSelf = "\x01(unchanged)";  // the reference leaves the code point alone
  struct Expected {
    std::string lower, cased, split;
  };
  std::vector<std::pair<std::pair<char32_t, char32_t>, Expected>> runs;
  std::ifstream in(reference_dir() + "/golden_chars.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    auto field = [&](const char* k) { return j[k].is_null() ? kSelf : from_hex(j[k]); };
    runs.push_back({{j["first"].get<char32_t>(), j["last"].get<char32_t>()},
                    {field("lower"), field("cased"), j["split"].get<std::string>()}});
  }
  ASSERT_GT(runs.size(), 1000u) << "golden_chars.jsonl missing or short";
  text::BertNormalizerOptions lower{true, false, true, true}, cased{true, false, false, false};
  size_t run = 0, mismatches = 0, checked = 0;
  std::u32string out;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    while (run < runs.size() && runs[run].first.second < c) ++run;
    Expected e{kSelf, kSelf, ""};
    if (run < runs.size() && runs[run].first.first <= c) e = runs[run].second;
    const std::u32string ch(1, c);
    const std::string self = text::utf8_encode(ch);
    text::bert_normalize(ch, lower, &out);
    std::string lo = text::utf8_encode(out);
    text::bert_normalize(ch, cased, &out);
    std::string ca = text::utf8_encode(out);
    std::string split = text::bert_is_split_space(c)   ? "space"
                        : text::bert_is_punctuation(c) ? "punct"
                                                       : "";
    const std::string& want_lo = e.lower == kSelf ? self : e.lower;
    const std::string& want_ca = e.cased == kSelf ? self : e.cased;
    ++checked;
    if ((lo != want_lo || ca != want_ca || split != e.split) && ++mismatches <= 10) {
      ADD_FAILURE() << "U+" << std::hex << uint32_t(c) << std::dec << ": lower \"" << escaped(lo)
                    << "\" (reference \"" << escaped(want_lo) << "\"), cased \"" << escaped(ca)
                    << "\" (\"" << escaped(want_ca) << "\"), split \"" << split << "\" (\""
                    << e.split << "\")";
    }
  }
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << checked << " code points differ";
  std::cout << "chars: " << checked << " code points checked\n";
}

// Random bytes (mostly ill-formed UTF-8): never a crash (the sanitizer build runs this), always
// [CLS, ids in the vocabulary..., SEP] within the context length.
TEST(WordPieceGolden, RandomBytesNeverBreakIt) {
  auto tokenizer =
      Tokenizer::load(reference_dir() + "/models/cnclip", {TokenizerFlavor::kAuto, 52});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  expect_random_bytes_never_break(*tokenizer, "[]# \xe4\n", 200);
}

}  // namespace
}  // namespace clipsearch
