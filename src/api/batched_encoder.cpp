#include "api/batched_encoder.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace clipsearch {
namespace {

BatcherOptions batcher_options(const QueryBatching& batching, Tower tower) {
  BatcherOptions o;
  o.max_batch = batching.max_batch;
  o.max_wait = batching.max_wait;
  o.max_queue = batching.max_queue;
  o.name = tower == Tower::kText ? "text queries" : "image queries";
  if (batching.on_batch) o.on_batch = [f = batching.on_batch, tower](size_t n) { f(tower, n); };
  if (batching.on_queue_depth) {
    o.on_queue_depth = [f = batching.on_queue_depth, tower](size_t n) { f(tower, n); };
  }
  return o;
}

}  // namespace

BatchedQueryEncoder::BatchedQueryEncoder(search::QueryEmbedder& embedder,
                                         const QueryBatching& batching)
    : embedder_(embedder) {
  text_batcher_ = std::make_unique<Batcher<TextBatch, std::vector<search::Embedding>>>(
      [this](std::vector<TextBatch>& queries) { return embed_text_batch(queries); },
      batcher_options(batching, Tower::kText));
  image_batcher_ = std::make_unique<Batcher<ImageTensor, search::Embedding>>(
      [this](std::vector<ImageTensor>& pictures) { return embed_picture_batch(pictures); },
      batcher_options(batching, Tower::kImage));
}

// The batchers' threads call into this object: they stop before its members go.
BatchedQueryEncoder::~BatchedQueryEncoder() {
  text_batcher_.reset();
  image_batcher_.reset();
}

Result<std::vector<search::Embedding>> BatchedQueryEncoder::texts(
    const std::vector<std::string>& texts) {
  std::vector<search::Embedding> out;
  if (texts.empty() || embedder_.cached_texts(texts, &out)) return out;
  CLIPSEARCH_ASSIGN_OR_RETURN(auto future, text_batcher_->submit(texts));
  return future.get();
}

Result<search::Embedding> BatchedQueryEncoder::picture(const QueryPicture& picture,
                                                       ColorSignature* color) {
  if (!picture.path.empty()) return embedder_.embed_image_file(picture.path, color);
  const std::string name = picture.name.empty() ? "picture" : picture.name;
  auto tensor = embedder_.preprocess_image_memory(
      reinterpret_cast<const uint8_t*>(picture.bytes.data()), picture.bytes.size(), name, color);
  if (!tensor.ok()) return search::unreadable_picture(tensor.status());
  const int64_t size = embedder_.model().info().image_size;
  if (tensor->height != size || tensor->width != size) {
    return Status::error("the model's preprocessing does not match its image size");
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(auto future, image_batcher_->submit(std::move(tensor).value()));
  return future.get();
}

// The texts of every queued query in one call: the caches answer what they hold, the rest share
// one forward pass of the text tower.
std::vector<Result<std::vector<search::Embedding>>> BatchedQueryEncoder::embed_text_batch(
    std::vector<TextBatch>& queries) {
  std::vector<std::string> all;
  for (const TextBatch& texts : queries) all.insert(all.end(), texts.begin(), texts.end());
  auto embedded = embedder_.embed_texts(all);
  std::vector<Result<std::vector<search::Embedding>>> results;
  auto next = embedded.ok() ? embedded->begin() : std::vector<search::Embedding>::iterator();
  for (const TextBatch& texts : queries) {
    if (!embedded.ok()) {
      // One query's bad text (an empty one) must not fail the others: each on its own.
      results.emplace_back(embedder_.embed_texts(texts));
      continue;
    }
    const auto end = next + static_cast<std::ptrdiff_t>(texts.size());
    results.emplace_back(std::vector<search::Embedding>(std::make_move_iterator(next),
                                                        std::make_move_iterator(end)));
    next = end;
  }
  return results;
}

// One forward pass of the image tower for every queued picture.
std::vector<Result<search::Embedding>> BatchedQueryEncoder::embed_picture_batch(
    std::vector<ImageTensor>& pictures) {
  const size_t floats = pictures[0].data.size();
  const auto dim = static_cast<size_t>(embedder_.model().info().embed_dim);
  std::vector<float> pixels(pictures.size() * floats);
  for (size_t i = 0; i < pictures.size(); ++i) {
    std::copy(pictures[i].data.begin(), pictures[i].data.end(), pixels.begin() + i * floats);
  }
  std::vector<float> out(pictures.size() * dim);
  const Status st =
      embedder_.embed_pixels(pixels.data(), static_cast<int64_t>(pictures.size()), out.data());
  std::vector<Result<search::Embedding>> results;
  for (size_t i = 0; i < pictures.size(); ++i) {
    if (!st.ok()) {
      results.emplace_back(st);
    } else {
      results.emplace_back(search::Embedding(out.begin() + i * dim, out.begin() + (i + 1) * dim));
    }
  }
  return results;
}

}  // namespace clipsearch
