#include "cli/precision_check.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "clipsearch/image.h"
#include "clipsearch/library.h"
#include "clipsearch/tokenizer.h"

namespace clipsearch::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kBatch = 32;
constexpr int64_t kMaxSample = 10000;  // the sample's pixels are held in memory (0.6 MB each)

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// `count` catalog paths spread evenly over its ids (all of them when it has fewer).
Result<std::vector<std::string>> sample_paths(Library& library, int64_t count) {
  std::vector<std::string> all;
  int64_t after = 0;
  for (;;) {
    CLIPSEARCH_ASSIGN_OR_RETURN(EmbeddingPage page, library.embeddings(after, 20000));
    if (page.images.empty()) break;
    for (const ImageInfo& image : page.images) all.push_back(image.path);
    after = page.images.back().id;
  }
  if (all.empty()) {
    return Status::invalid_argument(library.catalog_path() +
                                    ": no pictures indexed; run `clipsearch index` first");
  }
  if (static_cast<int64_t>(all.size()) <= count) return all;
  std::vector<std::string> picked;
  for (int64_t i = 0; i < count; ++i) {
    picked.push_back(all[static_cast<size_t>(i * static_cast<int64_t>(all.size()) / count)]);
  }
  return picked;
}

Result<std::vector<std::string>> load_queries(const std::string& file) {
  if (file.empty()) return default_check_queries();
  std::ifstream in(file);
  if (!in) return Status::not_found(file + ": cannot open the queries file");
  std::vector<std::string> queries;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) queries.push_back(line);
  }
  if (queries.empty()) return Status::invalid_argument(file + ": no queries (one per line)");
  return queries;
}

// The embeddings of one precision, and how fast they came.
struct Embedded {
  std::vector<float> images;   // [n, dim], unit length
  std::vector<float> queries;  // [q, dim], unit length
  double images_per_s = 0;
  double query_ms = 0;
};

Result<Embedded> embed_at(const std::string& model_dir, Precision precision,
                          const std::vector<float>& pixels, int64_t n,
                          const std::vector<std::vector<int32_t>>& queries) {
  ModelOptions options;
  options.precision = precision;
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::load(model_dir, options));
  const ModelInfo& info = model->info();
  const int64_t dim = info.embed_dim;
  const int64_t image_floats = 3 * info.image_size * info.image_size;
  Embedded e;
  e.images.resize(static_cast<size_t>(n * dim));
  const Clock::time_point start = Clock::now();
  for (int64_t first = 0; first < n; first += kBatch) {
    const int64_t count = std::min(kBatch, n - first);
    CLIPSEARCH_RETURN_IF_ERROR(model->encode_images(pixels.data() + first * image_floats, count,
                                                    e.images.data() + first * dim));
  }
  e.images_per_s = static_cast<double>(n) / std::max(seconds_since(start), 1e-9);
  e.queries.resize(queries.size() * static_cast<size_t>(dim));
  std::vector<double> ms;
  for (size_t q = 0; q < queries.size(); ++q) {
    const Clock::time_point query_start = Clock::now();
    CLIPSEARCH_RETURN_IF_ERROR(model->encode_texts({queries[q]}, e.queries.data() + q * dim));
    ms.push_back(1000.0 * seconds_since(query_start));
  }
  std::nth_element(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2), ms.end());
  e.query_ms = ms[ms.size() / 2];
  return e;
}

// The ids of the k pictures nearest the query (largest inner product; ties by id).
std::vector<int64_t> top_k(const float* query, const std::vector<float>& images, int64_t dim,
                           int64_t k) {
  const int64_t n = static_cast<int64_t>(images.size()) / dim;
  std::vector<std::pair<float, int64_t>> scored;
  for (int64_t i = 0; i < n; ++i) {
    float dot = 0;
    for (int64_t d = 0; d < dim; ++d) dot += query[d] * images[static_cast<size_t>(i * dim + d)];
    scored.emplace_back(-dot, i);
  }
  std::partial_sort(scored.begin(), scored.begin() + k, scored.end());
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < k; ++i) ids.push_back(scored[static_cast<size_t>(i)].second);
  return ids;
}

