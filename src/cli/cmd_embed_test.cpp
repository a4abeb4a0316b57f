// End-to-end tests of `clipsearch embed` and `clipsearch bench` on the reference fixture's
// models: the output format, agreement with the reference, and the errors a user can cause.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/npy.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using nlohmann::json;
using testing::run_command;

std::string model_dir(const std::string& name) {
  return testing::reference_dir() + "/clip_models/" + name;
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(json::parse(line));
  return lines;
}

TEST(EmbedCommand, PrintsOneLinePerInputInOrder) {
  const std::string dir = model_dir("tiny_quick_gelu");
  auto r = run_command({testing::cli_binary(), "embed", "--model", dir, "--token-ids",
                        "49406,320,49407", "--pixels", dir + "/pixels.npy", "--token-ids",
                        "49406, 1, 2, 49407", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 5u);  // 3 images from the [3,3,32,32] array, then 2 texts
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(lines[i]["kind"], "image");
    EXPECT_EQ(lines[i]["input"], dir + "/pixels.npy");
    EXPECT_EQ(lines[i]["index"], i);
  }
  EXPECT_EQ(lines[3]["kind"], "text");
  EXPECT_EQ(lines[3]["input"], "49406,320,49407");
  EXPECT_EQ(lines[4]["input"], "49406, 1, 2, 49407");
  for (const auto& line : lines) {
    auto e = line["embedding"].get<std::vector<double>>();
    ASSERT_EQ(e.size(), 32u);
    double sq = 0;
    for (double v : e) sq += v * v;
    EXPECT_NEAR(std::sqrt(sq), 1.0, 1e-5);  // normalized by default
  }
}

TEST(EmbedCommand, RawOutputMatchesTheReference) {
  const std::string dir = model_dir("open_clip_small");
  auto pixels = npy_read(dir + "/pixels.npy");
  ASSERT_TRUE(pixels.ok());
  // A single [3,H,W] image, written from the first of the batch.
  testing::TempDir tmp;
  const size_t per_image = pixels->data.size() / static_cast<size_t>(pixels->shape[0]);
  ASSERT_TRUE(
      npy_write(tmp.file("one.npy"), {3, pixels->shape[2], pixels->shape[3]}, pixels->data.data())
          .ok());
  (void)per_image;
  auto r = run_command(
      {testing::cli_binary(), "embed", "--model", dir, "--pixels", tmp.file("one.npy"), "--raw"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0].contains("index"));
  auto got = lines[0]["embedding"].get<std::vector<float>>();
  auto ref = npy_read(dir + "/image_raw.npy");
  ASSERT_TRUE(ref.ok());
  ASSERT_EQ(got.size(), static_cast<size_t>(ref->shape[1]));
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], ref->data[i], 1e-4);
}

// --precision reaches the model: every reduced precision embeds close to the reference (the
// bounds are precision_reference_test's business), and f32, the default, is the reference's.
TEST(EmbedCommand, PrecisionOptionRunsTheModelAtThatPrecision) {
  const std::string dir = model_dir("open_clip_small");
  auto ref = npy_read(dir + "/image_raw.npy");
  ASSERT_TRUE(ref.ok());
  std::vector<float> f32, int8;
  for (const char* precision : {"f32", "bf16", "f16", "int8", "int8-dynamic"}) {
    auto r = run_command({testing::cli_binary(), "embed", "--model", dir, "--pixels",
                          dir + "/pixels.npy", "--raw", "--precision", precision});
    ASSERT_EQ(r.exit_code, 0) << precision << ": " << r.err;
    auto got = json_lines(r.out)[0]["embedding"].get<std::vector<float>>();
    ASSERT_EQ(got.size(), static_cast<size_t>(ref->shape[1]));
    double dot = 0, ng = 0, nr = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      dot += static_cast<double>(got[i]) * ref->data[i];
      ng += static_cast<double>(got[i]) * got[i];
      nr += static_cast<double>(ref->data[i]) * ref->data[i];
    }
    EXPECT_GT(dot / std::sqrt(ng * nr), 0.999) << precision;
    if (std::string(precision) == "f32") {
      f32 = got;
    } else {
      EXPECT_NE(got, f32) << precision << " ran as f32";
    }
    if (std::string(precision) == "int8") int8 = got;
    if (std::string(precision) == "int8-dynamic") {
      EXPECT_NE(got, int8) << "ran weight-only";
    }
  }
}

void expect_failure(const std::vector<std::string>& args, const std::string& fragment) {
  std::vector<std::string> full = {testing::cli_binary()};
  full.insert(full.end(), args.begin(), args.end());
  auto r = run_command(full);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
}

