// clipsearch::Query: one search, built step by step: what to look for (texts, pictures, indexed
// examples, negative texts, a colour) and which images may answer (folders, dates, sizes,
// formats, cameras, labels, albums, a score cutoff). The CLI, the HTTP server and the Python
// package all build their searches with it, so one request means the same thing wherever it comes
// from.
//
// How the parts become one vector: each text, picture and example is embedded and normalized.
// Texts are averaged into T, pictures and examples into I (each renormalized); with both,
// q = (1 - image_weight) * T + image_weight * I, else whichever there is. Negative texts are
// averaged into N and subtracted: q = normalize(q) - negative_weight * N, normalized again.
// A score is the cosine of q and an image's embedding (mixed with colour similarity when a
// colour is asked for, see color()).
//
//   clipsearch::Query q;
//   q.text("a dog on a beach").negative("people").folder("/photos/2024").min_score(0.2f);
//   auto page = library->search(q, 20);
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "clipsearch/export.h"
#include "clipsearch/status.h"

namespace clipsearch {

// The share of pictures when texts and pictures are combined, and how much of the negative
// texts' direction is removed, when a query does not say.
inline constexpr float kDefaultImageWeight = 0.5f;
inline constexpr float kDefaultNegativeWeight = 0.5f;

enum class SortOrder { kScore, kDateNewest, kDateOldest };

// Query values as people write them (the CLI's flags, the HTTP API's parameters), parsed once for
// every client; errors are kInvalidArgument and quote the text.
// "2024-06-01" or "2024-06-01T13:45:00", a naive wall-clock time as dates taken are stored, in
// ns; a day alone means its first (or, with end_of_day, its last) nanosecond.
CLIPSEARCH_EXPORT Result<int64_t> parse_query_date(const std::string& text, bool end_of_day);
// "2000000", "500K", "2.5M", "1G" (powers of 1024), in bytes.
CLIPSEARCH_EXPORT Result<int64_t> parse_query_size(const std::string& text);
// "score" (or "relevance"), "date" (newest first), "date-oldest".
CLIPSEARCH_EXPORT Result<SortOrder> parse_sort_order(const std::string& text);

// Which date a date range filters on: the date taken (EXIF DateTimeOriginal, else the file's
// modification time, as ImageInfo::date and the date order use it), or the file's modification
// time alone.
enum class DateField { kTaken, kModified };
// "taken" or "modified".
CLIPSEARCH_EXPORT Result<DateField> parse_date_field(const std::string& text);

// A picture given with the query: a file, or encoded bytes (JPEG, PNG, ...) held in memory.
struct QueryPicture {
  std::string path;   // a file to read, or
  std::string bytes;  // the encoded picture itself (used when path is empty)
  std::string name;   // for messages ("uploaded image"); defaults to the path
};

// What the program calls the query's options, for error messages: the CLI says "--color", the
// HTTP API "'color'", the Python package "color=".
struct QueryOptionNames {
  std::string color = "color";
  std::string color_weight = "color weight";
  std::string pictures = "a picture or an example";  // what gives a query picture
  std::string image_weight = "image weight";
  std::string negative_weight = "negative weight";
};

// Everything a Query holds, as plain fields (the setters of Query fill them).
struct QueryParts {
  std::vector<std::string> texts;
  std::vector<QueryPicture> pictures;
  std::vector<int64_t> example_ids;                // indexed images: "more like this"
  std::vector<std::string> example_paths;          // indexed images by path
  std::vector<std::string> negatives;              // texts to move away from
  float image_weight = kDefaultImageWeight;        // 0..1
  float negative_weight = kDefaultNegativeWeight;  // >= 0
  std::optional<std::string> color;                // "#c0392b", "#f00", "navy"
  std::optional<float> color_weight;               // 0..1; default 0.3 with a colour
  std::vector<std::string> folders;       // only images under one of these (absolute) folders
  std::optional<int64_t> taken_after_ns;  // date taken, ns since the epoch of a wall clock
  std::optional<int64_t> taken_before_ns;
  // file modification time, as a wall-clock time of this machine's time zone (as dates are given)
  std::optional<int64_t> modified_after_ns;
  std::optional<int64_t> modified_before_ns;
  std::optional<int64_t> min_bytes, max_bytes;  // file size
  std::vector<std::string> formats;             // "jpeg", "png", ... (any of them)
  std::vector<std::string> cameras;             // ImageInfo::camera (any of them)
  std::optional<std::string> tag;               // only images labelled so by classify
  float tag_min_probability = 0;
  std::optional<std::string> album;  // only images in this album
  float min_score = -std::numeric_limits<float>::infinity();
  SortOrder sort = SortOrder::kScore;
  QueryOptionNames names;
};

class CLIPSEARCH_EXPORT Query {
 public:
  Query() = default;
  explicit Query(QueryParts parts) : parts_(std::move(parts)) {}

  // What to look for. Each may be given several times.
  Query& text(std::string text);
  Query& picture_file(std::string path);
  Query& picture_bytes(std::string encoded, std::string name = "uploaded image");
  Query& like(int64_t image_id);         // an indexed image: more like it (left out of results)
  Query& like_path(std::string path);    // the same, by its path
  Query& negative(std::string text);     // move away from this text
  Query& image_weight(float weight);     // 0..1
  Query& negative_weight(float weight);  // >= 0
  // Ranks by colour too: scores become (1 - weight) * cosine + weight * colour similarity.
  // Without color(), color_weight() matches the colours of the query's pictures and examples.
  Query& color(std::string css_color);
  Query& color_weight(float weight);

  // Which images may answer. Each narrows the search; several folders or formats mean any.
  Query& folder(std::string absolute_folder);
  // Dates as parse_query_date gives them, both ends included. Taken: the date taken, else the
  // file's modification time. Modified: the modification time alone, read in this machine's
  // time zone. Both may be given; an image must then be in both ranges.
  Query& taken_between(std::optional<int64_t> after_ns, std::optional<int64_t> before_ns);
  Query& modified_between(std::optional<int64_t> after_ns, std::optional<int64_t> before_ns);
  // taken_between or modified_between, as `field` says.
  Query& date_between(DateField field, std::optional<int64_t> after_ns,
                      std::optional<int64_t> before_ns);
  Query& size_between(std::optional<int64_t> min_bytes, std::optional<int64_t> max_bytes);
  Query& format(std::string format);  // "jpeg" ("jpg" too), "png", "webp", ...
  Query& camera(std::string camera);  // as Library::cameras() names it: "Canon EOS R5"
  Query& tag(std::string label, float min_probability = 0);
  Query& album(std::string name);
  Query& min_score(float score);
  Query& sort(SortOrder order);
  Query& option_names(QueryOptionNames names);

  const QueryParts& parts() const { return parts_; }

 private:
  QueryParts parts_;
};

}  // namespace clipsearch