PrecisionCheckRow compare(Precision precision, const Embedded& f32, const Embedded& other,
                          int64_t dim, int64_t k) {
  PrecisionCheckRow row;
  row.precision = precision;
  row.images_per_s = other.images_per_s;
  row.query_ms = other.query_ms;
  const int64_t n = static_cast<int64_t>(f32.images.size()) / dim;
  row.least_cosine = 1;
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    double dot = 0;
    for (int64_t d = 0; d < dim; ++d)
      dot += double{f32.images[static_cast<size_t>(i * dim + d)]} *
             other.images[static_cast<size_t>(i * dim + d)];
    sum += dot;
    row.least_cosine = std::min(row.least_cosine, dot);
  }
  row.mean_cosine = sum / static_cast<double>(n);
  const int64_t q = static_cast<int64_t>(f32.queries.size()) / dim;
  double found = 0;
  for (int64_t i = 0; i < q; ++i) {
    std::vector<int64_t> truth = top_k(f32.queries.data() + i * dim, f32.images, dim, k);
    std::vector<int64_t> got = top_k(other.queries.data() + i * dim, other.images, dim, k);
    std::sort(truth.begin(), truth.end());
    std::sort(got.begin(), got.end());
    std::vector<int64_t> both;
    std::set_intersection(truth.begin(), truth.end(), got.begin(), got.end(),
                          std::back_inserter(both));
    found += static_cast<double>(both.size()) / static_cast<double>(k);
  }
  row.recall_at_10 = found / static_cast<double>(q);
  return row;
}

// The sample's pictures, preprocessed for the model; unreadable ones left out (and counted).
Result<std::vector<float>> preprocess_sample(const std::vector<std::string>& paths,
                                             const std::string& model_dir, int64_t* kept) {
  CLIPSEARCH_ASSIGN_OR_RETURN(PreprocessConfig config, preprocess_config_load(model_dir));
  std::vector<float> pixels;
  std::vector<Status> statuses;
  (void)image_preprocess_batch(paths, config, DecodeOptions{}, &pixels, &statuses);
  const size_t image_floats = pixels.size() / std::max<size_t>(paths.size(), 1);
  size_t out = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!statuses[i].ok()) {
      std::cerr << "clipsearch: skipped: " << statuses[i].message() << "\n";
      continue;
    }
    std::copy_n(pixels.begin() + static_cast<std::ptrdiff_t>(i * image_floats), image_floats,
                pixels.begin() + static_cast<std::ptrdiff_t>(out * image_floats));
    ++out;
  }
  pixels.resize(out * image_floats);
  *kept = static_cast<int64_t>(out);
  return pixels;
}

}  // namespace

Result<PrecisionCheck> run_precision_check(const PrecisionCheckOptions& options) {
  if (options.sample < 1 || options.sample > kMaxSample) {
    return Status::invalid_argument("--sample must be between 1 and " + std::to_string(kMaxSample) +
                                    ", got " + std::to_string(options.sample));
  }
  std::error_code ec;
  if (!std::filesystem::exists(options.db, ec)) {
    return Status::not_found(options.db +
                             ": no catalog here (`clipsearch index PATH...` creates one)");
  }
  std::vector<Precision> precisions = options.precisions;
  if (precisions.empty())
    precisions = {Precision::kBFloat16, Precision::kFloat16, Precision::kInt8,
                  Precision::kInt8Dynamic};

  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Library> library, Library::open(options.db));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                              sample_paths(*library, options.sample));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<std::string> texts, load_queries(options.queries_file));
  CLIPSEARCH_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::load(options.model_dir));
  std::vector<std::vector<int32_t>> queries;
  for (const Encoding& e : tokenizer.encode_batch(texts)) queries.push_back(e.ids);

  PrecisionCheck check;
  std::cerr << "clipsearch: decoding " << paths.size() << " sampled pictures\n";
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<float> pixels,
                              preprocess_sample(paths, options.model_dir, &check.images));
  check.skipped = static_cast<int64_t>(paths.size()) - check.images;
  if (check.images == 0) {
    return Status::invalid_argument(options.db + ": none of the " + std::to_string(paths.size()) +
                                    " sampled pictures could be read");
  }
  check.queries = static_cast<int64_t>(queries.size());
  check.k = std::min<int64_t>(10, check.images);

  std::cerr << "clipsearch: embedding at f32\n";
  CLIPSEARCH_ASSIGN_OR_RETURN(Embedded f32, embed_at(options.model_dir, Precision::kFloat32, pixels,
                                                     check.images, queries));
  const int64_t dim = static_cast<int64_t>(f32.images.size()) / check.images;
  check.f32.images_per_s = f32.images_per_s;
  check.f32.query_ms = f32.query_ms;
  check.f32.recall_at_10 = check.f32.mean_cosine = check.f32.least_cosine = 1;
  for (Precision p : precisions) {
    if (p == Precision::kFloat32) continue;
    std::cerr << "clipsearch: embedding at " << precision_name(p) << "\n";
    CLIPSEARCH_ASSIGN_OR_RETURN(Embedded other,
                                embed_at(options.model_dir, p, pixels, check.images, queries));
    check.rows.push_back(compare(p, f32, other, dim, check.k));
  }
  return check;
}