// --device reaches the model: cpu and auto (the CPU on every machine this version runs) embed as
// the default does; cuda fails saying why, whatever the machine has (no runtime, no driver, no
// GPU, or no CUDA engine in this build); a bad name is a usage error naming the flag.
TEST(EmbedCommand, DeviceOptionChoosesWhereTheModelRuns) {
  const std::string dir = model_dir("tiny_quick_gelu");
  auto embed = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {testing::cli_binary(), "embed",          "--model", dir,
                                     "--token-ids",         "49406,320,49407"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_command(args);
  };
  auto plain = embed({});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  for (const char* device : {"cpu", "auto"}) {
    auto r = embed({"--device", device});
    ASSERT_EQ(r.exit_code, 0) << device << ": " << r.err;
    EXPECT_EQ(r.out, plain.out) << device;
    EXPECT_EQ(r.err, plain.err) << device << ": auto falls back silently";
  }
  auto cuda = embed({"--device", "cuda:3"});
  EXPECT_NE(cuda.exit_code, 0);
  EXPECT_TRUE(cuda.out.empty()) << cuda.out;
  EXPECT_NE(cuda.err.find(dir + ": device cuda:3: "), std::string::npos) << cuda.err;
  expect_failure({"embed", "--model", dir, "--token-ids", "1", "--device", "gpu"},
                 "--device: device 'gpu' is not one of auto, cpu, cuda, cuda:N");
  expect_failure({"embed", "--model", dir, "--token-ids", "1", "--device", "cuda:-1"},
                 "--device: device 'cuda:-1': the GPU number must be 0, 1, ...");
}

// Every command that takes --precision takes --device, with the same usage error for a bad name
// (given before anything else is checked or loaded).
TEST(DeviceOption, EveryCommandThatLoadsAModelTakesIt) {
  for (const char* command : {"embed", "index", "reindex", "search", "similarity", "classify",
                              "serve", "albums", "bench"}) {
    auto r = run_command({testing::cli_binary(), command, "--device", "tpu"});
    EXPECT_NE(r.exit_code, 0) << command;
    EXPECT_NE(r.err.find("--device: device 'tpu' is not one of auto, cpu, cuda"), std::string::npos)
        << command << ": " << r.err;
  }
}

TEST(EmbedCommand, ErrorsNameTheProblem) {
  const std::string dir = model_dir("tiny_quick_gelu");
  expect_failure({"embed", "--model", "/no/such/model", "--token-ids", "1,2"}, "/no/such/model");
  expect_failure({"embed", "--model", dir}, "nothing to embed");
  expect_failure({"embed", "--model", dir, "--token-ids", "1,x,3"}, "expected comma-separated");
  expect_failure({"embed", "--model", dir, "--token-ids", "49406,99999"}, "outside the vocabulary");
  expect_failure({"embed", "--model", dir, "--pixels", "/no/such.npy"}, "/no/such.npy");
  expect_failure({"embed", "--model", dir, "--token-ids", "1", "--precision", "fp8"},
                 "--precision: precision 'fp8' is not one of f32, bf16, f16, int8, int8-dynamic");
  const std::string other = model_dir("small_gelu_eps") + "/pixels.npy";  // 64x64 images
  expect_failure({"embed", "--model", dir, "--pixels", other}, "the model expects [3, 32, 32]");
  expect_failure({"embed", "--model", dir, "--pixels", dir + "/config.json"}, "not a .npy file");
  // Without --model: the default preset, here from an empty cache and offline (no network).
  testing::TempDir cache;
  setenv("HF_HUB_CACHE", cache.path().c_str(), 1);
  setenv("HF_HUB_OFFLINE", "1", 1);
  expect_failure({"embed", "--token-ids", "1"},
                 "offline (HF_HUB_OFFLINE=1) and openai/clip-vit-base-patch32@main is not in the "
                 "cache");
  unsetenv("HF_HUB_OFFLINE");
  unsetenv("HF_HUB_CACHE");
}

TEST(VersionFlag, ShowsTheSimdLevelAndRefusesAnUnknownCap) {
  auto r = run_command({testing::cli_binary(), "--version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("isa: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("openblas: "), std::string::npos) << r.out;
  auto capped =
      run_command({"/usr/bin/env", "CLIPSEARCH_ISA=scalar", testing::cli_binary(), "--version"});
  ASSERT_EQ(capped.exit_code, 0) << capped.err;
  EXPECT_NE(capped.out.find("isa: scalar (this CPU: "), std::string::npos) << capped.out;
  auto bad =
      run_command({"/usr/bin/env", "CLIPSEARCH_ISA=sse9", testing::cli_binary(), "--version"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "clipsearch: CLIPSEARCH_ISA: 'sse9' is not one of scalar, avx2, avx512, avx512bf16\n");
}

TEST(BenchCommand, PrintsThroughput) {
  auto r = run_command({testing::cli_binary(), "bench", "--model", model_dir("tiny_quick_gelu"),
                        "--batch", "2", "--text-batch", "2", "--iters", "2", "--threads", "1",
                        "--precision", "bf16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto result = json::parse(r.out);
  EXPECT_EQ(result["precision"], "bf16");
  EXPECT_FALSE(result["isa"].get<std::string>().empty());
  EXPECT_GT(result["images_per_s"].get<double>(), 0);
  EXPECT_GT(result["texts_per_s_ctx77"].get<double>(), 0);
  EXPECT_EQ(result["threads"], 1);
  EXPECT_EQ(result["image_batch_s"].size(), 2u);
  EXPECT_GT(result["images_per_cpu_s"].get<double>(), 0);
  EXPECT_EQ(result["text_batch_cpu_s"].size(), 2u);
}

}  // namespace
}  // namespace clipsearch
