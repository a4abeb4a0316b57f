#include "search/query_plan.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>

#include "core/paths.h"
#include "index/annotations.h"

namespace clipsearch::search {
namespace {

Status check_numbers(const QueryParts& q, int64_t k, int64_t offset) {
  const QueryOptionNames& names = q.names;
  if (!(q.image_weight >= 0 && q.image_weight <= 1)) {
    return Status::invalid_argument(names.image_weight + " must be between 0 and 1");
  }
  if (!(q.negative_weight >= 0) || !std::isfinite(q.negative_weight)) {
    return Status::invalid_argument(names.negative_weight + " must be 0 or more");
  }
  if (k < 0) return Status::invalid_argument("the number of results must be 0 or more");
  if (offset < 0) return Status::invalid_argument("the offset must be 0 or more");
  if (std::isnan(q.min_score)) return Status::invalid_argument("the minimum score is not a number");
  return Status();
}

// A wall-clock time of this machine's time zone (as parse_query_date reads "2024-06-01") as ns
// since the epoch, the way the catalog keeps modification times. The indexer turns an mtime into
// local wall-clock time the same way round (localtime_r), so a day means the same day for both.
std::optional<int64_t> epoch_ns_of_local(std::optional<int64_t> wall_clock_ns) {
  if (!wall_clock_ns) return std::nullopt;
  const int64_t ns = *wall_clock_ns;
  const time_t wall_seconds = static_cast<time_t>(ns / 1000000000 - (ns % 1000000000 < 0));
  const int64_t fraction = ns - static_cast<int64_t>(wall_seconds) * 1000000000;
  std::tm tm{};
  gmtime_r(&wall_seconds, &tm);
  tm.tm_isdst = -1;  // whatever daylight saving time the zone had on that day
  return static_cast<int64_t>(mktime(&tm)) * 1000000000 + fraction;
}

SearchRequest request_of(const QueryParts& q, int64_t k, int64_t offset) {
  SearchRequest r;
  r.k = k;
  r.offset = offset;
  r.min_score = q.min_score;
  for (const std::string& f : q.folders) r.filter.folders.push_back(absolute_path(f));
  r.filter.date_min_ns = q.taken_after_ns;
  r.filter.date_max_ns = q.taken_before_ns;
  r.filter.mtime_min_ns = epoch_ns_of_local(q.modified_after_ns);
  r.filter.mtime_max_ns = epoch_ns_of_local(q.modified_before_ns);
  r.filter.size_min = q.min_bytes;
  r.filter.size_max = q.max_bytes;
  for (const std::string& f : q.formats) r.filter.formats.push_back(query_format_name(f));
  r.filter.cameras = q.cameras;
  r.sort = q.sort;
  return r;
}

// A label and an album: only the images carrying the label / in the album (both: in both).
Status restrict_to_annotations(const QueryParts& q, const std::string& db, SearchRequest* request) {
  if (!q.tag && !q.album) return Status();
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Annotations> annotations, Annotations::open(db));
  std::optional<std::vector<int64_t>> only;
  if (q.tag) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<int64_t> ids,
                                annotations->images_with_label(*q.tag, q.tag_min_probability));
    only = std::move(ids);
  }
  if (q.album) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<AlbumMember> members, annotations->album(*q.album));
    std::vector<int64_t> ids;
    for (const AlbumMember& m : members) ids.push_back(m.image_id);
    std::sort(ids.begin(), ids.end());
    if (only) {
      std::vector<int64_t> both;
      std::set_intersection(only->begin(), only->end(), ids.begin(), ids.end(),
                            std::back_inserter(both));
      ids = std::move(both);
    }
    only = std::move(ids);
  }
  request->only_ids = std::move(only);
  return Status();
}

