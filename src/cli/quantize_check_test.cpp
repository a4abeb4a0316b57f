// `clipsearch quantize` from the command line, and `quantize --check` on a generated library of
// 2,000 pictures with 200 queries over a random-weight ViT-B/32: the recall@10 of each
// precision's search against float32's, printed and bounded (issue 14's proof), and its errors.
//
// The default suite runs the B/32 at its full widths (the same kernels and tile shapes) with 4 of
// its 12 layers in each tower, a third of the cost; CLIPSEARCH_QUANTIZE_CHECK_LAYERS=12 (the
// "slow" test quantize_check_full_test) runs the whole depth.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/e2e_test_util.h"
#include "clipsearch/library.h"
#include "model/safetensors.h"
#include "model/safetensors_writer.h"
#include "testing/test_images.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;
using testing::run_command;

constexpr int kPictures = 2000;
constexpr int kQueries = 200;

std::string b32() { return testing::reference_dir() + "/clip_models/vit_b32_full"; }

int layers() {
  const char* env = std::getenv("CLIPSEARCH_QUANTIZE_CHECK_LAYERS");
  return env ? std::atoi(env) : 4;
}

// The encoder layer a tensor belongs to ("...layers.7.mlp..." -> 7), -1 for none.
int layer_of(const std::string& name) {
  const std::string key = ".layers.";
  const size_t at = name.find(key);
  if (at == std::string::npos) return -1;
  const size_t digits = at + key.size();
  return std::atoi(name.substr(digits, name.find('.', digits) - digits).c_str());
}

// The B/32's first `layers` encoder layers of each tower: its tensors without the deeper layers'
// and its config with num_hidden_layers set (the layers kept are the reference's own weights).
void write_shallow_b32(const fs::path& dir, int layers) {
  auto file = SafetensorsFile::open(b32() + "/model.safetensors");
  ASSERT_TRUE(file.ok()) << file.status().message();
  std::vector<TensorToWrite> kept;
  for (const auto& [name, view] : file->tensors()) {
    if (layer_of(name) >= layers) continue;
    kept.push_back({name, view.dtype, view.shape, view.data, view.nbytes});
  }
  ASSERT_TRUE(write_safetensors((dir / "model.safetensors").string(), kept, {}).ok());
  auto config = nlohmann::json::parse(testing::read_file(b32() + "/config.json"));
  config["vision_config"]["num_hidden_layers"] = layers;
  config["text_config"]["num_hidden_layers"] = layers;
  testing::write_file((dir / "config.json").string(), config.dump(2));
}

// The B/32 with the search reference's vocabulary and CLIP's preprocessing at 224.
void make_model_folder(const fs::path& dir) {
  fs::create_directories(dir);
  if (layers() >= 12) {
    fs::create_symlink(b32() + "/model.safetensors", dir / "model.safetensors");
    fs::copy_file(b32() + "/config.json", dir / "config.json");
  } else {
    write_shallow_b32(dir, layers());
  }
  const std::string vocab = testing::search_reference_dir() + "/model";
  fs::copy_file(vocab + "/vocab.json", dir / "vocab.json");
  fs::copy_file(vocab + "/merges.txt", dir / "merges.txt");
  testing::write_file((dir / "preprocessor_config.json").string(), R"({
    "crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224})");
}

std::vector<std::string> generated_queries() {
  const char* colours[] = {"red",   "green",  "blue",   "yellow", "black",
                           "white", "orange", "purple", "pink",   "grey"};
  const char* things[] = {"square", "circle", "rectangle", "disc", "box"};
  const char* places[] = {"on a plain background", "in the corner", "next to another shape",
                          "in the middle"};
  std::vector<std::string> out;
  for (const char* c : colours)
    for (const char* t : things)
      for (const char* p : places) out.push_back(std::string("a ") + c + " " + t + " " + p);
  return out;  // 10 * 5 * 4 = 200
}

class QuantizeCheck : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    make_model_folder(dir_->path() / "model");
    const fs::path pictures = dir_->path() / "pictures";
    fs::create_directories(pictures);
    for (int i = 0; i < kPictures; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "p%04d.png", i);
      testing::write_file((pictures / name).string(),
                          testing::make_shapes_image(96, 72, static_cast<uint32_t>(i)));
    }
    // The catalog lists the pictures; the check embeds them itself, so the catalog's vectors
    // are imported (any unit vector) rather than computed.
    IndexingOptions options;
    options.precomputed = [](const std::string&, int64_t dim, float* out) {
      for (int64_t d = 0; d < dim; ++d) out[d] = d == 0 ? 1.0f : 0.0f;
      return true;
    };
    auto opened = Library::open(db(), model_options());
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    auto report = (*opened)->index({pictures.string()}, options);
    ASSERT_TRUE(report.ok()) << report.status().message();
    ASSERT_EQ(report->imported, kPictures);
    std::string lines;
    for (const std::string& q : generated_queries()) lines += q + "\n";
    testing::write_file(queries(), lines);
  }
  static void TearDownTestSuite() { delete dir_; }

  static LibraryOptions model_options() {
    LibraryOptions options;
    options.model = model();
    return options;
  }
  static std::string model() { return (dir_->path() / "model").string(); }
  static std::string db() { return (dir_->path() / "catalog.db").string(); }
  static std::string queries() { return (dir_->path() / "queries.txt").string(); }

  static testing::TempDir* dir_;
};

