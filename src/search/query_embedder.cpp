#include "search/query_embedder.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "core/mapped_file.h"
#include "core/sha256.h"

namespace clipsearch::search {
namespace {

bool is_blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

std::string shared_key(const std::string& text) {
  return "text:" + hex(sha256_bytes(text.data(), text.size()));
}

}  // namespace

Result<std::unique_ptr<QueryEmbedder>> QueryEmbedder::load(const std::string& model_dir,
                                                           const DecodeOptions& decode,
                                                           size_t cache_capacity,
                                                           const ModelOptions& model_options) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::load(model_dir, model_options));
  Result<Tokenizer> tokenizer = Tokenizer::load(model_dir);
  CLIPSEARCH_ASSIGN_OR_RETURN(PreprocessConfig preprocess, preprocess_config_load(model_dir));
  return std::make_unique<QueryEmbedder>(std::shared_ptr<Model>(std::move(model)),
                                         std::move(tokenizer), preprocess, decode, cache_capacity);
}

QueryEmbedder::QueryEmbedder(std::shared_ptr<Model> model, Result<Tokenizer> tokenizer,
                             PreprocessConfig preprocess, DecodeOptions decode,
                             size_t cache_capacity)
    : model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      preprocess_(preprocess),
      decode_(decode),
      cache_(cache_capacity) {}

Result<std::vector<float>> QueryEmbedder::embed_text(const std::string& text) {
  CLIPSEARCH_ASSIGN_OR_RETURN(auto embeddings, embed_texts({text}));
  return std::move(embeddings[0]);
}

Result<std::vector<std::vector<float>>> QueryEmbedder::embed_texts(
    const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out(texts.size());
  std::vector<size_t> missing;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (is_blank(texts[i])) return Status::invalid_argument("query: the query text is empty");
    if (!cache_.get(texts[i], &out[i]) && !shared_get(texts[i], &out[i])) missing.push_back(i);
  }
  if (missing.empty()) return out;
  if (!tokenizer_.ok()) {
    return Status::error(tokenizer_.status().code(),
                         tokenizer_.status().message() + "; text queries need one");
  }
  std::vector<std::vector<int32_t>> ids;
  {
    std::lock_guard<std::mutex> lock(tokenizer_mutex_);
    for (size_t i : missing) ids.push_back(tokenizer_->encode(texts[i]).ids);
  }
  const auto dim = static_cast<size_t>(model_->info().embed_dim);
  std::vector<float> embedded(missing.size() * dim);
  CLIPSEARCH_RETURN_IF_ERROR(model_->encode_texts(ids, embedded.data()));
  texts_embedded_.fetch_add(missing.size(), std::memory_order_relaxed);
  for (size_t m = 0; m < missing.size(); ++m) {
    const auto first = embedded.begin() + static_cast<std::ptrdiff_t>(m * dim);
    out[missing[m]].assign(first, first + static_cast<std::ptrdiff_t>(dim));
    cache_.put(texts[missing[m]], out[missing[m]]);
    shared_put(texts[missing[m]], out[missing[m]]);
  }
  return out;
}

bool QueryEmbedder::cached_texts(const std::vector<std::string>& texts,
                                 std::vector<std::vector<float>>* out) {
  if (cache_.get_all(texts, out)) return true;
  if (!shared_) return false;
  out->assign(texts.size(), {});
  for (size_t i = 0; i < texts.size(); ++i) {
    if (!cache_.get(texts[i], &(*out)[i]) && !shared_get(texts[i], &(*out)[i])) return false;
  }
  return true;
}

void QueryEmbedder::set_shared_cache(std::shared_ptr<SharedCache> cache, std::chrono::seconds ttl) {
  shared_ = std::move(cache);
  shared_ttl_ = ttl;
}

bool QueryEmbedder::shared_get(const std::string& text, std::vector<float>* out) {
  if (!shared_) return false;
  const std::optional<std::string> bytes = shared_->get(shared_key(text));
  const auto dim = static_cast<size_t>(model_->info().embed_dim);
  if (!bytes || bytes->size() != dim * sizeof(float)) return false;
  out->resize(dim);
  std::memcpy(out->data(), bytes->data(), bytes->size());
  cache_.put(text, *out);
  return true;
}

void QueryEmbedder::shared_put(const std::string& text, const std::vector<float>& embedding) {
  if (!shared_) return;
  const std::string bytes(reinterpret_cast<const char*>(embedding.data()),
                          embedding.size() * sizeof(float));
  shared_->set(shared_key(text), bytes, shared_ttl_);
}

Result<std::vector<float>> QueryEmbedder::embed_image_file(const std::string& path,
                                                           ColorSignature* color) {
  CLIPSEARCH_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  return embed_image_memory(file.data(), file.size(), path, color);
}

Result<std::vector<float>> QueryEmbedder::embed_image_memory(const uint8_t* data, size_t size,
                                                             const std::string& name,
                                                             ColorSignature* color) {
  CLIPSEARCH_ASSIGN_OR_RETURN(ImageTensor tensor, preprocess_image_memory(data, size, name, color));
  return embed_tensor(tensor, name);
}

Result<ImageTensor> QueryEmbedder::preprocess_image_memory(const uint8_t* data, size_t size,
                                                           const std::string& name,
                                                           ColorSignature* color) const {
  CLIPSEARCH_ASSIGN_OR_RETURN(RgbImage rgb,
                              image_decode_for_preprocess(data, size, name, preprocess_, decode_));
  if (color) *color = color_signature(rgb);
  return image_preprocess_rgb(rgb, preprocess_);
}

Result<std::vector<float>> QueryEmbedder::embed_tensor(const ImageTensor& tensor,
                                                       const std::string& name) {
  const int64_t size = model_->info().image_size;
  if (tensor.height != size || tensor.width != size) {
    return Status::corruption(name + ": preprocessing gives " + std::to_string(tensor.width) + "x" +
                              std::to_string(tensor.height) + " pixels, the model expects " +
                              std::to_string(size) + "x" + std::to_string(size) +
                              " (preprocessor config and model config disagree)");
  }
  std::vector<float> out(static_cast<size_t>(model_->info().embed_dim));
  CLIPSEARCH_RETURN_IF_ERROR(embed_pixels(tensor.data.data(), 1, out.data()).with_context(name));
  return out;
}

Status QueryEmbedder::embed_pixels(const float* pixels, int64_t count, float* out) {
  pictures_embedded_.fetch_add(static_cast<uint64_t>(std::max<int64_t>(count, 0)),
                               std::memory_order_relaxed);
  return model_->encode_images(pixels, count, out);
}

}  // namespace clipsearch::search
