// Issue 19: a text pass does not wait behind a batch of pictures. The towers have their own
// lock and scratch memory, so they run at once, and the text pass goes first (the image pass
// yields to it between its operations); both still give what each gives alone.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "clipsearch/model.h"
#include "core/thread_pool.h"
#include "model/reference_compare_test_util.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

std::vector<float> wave_pixels(int64_t count, int64_t floats) {
  std::vector<float> pixels(static_cast<size_t>(count * floats));
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::sin(0.37f * static_cast<float>(i));
  return pixels;
}

std::string model_dir() { return testing::reference_dir() + "/clip_models/tiny_quick_gelu"; }

TEST(TowerPriority, TextSubmittedDuringALargeImageBatchFinishesFirst) {
  auto loaded = Model::load(model_dir());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  Model& model = **loaded;
  const ModelInfo& info = model.info();
  const std::vector<std::vector<int32_t>> texts =
      testing::load_token_ids(model_dir() + "/token_ids.json");
  ASSERT_FALSE(texts.empty());
  std::vector<float> text_alone(texts.size() * static_cast<size_t>(info.embed_dim));
  ASSERT_TRUE(model.encode_texts(texts, text_alone.data()).ok());
  const int64_t floats = 3 * info.image_size * info.image_size;
  const int64_t count = 3000;  // many internal chunks: far longer than a text pass
  const std::vector<float> pixels = wave_pixels(count, floats);
  std::vector<float> first_alone(static_cast<size_t>(info.embed_dim));
  ASSERT_TRUE(model.encode_images(pixels.data(), 1, first_alone.data()).ok());

  // Urgent work held while the batch starts: the image pass's first operation waits for it, so
  // once a deferral is counted the pass is inside its forward pass (holding its tower's lock).
  const uint64_t deferred_before = deferred_calls();
  std::optional<UrgentWork> held;
  held.emplace();
  std::atomic<bool> image_done{false};
  std::vector<float> batch(static_cast<size_t>(count * info.embed_dim));
  std::thread pictures([&] {
    EXPECT_TRUE(model.encode_images(pixels.data(), count, batch.data()).ok());
    image_done = true;
  });
  while (deferred_calls() == deferred_before) std::this_thread::yield();
  held.reset();
  // Text passes submitted while the batch of pictures runs: each finishes before it.
  int answered_during_batch = 0;
  for (int i = 0; i < 5; ++i) {
    std::vector<float> text(text_alone.size());
    EXPECT_TRUE(model.encode_texts(texts, text.data()).ok());
    if (!image_done) ++answered_during_batch;
    for (size_t j = 0; j < text.size(); ++j) EXPECT_NEAR(text[j], text_alone[j], 1e-6);
  }
  EXPECT_EQ(answered_during_batch, 5) << "text passes waited for the batch of pictures";
  pictures.join();
  for (int64_t i = 0; i < info.embed_dim; ++i) {
    EXPECT_NEAR(batch[static_cast<size_t>(i)], first_alone[static_cast<size_t>(i)], 1e-5);
  }
}

}  // namespace
}  // namespace clipsearch
