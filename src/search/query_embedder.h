// QueryEmbedder: turns the parts of a search query (texts, picture files, pictures in memory)
// into embeddings with one model, its tokenizer and its preprocessing, caching text embeddings.
//
// Owns the tokenizer and the cache; shares the Model (a server shares one model between its
// query path and its indexer). Thread-safe (set_shared_cache aside, called before use): the
// tokenizer is guarded by a mutex and the Model serializes its forward passes itself.
//
// Text lookups go: the in-process LRU, then the shared cache when one is set (serve --redis),
// then the text tower; a computed embedding is written to both, one found in the shared cache to
// the LRU. Shared entries are keyed "text:" + SHA-256 of the text (hex): the cache's own prefix
// names the model. Their values are embed_dim float32 in native byte order; a value of another
// length is ignored (and overwritten once the text is embedded again).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "clipsearch/image.h"
#include "clipsearch/model.h"
#include "clipsearch/shared_cache.h"
#include "clipsearch/tokenizer.h"
#include "image/color_signature.h"
#include "search/text_cache.h"

namespace clipsearch::search {

class QueryEmbedder {
 public:
  // Loads the model, tokenizer and preprocessing config from one model folder.
  static Result<std::unique_ptr<QueryEmbedder>> load(
      const std::string& model_dir, const DecodeOptions& decode = {},
      size_t cache_capacity = TextEmbeddingCache::kDefaultCapacity,
      const ModelOptions& model_options = {});

  // `tokenizer` is the tokenizer, or why the model folder has none: picture queries work
  // without one, and text queries then fail with that reason.
  QueryEmbedder(std::shared_ptr<Model> model, Result<Tokenizer> tokenizer,
                PreprocessConfig preprocess, DecodeOptions decode, size_t cache_capacity);

  // The normalized embedding of a query text. An empty or whitespace-only text is an error.
  Result<std::vector<float>> embed_text(const std::string& text);
  // Several texts; only those not in the cache go through the model, in one batch.
  Result<std::vector<std::vector<float>>> embed_texts(const std::vector<std::string>& texts);
  // True, with their embeddings in *out, when every text is in the in-process cache or the
  // shared one (no model call, so the caller need not queue for a forward pass).
  bool cached_texts(const std::vector<std::string>& texts, std::vector<std::vector<float>>* out);

  // `color`, when given, receives the picture's colour signature from the same decode.
  Result<std::vector<float>> embed_image_file(const std::string& path,
                                              ColorSignature* color = nullptr);
  // The tensor the image tower takes for a picture in memory (decoded once; `color`, when
  // given, receives its colour signature from that decode), for callers that batch pictures.
  Result<ImageTensor> preprocess_image_memory(const uint8_t* data, size_t size,
                                              const std::string& name,
                                              ColorSignature* color = nullptr) const;
  // The embedding of a preprocessed picture (preprocess_image_memory).
  Result<std::vector<float>> embed_tensor(const ImageTensor& tensor, const std::string& name);
  // Normalized embeddings of `count` preprocessed pictures, [count, channels, size, size], in
  // one forward pass: out [count, embed_dim]. Counted in pictures_embedded().
  Status embed_pixels(const float* pixels, int64_t count, float* out);
  Result<std::vector<float>> embed_image_memory(const uint8_t* data, size_t size,
                                                const std::string& name,
                                                ColorSignature* color = nullptr);

  Model& model() { return *model_; }
  const std::shared_ptr<Model>& shared_model() const { return model_; }
  const PreprocessConfig& preprocess_config() const { return preprocess_; }
  const DecodeOptions& decode_options() const { return decode_; }
  const TextEmbeddingCache& cache() const { return cache_; }

  // The second-level cache and how long its text entries live.
  void set_shared_cache(std::shared_ptr<SharedCache> cache, std::chrono::seconds ttl);
  // Texts that went through the text tower (found in neither cache).
  uint64_t texts_embedded() const { return texts_embedded_.load(std::memory_order_relaxed); }
  // Query pictures that went through the image tower (answers cached elsewhere never come here).
  uint64_t pictures_embedded() const { return pictures_embedded_.load(std::memory_order_relaxed); }

 private:
  bool shared_get(const std::string& text, std::vector<float>* out);
  void shared_put(const std::string& text, const std::vector<float>& embedding);

  std::shared_ptr<Model> model_;
  std::mutex tokenizer_mutex_;
  Result<Tokenizer> tokenizer_;
  PreprocessConfig preprocess_;
  DecodeOptions decode_;
  TextEmbeddingCache cache_;
  std::shared_ptr<SharedCache> shared_;
  std::chrono::seconds shared_ttl_{0};
  std::atomic<uint64_t> texts_embedded_{0};
  std::atomic<uint64_t> pictures_embedded_{0};
};

}  // namespace clipsearch::search