testing::TempDir* QuantizeCheck::dir_ = nullptr;

TEST_F(QuantizeCheck, RecallAtTenOfEveryPrecisionAgainstFloat32) {
  auto r = run_command({testing::cli_binary(), "quantize", "--check", "--db", db(), "--sample",
                        std::to_string(kPictures), "--queries", queries(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["images"], kPictures);
  EXPECT_EQ(out["queries"], kQueries);
  EXPECT_EQ(out["k"], 10);
  ASSERT_EQ(out["precisions"].size(), 4u);
  for (const auto& row : out["precisions"]) {
    const std::string p = row["precision"];
    const double recall = row["recall_at_10"], cosine = row["least_cosine"];
    std::printf(
        "quantize --check (%d layers) %-12s recall@10 %.4f, mean cosine %.7f, least %.7f, "
        "%.1f images/s (f32 %.1f)\n",
        layers(), p.c_str(), recall, row["mean_cosine"].get<double>(), cosine,
        row["images_per_s"].get<double>(), out["f32"]["images_per_s"].get<double>());
    // int8-dynamic measured 0.886 here (2026-12-04, its out-projections and fc2 weight-only;
    // 0.794 with every product in int8): below int8's 0.9, which is why it is opt-in
    // (docs/ARCHITECTURE.md, "Precisions"); the bound keeps it from getting worse.
    const bool int8 = p.rfind("int8", 0) == 0;  // int8 and int8-dynamic
    EXPECT_GE(recall, p == "int8-dynamic" ? 0.85 : int8 ? 0.9 : 0.95) << p;
    EXPECT_LE(recall, 1.0) << p;
    EXPECT_GE(cosine, int8 ? 0.999 : 0.9999) << p;
  }
}

TEST_F(QuantizeCheck, TextTableAndOnePrecision) {
  auto r = run_command({testing::cli_binary(), "quantize", "--check", "--db", db(), "--sample",
                        "50", "--precision", "int8", "--model", model()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("50 pictures of the catalog, 100 queries"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nint8 "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\nbf16 "), std::string::npos) << r.out;
}

TEST_F(QuantizeCheck, BadRequestsAreClearErrors) {
  const std::string cli = testing::cli_binary();
  auto missing = run_command({cli, "quantize", "--check", "--db", db() + ".none"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find(db() + ".none: no catalog here"), std::string::npos) << missing.err;
  auto sample = run_command({cli, "quantize", "--check", "--db", db(), "--sample", "0"});
  EXPECT_NE(sample.exit_code, 0);
  EXPECT_NE(sample.err.find("--sample must be between 1 and"), std::string::npos) << sample.err;
  auto empty = dir_->file("empty.txt");
  testing::write_file(empty, "\n\n");
  auto no_queries = run_command({cli, "quantize", "--check", "--db", db(), "--queries", empty});
  EXPECT_NE(no_queries.exit_code, 0);
  EXPECT_NE(no_queries.err.find("no queries"), std::string::npos) << no_queries.err;
  auto no_output = run_command({cli, "quantize", "--model", model(), "--precision", "int8"});
  EXPECT_NE(no_output.exit_code, 0);
  EXPECT_NE(no_output.err.find("give --output"), std::string::npos) << no_output.err;
  auto two = run_command({cli, "quantize", "--model", model(), "--precision", "int8", "--precision",
                          "f16", "--output", dir_->file("two")});
  EXPECT_NE(two.exit_code, 0);
  EXPECT_NE(two.err.find("give one --precision"), std::string::npos) << two.err;
  auto bad = run_command(
      {cli, "quantize", "--model", model(), "--precision", "int4", "--output", dir_->file("bad")});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("'int4' is not one of"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir_->file("bad")));
}

TEST_F(QuantizeCheck, WritesAFolderThatSearchesTheCatalog) {
  const std::string out = dir_->file("b32-int8");
  auto r = run_command({testing::cli_binary(), "quantize", "--model", model(), "--precision",
                        "int8", "--output", out, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["precision"], "int8");
  EXPECT_LE(report["output_bytes"].get<double>(), 0.30 * report["source_bytes"].get<double>());
  for (const char* file : {"config.json", "vocab.json", "merges.txt", "preprocessor_config.json"}) {
    EXPECT_TRUE(fs::exists(out + "/" + file)) << file;
  }
  auto text = run_command({testing::cli_binary(), "quantize", "--model", model(), "--precision",
                           "f16", "--output", dir_->file("b32-f16")});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  // Half the float32 file (a few tensors stay float32 at every precision).
  const size_t percent = text.out.find("% of ");
  ASSERT_NE(percent, std::string::npos) << text.out;
  const std::string share = text.out.substr(percent - 2, 2);
  EXPECT_TRUE(share == "50" || share == "51") << text.out;
  EXPECT_NE(text.out.find("f16, "), std::string::npos) << text.out;
  // The quantized folder embeds a query like any model.
  auto embed = run_command({testing::cli_binary(), "embed", "--model", out, "--text", "a dog"});
  ASSERT_EQ(embed.exit_code, 0) << embed.err;
  EXPECT_NE(embed.out.find("\"embedding\""), std::string::npos) << embed.out;
}

}  // namespace
}  // namespace clipsearch
