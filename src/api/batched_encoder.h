// BatchedQueryEncoder: the QueryEncoder of a Library called from many threads at once
// (LibraryOptions::batching). Texts the caches hold are answered on the calling thread; other
// texts, and pictures sent as bytes, queue for a Batcher per tower, so that concurrent queries
// share one forward pass. Pictures are decoded and preprocessed on the calling thread (decoding
// parallelizes; the forward pass is what batching saves). Picture files are embedded directly.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "clipsearch/library.h"
#include "core/batcher.h"
#include "search/query_embedder.h"
#include "search/query_plan.h"

namespace clipsearch {

class BatchedQueryEncoder : public search::QueryEncoder {
 public:
  // `embedder` must outlive the encoder.
  BatchedQueryEncoder(search::QueryEmbedder& embedder, const QueryBatching& batching);
  ~BatchedQueryEncoder() override;

  Result<std::vector<search::Embedding>> texts(const std::vector<std::string>& texts) override;
  Result<search::Embedding> picture(const QueryPicture& picture, ColorSignature* color) override;

 private:
  using TextBatch = std::vector<std::string>;  // the texts of one query
  std::vector<Result<std::vector<search::Embedding>>> embed_text_batch(
      std::vector<TextBatch>& queries);
  std::vector<Result<search::Embedding>> embed_picture_batch(std::vector<ImageTensor>& pictures);

  search::QueryEmbedder& embedder_;
  std::unique_ptr<Batcher<TextBatch, std::vector<search::Embedding>>> text_batcher_;
  std::unique_ptr<Batcher<ImageTensor, search::Embedding>> image_batcher_;
};

}  // namespace clipsearch
