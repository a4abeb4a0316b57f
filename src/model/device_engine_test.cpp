// Model::load and the towers on a device, on any machine: ctest points the CUDA probe at a fake
// runtime with one GPU (fake_cudart.cpp, through LD_LIBRARY_PATH) and the engine at the loopback
// module (loopback_device.cpp, through CLIPSEARCH_CUDA_MODULE), which runs the CPU's operations
// under a device's rules (its own memory, prepared weights) and fails on demand. What only a
// real GPU can prove (the CUDA kernels) is src/cuda's GPU suite.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "clipsearch/model.h"
#include "core/npy.h"
#include "model/reference_compare_test_util.h"
#include "testing/test_images.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

struct Case {
  std::string name, dir, dtype;
};

std::vector<Case> reference_models() {
  std::vector<Case> cases;
  std::ifstream in(testing::reference_dir() + "/clip_models/manifest.json");
  if (!in) return cases;
  for (const auto& e : nlohmann::json::parse(in))
    cases.push_back({e["name"], e["dir"], e["dtype"]});
  return cases;
}

// Sets an environment variable for one test (the loopback reads it when a backend starts).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

struct Loaded {
  std::unique_ptr<Model> model;
  std::shared_ptr<std::vector<std::string>> said;  // what on_device said, at load and after
  const std::vector<std::string>& lines() const { return *said; }
};

Result<Loaded> load(const std::string& dir, const char* device = "auto",
                    Precision precision = Precision::kFloat32) {
  auto lines = std::make_shared<std::vector<std::string>>();
  ModelOptions options;
  options.precision = precision;
  CLIPSEARCH_ASSIGN_OR_RETURN(options.device, device_parse(device));
  options.on_device = [lines](const std::string& line) { lines->push_back(line); };
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::load(dir, options));
  return Loaded{std::move(model), lines};
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  return all;
}

constexpr const char* kDevice = "cuda:0 (clipsearch loopback test device)";

// The model's image and text embeddings (raw) against the reference's.
void expect_reference_embeddings(Model& m, const Case& c) {
  const bool reduced = c.dtype == "f16" || c.dtype == "bf16";
  const double min_cosine = reduced ? 0.9999 : 0.99999, max_error = reduced ? -1 : 1e-4;
  const int64_t dim = m.info().embed_dim;
  auto pixels = npy_read(c.dir + "/pixels.npy");
  auto image_ref = npy_read(c.dir + "/image_raw.npy");
  ASSERT_TRUE(pixels.ok() && image_ref.ok());
  std::vector<float> images(static_cast<size_t>(pixels->shape[0] * dim));
  const Status image_pass =
      m.encode_images(pixels->data.data(), pixels->shape[0], images.data(), false);
  ASSERT_TRUE(image_pass.ok()) << image_pass.message();
  testing::expect_rows_close(c.name + " images", images, *image_ref, min_cosine, max_error);
  auto texts = testing::load_token_ids(c.dir + "/token_ids.json");
  auto text_ref = npy_read(c.dir + "/text_raw.npy");
  ASSERT_TRUE(text_ref.ok());
  std::vector<float> out(texts.size() * static_cast<size_t>(dim));
  const Status text_pass = m.encode_texts(texts, out.data(), false);
  ASSERT_TRUE(text_pass.ok()) << text_pass.message();
  testing::expect_rows_close(c.name + " texts", out, *text_ref, min_cosine, max_error);
}

Case tiny() {
  return {"tiny_quick_gelu", testing::reference_dir() + "/clip_models/tiny_quick_gelu", "f32"};
}

TEST(DeviceEngineSetup, RunsWithTheStandInRuntimeAndTheLoopbackModule) {
  ASSERT_NE(std::getenv("CLIPSEARCH_CUDA_MODULE"), nullptr)
      << "run by ctest, which sets CLIPSEARCH_CUDA_MODULE and LD_LIBRARY_PATH";
}

class DeviceEngine : public ::testing::TestWithParam<Case> {};

