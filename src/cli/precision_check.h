// `clipsearch quantize --check`: how a lower precision would change this user's own search. A
// sample of the catalog's pictures and a set of text queries are embedded at float32 and at each
// precision; the report gives, per precision, the recall@10 of the lower-precision search against
// the float32 one (the share of each query's float32 top 10 that the other finds too), the
// cosine between the two embeddings of each picture, and the speed of both.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/model.h"
#include "clipsearch/status.h"

namespace clipsearch::cli {

struct PrecisionCheckOptions {
  std::string db;                     // the catalog whose pictures are sampled
  std::string model_dir;              // a local model folder (resolved)
  std::vector<Precision> precisions;  // compared with kFloat32; none: bf16, f16, int8, int8-dynamic
  int64_t sample = 200;               // pictures, spread evenly over the catalog's ids
  std::string queries_file;           // one query per line; empty: the built-in set
};

struct PrecisionCheckRow {
  Precision precision = Precision::kFloat32;
  double recall_at_10 = 0;  // mean over the queries
  double mean_cosine = 0;   // between the two embeddings of each picture
  double least_cosine = 0;  // the smallest of them
  double images_per_s = 0;  // the image tower on the sample (decoding excluded)
  double query_ms = 0;      // median of the queries, one at a time
};

struct PrecisionCheck {
  int64_t images = 0;   // pictures embedded (the sample, less those unreadable now)
  int64_t skipped = 0;  // sampled pictures that could not be read
  int64_t queries = 0;
  int64_t k = 10;         // the recall's depth (fewer when the sample is smaller)
  PrecisionCheckRow f32;  // speed only
  std::vector<PrecisionCheckRow> rows;
};

// Runs the check; progress lines go to stderr.
Result<PrecisionCheck> run_precision_check(const PrecisionCheckOptions& options);

// The built-in queries: everyday photo searches.
const std::vector<std::string>& default_check_queries();

}  // namespace clipsearch::cli