// The query vector; examples are left out of the results. `colors`, when given, receives the
// colour signatures of the pictures and examples.
Result<Embedding> query_vector(const QueryParts& q, QueryEncoder& encoder, Searcher& searcher,
                               std::vector<int64_t>* exclude, std::vector<ColorSignature>* colors) {
  // Texts and negatives in one call: one forward pass for both.
  std::vector<std::string> all_texts = q.texts;
  all_texts.insert(all_texts.end(), q.negatives.begin(), q.negatives.end());
  std::vector<Embedding> vectors;
  if (!all_texts.empty()) {
    CLIPSEARCH_ASSIGN_OR_RETURN(vectors, encoder.texts(all_texts));
  }
  const auto first_negative = vectors.begin() + static_cast<std::ptrdiff_t>(q.texts.size());
  const std::vector<Embedding> texts(std::make_move_iterator(vectors.begin()),
                                     std::make_move_iterator(first_negative));
  const std::vector<Embedding> negatives(std::make_move_iterator(first_negative),
                                         std::make_move_iterator(vectors.end()));
  std::vector<Embedding> pictures;
  for (const QueryPicture& picture : q.pictures) {
    ColorSignature color;
    CLIPSEARCH_ASSIGN_OR_RETURN(Embedding e, encoder.picture(picture, colors ? &color : nullptr));
    pictures.push_back(std::move(e));
    if (colors) colors->push_back(std::move(color));
  }
  std::vector<int64_t> example_ids = q.example_ids;
  for (const std::string& path : q.example_paths) {
    CLIPSEARCH_ASSIGN_OR_RETURN(auto found, searcher.indexed_image(absolute_path(path)));
    example_ids.push_back(found.first.id);
  }
  for (int64_t id : example_ids) {
    CLIPSEARCH_ASSIGN_OR_RETURN(auto found, searcher.indexed_image(id));
    exclude->push_back(id);
    pictures.push_back(std::move(found.second));
    if (colors) {
      CLIPSEARCH_ASSIGN_OR_RETURN(ColorSignature color, searcher.indexed_color(id));
      colors->push_back(std::move(color));
    }
  }
  return query_vector_combine(texts, pictures, negatives, {q.image_weight, q.negative_weight});
}

}  // namespace

Result<std::vector<Embedding>> EmbedderQueryEncoder::texts(const std::vector<std::string>& texts) {
  if (!embedder_) return Status::error("query: texts need a model, and none is loaded");
  return embedder_->embed_texts(texts);
}

Result<Embedding> EmbedderQueryEncoder::picture(const QueryPicture& picture,
                                                ColorSignature* color) {
  if (!embedder_) return Status::error("query: pictures need a model, and none is loaded");
  if (!picture.path.empty()) return embedder_->embed_image_file(picture.path, color);
  const std::string name = picture.name.empty() ? "picture" : picture.name;
  auto tensor = embedder_->preprocess_image_memory(
      reinterpret_cast<const uint8_t*>(picture.bytes.data()), picture.bytes.size(), name, color);
  if (!tensor.ok()) return unreadable_picture(tensor.status());
  return embedder_->embed_tensor(*tensor, name);
}

Status unreadable_picture(const Status& decode_error) {
  const StatusCode code = decode_error.code();
  if (code == StatusCode::kUnsupported || code == StatusCode::kCorruption) return decode_error;
  return Status::corruption(decode_error.message());
}

std::string query_format_name(const std::string& format) {
  std::string f = format;
  std::transform(f.begin(), f.end(), f.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return f == "jpg" ? "jpeg" : f;
}

Result<PreparedQuery> prepare_query(const QueryParts& query, int64_t k, int64_t offset,
                                    QueryEncoder& encoder, Searcher& searcher,
                                    const std::string& db) {
  CLIPSEARCH_RETURN_IF_ERROR(check_numbers(query, k, offset));
  PreparedQuery prepared;
  prepared.request = request_of(query, k, offset);
  CLIPSEARCH_RETURN_IF_ERROR(restrict_to_annotations(query, db, &prepared.request));
  const ColorRequest color_request{query.color, query.color_weight};
  std::vector<ColorSignature> picture_colors;
  CLIPSEARCH_ASSIGN_OR_RETURN(
      prepared.vector,
      query_vector(query, encoder, searcher, &prepared.request.exclude_ids,
                   color_request_needs_pictures(color_request) ? &picture_colors : nullptr));
  CLIPSEARCH_ASSIGN_OR_RETURN(
      prepared.request.color,
      color_query_make(color_request, picture_colors,
                       {query.names.color, query.names.color_weight, query.names.pictures}));
  return prepared;
}

}  // namespace clipsearch::search