// Every family the reference builds: the towers a device runs go there, the others stay on the
// CPU and say why, and the embeddings are the reference's either way.
TEST_P(DeviceEngine, EmbedsAsTheReferenceWithEachTowerWhereItCanRun) {
  const Case& c = GetParam();
  auto loaded = load(c.dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const ModelInfo& info = loaded->model->info();
  const bool image_here = info.image_tower == "vit";
  const bool text_here = info.text_tower != "bert";
  EXPECT_EQ(info.image_device, image_here ? kDevice : "cpu");
  EXPECT_EQ(info.text_device, text_here ? kDevice : "cpu");
  ASSERT_EQ(loaded->lines().size(), 1u) << joined(loaded->lines());
  const std::string& line = loaded->lines().front();
  if (image_here && text_here) {
    EXPECT_EQ(line, std::string("image and text towers on ") + kDevice);
    EXPECT_EQ(info.device_note, "");
  }
  if (!image_here) {
    EXPECT_NE(line.find("the image tower is a ModifiedResNet (runs on the CPU only)"),
              std::string::npos)
        << line;
  }
  if (!text_here) {
    EXPECT_NE(line.find("the text tower is a BERT encoder (runs on the CPU only)"),
              std::string::npos)
        << line;
  }
  expect_reference_embeddings(*loaded->model, c);
  const ModelDevices now = loaded->model->devices();
  EXPECT_EQ(now.image_device, info.image_device) << now.device_note;
  EXPECT_EQ(now.text_device, info.text_device) << now.device_note;
}

INSTANTIATE_TEST_SUITE_P(Models, DeviceEngine, ::testing::ValuesIn(reference_models()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(DeviceEngineChoice, TheCpuByNameTouchesNoDeviceAndSaysNothing) {
  auto loaded = load(tiny().dir, "cpu");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->model->info().image_device, "cpu");
  EXPECT_EQ(loaded->model->info().text_device, "cpu");
  EXPECT_TRUE(loaded->lines().empty()) << joined(loaded->lines());
}

TEST(DeviceEngineChoice, ANamedDeviceThatIsNotThereSaysSo) {
  auto loaded = load(tiny().dir, "cuda:1");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(loaded.status().message().find("device cuda:1: no such GPU (this machine has 1)"),
            std::string::npos)
      << loaded.status().message();
}

TEST(DeviceEngineChoice, Bf16WeightsGoToTheDeviceUnpacked) {
  auto loaded = load(tiny().dir, "auto", Precision::kBFloat16);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->model->info().image_device, kDevice);
  Case c = tiny();
  c.dtype = "bf16";
  expect_reference_embeddings(*loaded->model, c);
}

TEST(DeviceEngineChoice, Int8DynamicStaysOnTheCpu) {
  auto loaded = load(tiny().dir, "auto", Precision::kInt8Dynamic);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->model->info().image_device, "cpu");
  EXPECT_NE(joined(loaded->lines()).find("int8-dynamic's products run on the CPU only"),
            std::string::npos)
      << joined(loaded->lines());
  auto named = load(tiny().dir, "cuda", Precision::kInt8Dynamic);
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.status().code(), StatusCode::kUnsupported);
}

TEST(DeviceEngineFailure, ADeviceThatWillNotStartLeavesAutoOnTheCpu) {
  ScopedEnv gone("CLIPSEARCH_LOOPBACK_NO_DEVICE", "1");
  auto loaded = load(tiny().dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->model->info().image_device, "cpu");
  EXPECT_EQ(loaded->model->info().text_device, "cpu");
  EXPECT_NE(joined(loaded->lines())
                .find("image tower on the CPU: cuda:0 failed (cuda:0: the device is gone"),
            std::string::npos)
      << joined(loaded->lines());
  expect_reference_embeddings(*loaded->model, tiny());
  auto named = load(tiny().dir, "cuda");
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(named.status().message().find("cuda:0: the device is gone (loopback, as told)"),
            std::string::npos)
      << named.status().message();
}

TEST(DeviceEngineFailure, WeightsThatDoNotFitLeaveAutoOnTheCpu) {
  ScopedEnv full("CLIPSEARCH_LOOPBACK_FAIL_PREPARE", "1");
  auto loaded = load(tiny().dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->model->info().image_device, "cpu");
  EXPECT_NE(loaded->model->info().device_note.find("out of device memory allocating a weight"),
            std::string::npos)
      << loaded->model->info().device_note;
  auto named = load(tiny().dir, "cuda");
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(named.status().message().find(
                "image tower: patch embedding: cuda:0: out of device memory allocating a weight"),
            std::string::npos)
      << named.status().message();
}

TEST(DeviceEngineFailure, APassThatFailsUnderAutoRunsAgainOnTheCpu) {
  ScopedEnv fails("CLIPSEARCH_LOOPBACK_FAIL_AFTER", "7");
  auto loaded = load(tiny().dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->model->info().image_device, kDevice);
  expect_reference_embeddings(*loaded->model, tiny());
  const ModelDevices now = loaded->model->devices();
  EXPECT_EQ(now.image_device, "cpu");
  EXPECT_EQ(now.text_device, "cpu");
  EXPECT_NE(now.device_note.find("image tower: " + std::string(kDevice) +
                                 " failed (cuda:0: out of device memory"),
            std::string::npos)
      << now.device_note;
  EXPECT_NE(joined(loaded->lines()).find("running it on the CPU from now on"), std::string::npos)
      << joined(loaded->lines());
}

