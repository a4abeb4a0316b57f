// Library::embeddings: the catalog's embeddings page by page, for exports (the Python package
// writes them in clip-retrieval's layout).
#include <algorithm>
#include <unordered_map>

#include "api/library_impl.h"

namespace clipsearch {

Result<EmbeddingPage> Library::embeddings(int64_t after_id, int64_t limit) {
  if (limit < 1) return Status::invalid_argument("embeddings: limit must be at least 1");
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  EmbeddingPage page;
  std::vector<std::pair<int64_t, int64_t>> picked;  // (id, row), the page's rows by id
  std::vector<float> rows_vectors;
  CLIPSEARCH_RETURN_IF_ERROR(searcher->with_rows([&](const VectorView& rows) {
    page.dim = rows.dim;
    for (int64_t r = 0; r < rows.count; ++r) {
      if (rows.ids[r] > after_id) picked.emplace_back(rows.ids[r], r);
    }
    std::sort(picked.begin(), picked.end());
    if (static_cast<int64_t>(picked.size()) > limit) picked.resize(static_cast<size_t>(limit));
    rows_vectors.resize(picked.size() * static_cast<size_t>(rows.dim));
    for (size_t i = 0; i < picked.size(); ++i) {
      const float* v = rows.vectors + picked[i].second * rows.dim;
      std::copy(v, v + rows.dim, rows_vectors.begin() + static_cast<std::ptrdiff_t>(i * rows.dim));
    }
    return Status();
  }));
  page.generation = searcher->generation();
  std::vector<int64_t> ids;
  for (const auto& p : picked) ids.push_back(p.first);
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<ImageRecord> records, searcher->images(ids));
  std::unordered_map<int64_t, const ImageRecord*> record_of;
  for (const ImageRecord& r : records) record_of[r.id] = &r;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto record = record_of.find(ids[i]);
    if (record == record_of.end()) continue;  // removed since the rows were read
    page.images.push_back(image_info(*record->second));
    const float* v = rows_vectors.data() + i * static_cast<size_t>(page.dim);
    page.vectors.insert(page.vectors.end(), v, v + page.dim);
  }
  return page;
}

}  // namespace clipsearch
