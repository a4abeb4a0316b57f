// QueryEmbedder: turns the parts of a search query (texts, picture files, pictures in memory)
// into embeddings with one model, its tokenizer and its preprocessing, caching text embeddings.
//
// Owns the tokenizer and the cache; shares the Model (a server shares one model between its
// query path and its indexer). Thread-safe: the tokenizer is guarded by a mutex and the Model
// serializes its forward passes itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "clipsearch/image.h"
#include "clipsearch/model.h"
#include "clipsearch/tokenizer.h"
#include "image/color_signature.h"
#include "search/text_cache.h"

namespace clipsearch::search {

class QueryEmbedder {
 public:
  // Loads the model, tokenizer and preprocessing config from one model folder.
  static Result<std::unique_ptr<QueryEmbedder>> load(
      const std::string& model_dir, const DecodeOptions& decode = {},
      size_t cache_capacity = TextEmbeddingCache::kDefaultCapacity);

  QueryEmbedder(std::shared_ptr<Model> model, Tokenizer tokenizer, PreprocessConfig preprocess,
                DecodeOptions decode, size_t cache_capacity);

  // The normalized embedding of a query text. An empty or whitespace-only text is an error.
  Result<std::vector<float>> embed_text(const std::string& text);
  // Several texts; only those not in the cache go through the model, in one batch.
  Result<std::vector<std::vector<float>>> embed_texts(const std::vector<std::string>& texts);

  // `color`, when given, receives the picture's colour signature from the same decode.
  Result<std::vector<float>> embed_image_file(const std::string& path,
                                              ColorSignature* color = nullptr);
  Result<std::vector<float>> embed_image_memory(const uint8_t* data, size_t size,
                                                const std::string& name,
                                                ColorSignature* color = nullptr);

  Model& model() { return *model_; }
  const std::shared_ptr<Model>& shared_model() const { return model_; }
  const PreprocessConfig& preprocess_config() const { return preprocess_; }
  const DecodeOptions& decode_options() const { return decode_; }
  const TextEmbeddingCache& cache() const { return cache_; }

 private:
  Result<std::vector<float>> embed_tensor(const ImageTensor& tensor, const std::string& name);

  std::shared_ptr<Model> model_;
  std::mutex tokenizer_mutex_;
  Tokenizer tokenizer_;
  PreprocessConfig preprocess_;
  DecodeOptions decode_;
  TextEmbeddingCache cache_;
};

}  // namespace clipsearch::search
