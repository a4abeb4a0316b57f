// End to end: `clipsearch embed --text` against transformers get_text_features on the ids of
// CLIPTokenizerFast, for a random-weight model (tests/reference/text_embed_golden.py).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/npy.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using nlohmann::json;

TEST(EmbedText, MatchesTransformersTextFeatures) {
  const std::string root = testing::reference_dir() + "/text_embed";
  std::ifstream in(root + "/texts.json");
  ASSERT_TRUE(in) << root << "/texts.json missing";
  std::vector<std::string> texts = json::parse(in).get<std::vector<std::string>>();
  auto ref = npy_read(root + "/text_raw.npy");
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  ASSERT_EQ(ref->shape.size(), 2u);
  ASSERT_EQ(static_cast<size_t>(ref->shape[0]), texts.size());
  const size_t dim = static_cast<size_t>(ref->shape[1]);

  std::vector<std::string> args = {testing::cli_binary(), "embed", "--model",
                                   root + "/model",       "--raw", "--token-ids",
                                   "49406,320,49407"};
  for (const auto& t : texts) {
    args.push_back("--text");
    args.push_back(t);
  }
  auto r = testing::run_command(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> lines;
  std::stringstream out(r.out);
  for (std::string line; std::getline(out, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), texts.size() + 1);
  EXPECT_EQ(lines[0]["input"], "49406,320,49407");  // --token-ids first, then the texts
  for (size_t i = 0; i < texts.size(); ++i) {
    const json& line = lines[i + 1];
    EXPECT_EQ(line["kind"], "text");
    EXPECT_EQ(line["input"], texts[i]);
    std::vector<double> e = line["embedding"].get<std::vector<double>>();
    ASSERT_EQ(e.size(), dim);
    const float* want = ref->data.data() + i * dim;
    double dot = 0, na = 0, nb = 0, max_err = 0, max_ref = 0;
    for (size_t k = 0; k < dim; ++k) {
      dot += e[k] * want[k];
      na += e[k] * e[k];
      nb += double(want[k]) * want[k];
      max_err = std::max(max_err, std::abs(e[k] - want[k]));
      max_ref = std::max(max_ref, std::abs(double(want[k])));
    }
    EXPECT_GE(dot / std::sqrt(na * nb), 0.99999) << "text " << i << ": " << texts[i];
    EXPECT_LE(max_err, 1e-4 * max_ref) << "text " << i << ": " << texts[i];
  }
}

TEST(EmbedText, ModelWithoutVocabularyFails) {
  // The engine's fixture models carry no vocabulary: the error must say so.
  const std::string dir = testing::reference_dir() + "/text_embed/no_vocab";
  std::filesystem::create_directories(dir);
  auto r = testing::run_command({testing::cli_binary(), "embed", "--model", dir, "--text", "a"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no tokenizer vocabulary"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace clipsearch
