// How a clipsearch::Query (clipsearch/query.h) becomes what a Searcher runs: its parts embedded,
// its examples looked up, its labels and albums turned into id lists, its filters and colour
// checked. The one place a query is assembled: the library, the CLI and the server call it, each
// with its own QueryEncoder (the server batches concurrent queries' forward passes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/query.h"
#include "clipsearch/status.h"
#include "image/color_signature.h"
#include "search/color_search.h"
#include "search/query_embedder.h"
#include "search/query_vector.h"
#include "search/searcher.h"

namespace clipsearch::search {

// Embeds the texts and pictures of queries.
class QueryEncoder {
 public:
  virtual ~QueryEncoder() = default;
  // One normalized embedding per text, in order. An empty text is an invalid argument.
  virtual Result<std::vector<Embedding>> texts(const std::vector<std::string>& texts) = 0;
  // `color`, when not null, receives the picture's colour signature from the same decode.
  virtual Result<Embedding> picture(const QueryPicture& picture, ColorSignature* color) = 0;
};

// A QueryEncoder that calls a QueryEmbedder directly (one query at a time). Null: no model is
// loaded (a query of indexed examples only); a text or picture is then an error.
class EmbedderQueryEncoder : public QueryEncoder {
 public:
  explicit EmbedderQueryEncoder(QueryEmbedder* embedder) : embedder_(embedder) {}
  Result<std::vector<Embedding>> texts(const std::vector<std::string>& texts) override;
  Result<Embedding> picture(const QueryPicture& picture, ColorSignature* color) override;

 private:
  QueryEmbedder* embedder_;
};

struct PreparedQuery {
  Embedding vector;
  SearchRequest request;
};

// The query checked and resolved against `searcher` (its catalog at `db`, for labels and
// albums), for the page [offset, offset + k). Errors: kInvalidArgument for what the query asks
// that cannot be (weights out of range, an empty text, nothing to search for, a bad colour);
// kNotFound for an example, label or album that does not exist. Messages name the options
// as query.names does.
Result<PreparedQuery> prepare_query(const QueryParts& query, int64_t k, int64_t offset,
                                    QueryEncoder& encoder, Searcher& searcher,
                                    const std::string& db);

// The error for a picture sent as bytes that cannot be read: corrupt, whatever the decoder
// calls it (an I/O error reading bytes in memory is the bytes' fault), or unsupported.
Status unreadable_picture(const Status& decode_error);

// A normalized format name: "jpg" is "jpeg", letters are lower case.
std::string query_format_name(const std::string& format);

}  // namespace clipsearch::search