const std::vector<std::string>& default_check_queries() {
  static const std::vector<std::string> queries = {"a dog on a beach",
                                                   "a cat sleeping on a sofa",
                                                   "a sunset over the sea",
                                                   "snowy mountains",
                                                   "a birthday cake with candles",
                                                   "children playing in a park",
                                                   "a city street at night",
                                                   "a plate of pasta",
                                                   "a wedding ceremony",
                                                   "a forest in autumn",
                                                   "a red car",
                                                   "a bicycle leaning on a wall",
                                                   "people hiking on a trail",
                                                   "a baby smiling",
                                                   "a cup of coffee on a table",
                                                   "fireworks in the sky",
                                                   "a lake with a wooden pier",
                                                   "a group photo of friends",
                                                   "a horse in a field",
                                                   "a bowl of fruit",
                                                   "an airplane in the sky",
                                                   "a bridge over a river",
                                                   "a garden full of flowers",
                                                   "a person swimming in a pool",
                                                   "a snowman",
                                                   "a christmas tree",
                                                   "a concert crowd",
                                                   "a train station",
                                                   "a boat on the water",
                                                   "a desert landscape",
                                                   "a waterfall",
                                                   "a portrait of an old man",
                                                   "a kitchen interior",
                                                   "a living room with a sofa",
                                                   "a bird on a branch",
                                                   "a close-up of a flower",
                                                   "a football match",
                                                   "a laptop on a desk",
                                                   "a street market",
                                                   "a castle",
                                                   "a lighthouse on a cliff",
                                                   "a rainy window",
                                                   "a tent at a campsite",
                                                   "a skier going downhill",
                                                   "a surfer riding a wave",
                                                   "a plate of sushi",
                                                   "a pizza",
                                                   "a glass of red wine",
                                                   "a cityscape from above",
                                                   "a child riding a bike",
                                                   "a black and white photo",
                                                   "a selfie",
                                                   "a screenshot of text",
                                                   "a document or receipt",
                                                   "a map",
                                                   "a museum painting",
                                                   "a statue",
                                                   "a church interior",
                                                   "a swimming pool at a hotel",
                                                   "palm trees",
                                                   "a tropical island",
                                                   "a field of sunflowers",
                                                   "a farm with cows",
                                                   "a puppy",
                                                   "a kitten",
                                                   "a fish in an aquarium",
                                                   "an elephant",
                                                   "a giraffe",
                                                   "a zoo",
                                                   "a playground",
                                                   "a school classroom",
                                                   "a graduation",
                                                   "a hospital room",
                                                   "a birthday party",
                                                   "a dinner with family",
                                                   "a barbecue",
                                                   "a picnic on the grass",
                                                   "a road trip",
                                                   "a motorcycle",
                                                   "a bus",
                                                   "a sailboat",
                                                   "a harbour with boats",
                                                   "a night sky with stars",
                                                   "the moon",
                                                   "a thunderstorm",
                                                   "fog over hills",
                                                   "a frozen lake",
                                                   "ice skating",
                                                   "a hot air balloon",
                                                   "a carnival",
                                                   "a dancer on stage",
                                                   "a guitar",
                                                   "a piano",
                                                   "books on a shelf",
                                                   "a cozy bedroom",
                                                   "shoes",
                                                   "a handbag",
                                                   "a watch",
                                                   "jewellery",
                                                   "a summer beach holiday"};
  return queries;
}

}  // namespace clipsearch::cli