TEST(DeviceEngineFailure, APassThatFailsOnANamedDeviceIsTheCallersError) {
  ScopedEnv fails("CLIPSEARCH_LOOPBACK_FAIL_AFTER", "7");
  auto loaded = load(tiny().dir, "cuda:0");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const Case c = tiny();
  auto pixels = npy_read(c.dir + "/pixels.npy");
  ASSERT_TRUE(pixels.ok());
  std::vector<float> out(static_cast<size_t>(pixels->shape[0] * loaded->model->info().embed_dim));
  const Status pass =
      loaded->model->encode_images(pixels->data.data(), pixels->shape[0], out.data());
  ASSERT_FALSE(pass.ok());
  EXPECT_EQ(pass.code(), StatusCode::kUnavailable);
  EXPECT_NE(pass.message().find("image tower: " + std::string(kDevice) +
                                " failed (cuda:0: out of device memory allocating the scratch"),
            std::string::npos)
      << pass.message();
  EXPECT_EQ(loaded->model->devices().image_device, kDevice) << "a named device is kept";
}

// The CLI says where the towers run on stderr, and only when a GPU is in play.
TEST(DeviceEngineCli, SaysWhereTheTowersRun) {
  const std::vector<std::string> embed = {
      testing::cli_binary(), "embed", "--model", tiny().dir, "--token-ids", "49406,320,49407"};
  const testing::CommandResult on_device = testing::run_command(embed);
  ASSERT_EQ(on_device.exit_code, 0) << on_device.err;
  EXPECT_EQ(on_device.err, std::string("clipsearch: image and text towers on ") + kDevice + "\n");
  std::vector<std::string> on_cpu = embed;
  on_cpu.insert(on_cpu.end(), {"--device", "cpu"});
  const testing::CommandResult cpu = testing::run_command(on_cpu);
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  EXPECT_EQ(cpu.err, "");
  EXPECT_EQ(cpu.out, on_device.out) << "the same embedding, printed the same";
  std::vector<std::string> absent = embed;
  absent.insert(absent.end(), {"--device", "cuda:3"});
  const testing::CommandResult refused = testing::run_command(absent);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("device cuda:3: no such GPU (this machine has 1)"), std::string::npos)
      << refused.err;
}

// `index` embeds a library on the device as on the CPU (the device's batch size), and `search`
// by a picture answers the same on either catalog.
TEST(DeviceEngineCli, IndexesAndSearchesOnTheDeviceAsOnTheCpu) {
  testing::TempDir tmp;
  const std::string photos = tmp.file("photos");
  std::filesystem::create_directory(photos);
  for (int i = 0; i < 6; ++i) {
    testing::write_file(photos + "/" + std::to_string(i) + ".png",
                        testing::make_image(40 + 8 * i, 36, static_cast<uint32_t>(i)));
  }
  // An open_clip folder: its config has the preprocessing index needs.
  const std::string open_clip_small = testing::reference_dir() + "/clip_models/open_clip_small";
  std::vector<std::string> answers;
  for (const std::string device : {"auto", "cpu"}) {
    const std::string db = tmp.file(device + ".db");
    const testing::CommandResult indexed =
        testing::run_command({testing::cli_binary(), "index", photos, "--db", db, "--model",
                              open_clip_small, "--device", device, "--progress", "none"});
    ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
    EXPECT_EQ(indexed.err.find("towers on cuda:0") != std::string::npos, device == "auto")
        << indexed.err;
    const testing::CommandResult found =
        testing::run_command({testing::cli_binary(), "search", "--image", photos + "/2.png", "--db",
                              db, "--device", device, "--json", "-k", "6"});
    ASSERT_EQ(found.exit_code, 0) << found.err;
    answers.push_back(found.out);
  }
  // The same paths in the same order, the same scores up to the batch's rounding (ids follow
  // the order the workers finished in).
  auto ranked = [](const std::string& lines) {
    std::vector<std::pair<std::string, double>> rows;
    std::stringstream in(lines);
    for (std::string line; std::getline(in, line);) {
      const auto row = nlohmann::json::parse(line);
      rows.emplace_back(row["path"], row["score"]);
    }
    return rows;
  };
  const auto on_device = ranked(answers[0]), on_cpu = ranked(answers[1]);
  ASSERT_EQ(on_device.size(), 6u) << answers[0];
  ASSERT_EQ(on_cpu.size(), 6u) << answers[1];
  EXPECT_EQ(on_device.front().first, photos + "/2.png");
  for (size_t i = 0; i < on_device.size(); ++i) {
    EXPECT_EQ(on_device[i].first, on_cpu[i].first) << i;
    EXPECT_NEAR(on_device[i].second, on_cpu[i].second, 1e-6) << i;
  }
}

}  // namespace
}  // namespace clipsearch
