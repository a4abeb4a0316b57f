// `clipsearch search`: query the catalog by text, by picture, by an indexed picture ("more like
// this"), or a mix, with negative prompts, filters, a score cutoff and date ordering.
// Exit codes: 0 results printed (or "nothing matches" above --min-score); 1 errors.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/image_options.h"
#include "clipsearch/library.h"
#include "clipsearch/query.h"
#include "core/path_json.h"
#include "core/paths.h"
#include "search/color_search.h"

namespace clipsearch::cli {
namespace {

struct SearchArgs {
  std::string query;
  std::vector<std::string> texts;
  std::vector<std::string> images;
  std::vector<std::string> like;
  std::vector<int64_t> like_ids;
  std::vector<std::string> negatives;
  float image_weight = kDefaultImageWeight;
  float negative_weight = kDefaultNegativeWeight;
  search::ColorRequest color;  // --color, --color-weight (set when given)
  std::string color_text, color_weight_text;
  int64_t k = 10;
  int64_t offset = 0;
  double min_score = -std::numeric_limits<double>::infinity();
  std::vector<std::string> folders;
  bool all = false;
  std::string since, until;
  std::string date = "taken";  // which date --since and --until filter on
  std::string min_size, max_size;
  std::vector<std::string> types;
  std::vector<std::string> cameras;
  std::string tag;
  double tag_min = 0;
  std::string album;
  std::string sort = "score";
  bool json = false;
  std::string db;
  std::string model;
  std::string index = "auto";
  int threads = 0;
  Precision precision = Precision::kFloat32;
  Device device;  // auto
  ImageCliOptions image_options;
};

// As rclip does: run from inside an indexed library, search that folder; elsewhere, search all.
Result<std::vector<std::string>> default_folders(Library& library) {
  std::error_code ec;
  const std::string cwd = std::filesystem::current_path(ec).lexically_normal().string();
  if (ec) return std::vector<std::string>{};
  CLIPSEARCH_ASSIGN_OR_RETURN(LibraryStatus status, library.status(0));
  for (const std::string& root : status.folders) {
    if (path_is_under(cwd, root)) return std::vector<std::string>{cwd};
  }
  return std::vector<std::string>{};
}

// The command line as a Query (clipsearch/query.h).
Result<Query> make_query(const SearchArgs& a, Library& library) {
  Query q;
  q.option_names(
      {"--color", "--color-weight", "--image or --like", "--image-weight", "--not-weight"});
  if (!a.query.empty()) q.text(a.query);
  for (const std::string& t : a.texts) q.text(t);
  for (const std::string& image : a.images) q.picture_file(image);
  for (const std::string& path : a.like) q.like_path(path);
  for (int64_t id : a.like_ids) q.like(id);
  for (const std::string& n : a.negatives) q.negative(n);
  q.image_weight(a.image_weight).negative_weight(a.negative_weight);
  if (a.color.color) q.color(*a.color.color);
  if (a.color.weight) q.color_weight(*a.color.weight);
  std::vector<std::string> folders = a.folders;
  if (folders.empty() && !a.all) {
    CLIPSEARCH_ASSIGN_OR_RETURN(folders, default_folders(library));
  }
  for (const std::string& f : folders) q.folder(f);
  std::optional<int64_t> since, until, min_size, max_size;
  if (!a.since.empty()) {
    CLIPSEARCH_ASSIGN_OR_RETURN(since, parse_query_date(a.since, false));
  }
  if (!a.until.empty()) {
    CLIPSEARCH_ASSIGN_OR_RETURN(until, parse_query_date(a.until, true));
  }
  if (!a.min_size.empty()) {
    CLIPSEARCH_ASSIGN_OR_RETURN(min_size, parse_query_size(a.min_size));
  }
  if (!a.max_size.empty()) {
    CLIPSEARCH_ASSIGN_OR_RETURN(max_size, parse_query_size(a.max_size));
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(const DateField date, parse_date_field(a.date));
  q.date_between(date, since, until).size_between(min_size, max_size);
  for (const std::string& t : a.types) q.format(t);
  for (const std::string& c : a.cameras) q.camera(c);
  if (!a.tag.empty()) q.tag(a.tag, static_cast<float>(a.tag_min));
  if (!a.album.empty()) q.album(a.album);
  q.min_score(static_cast<float>(a.min_score));
  CLIPSEARCH_ASSIGN_OR_RETURN(const SortOrder sort, parse_sort_order(a.sort));
  q.sort(sort);
  return q;
}

// A video's members: its duration and the time of the frame that found it (none for photos).
std::string video_json(const ScoredImage& r) {
  std::string out;
  if (r.image.duration_ms > 0) {
    out += ", \"duration\": " +
           nlohmann::json(static_cast<double>(r.image.duration_ms) / 1000.0).dump();
  }
  if (r.time) out += ", \"time\": " + nlohmann::json(*r.time).dump();
  return out;
}

void print_results(const SearchResults& page, float min_score, bool json) {
  if (json) {
    for (const ScoredImage& r : page.hits) {
      // path_json is already a JSON string literal (paths are bytes).
      std::cout << "{\"id\": " << r.image.id << ", \"path\": " << path_json(r.image.path)
                << ", \"score\": " << nlohmann::json(r.score).dump() << ", \"score_kind\": \""
                << (page.score_kind == ScoreKind::kProbability ? "probability" : "cosine") << "\""
                << ", \"size\": " << r.image.bytes << ", \"width\": " << r.image.width
                << ", \"height\": " << r.image.height << ", \"format\": \"" << r.image.format
                << "\", \"date\": " << r.image.taken_ns / 1000000000 << video_json(r) << "}\n";
    }
  } else {
    for (const ScoredImage& r : page.hits) {
      char score[32];
      std::snprintf(score, sizeof score, "%.4f", r.score);
      std::cout << score << "  " << path_json(r.image.path);
      if (r.time) {
        char at[48];
        std::snprintf(at, sizeof at, "  at %.3f s", *r.time);
        std::cout << at;
      }
      std::cout << "\n";
    }
  }
  if (page.hits.empty()) {
    if (page.candidates == 0) {
      std::cerr << "clipsearch: nothing to search (no indexed image passes the filters)\n";
    } else if (std::isfinite(page.best_score) && page.best_score < min_score) {
      char line[160];
      std::snprintf(line, sizeof line,
                    "clipsearch: nothing matches: the best score is %.4f, below --min-score %.4f\n",
                    page.best_score, min_score);
      std::cerr << line;
    }
  }
}

// A number, checked for range by color_query_make (which names the option).
Result<float> parse_color_weight(const std::string& text) {
  char* end = nullptr;
  const float w = std::strtof(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || std::isnan(w)) {
    return Status::error("--color-weight: '" + text + "' is not a number between 0 and 1");
  }
  return w;
}

int run_search(const SearchArgs& a) {
  apply_threads(a.threads);
  LibraryOptions options;
  options.model = a.model;
  options.model_options.precision = a.precision;
  options.model_options.device = a.device;
  options.model_options.on_device = print_device_line;
  options.index = a.index == "exact"  ? VectorIndex::kExact
                  : a.index == "hnsw" ? VectorIndex::kHnsw
                                      : VectorIndex::kAuto;
  auto decode = image_decode_options(a.image_options);
  if (!decode.ok()) return report_error(decode.status());
  options.decode = *decode;
  options.download_progress = terminal_progress();
  auto library = Library::open(a.db, options);
  if (!library.ok()) return report_error(library.status());
  auto query = make_query(a, **library);
  if (!query.ok()) return report_error(query.status());
  auto page = (*library)->search(*query, a.k, a.offset);
  for (const std::string& note : (*library)->notes()) std::cerr << "clipsearch: " << note << "\n";
  if (!page.ok()) return report_error(page.status());
  print_results(*page, static_cast<float>(a.min_score), a.json);
  return 0;
}

}  // namespace

void add_search_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<SearchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "search", "Find indexed images by text, by picture or like an indexed one");
  cmd->add_option("query", args->query, "What to look for, in words");
  cmd->add_option("--text", args->texts, "Another text to search for (repeatable; averaged)");
  cmd->add_option("--image", args->images, "Search by a picture file (repeatable)");
  cmd->add_option("--like", args->like, "More like this indexed image (path; repeatable)");
  cmd->add_option("--like-id", args->like_ids, "More like the indexed image with this id");
  cmd->add_option("--image-weight", args->image_weight,
                  "Share of the pictures when combined with text (0..1)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  CLI::Option* color =
      cmd->add_option("--color", args->color_text,
                      "Also rank by colour: #rrggbb, #rgb or a CSS colour name (red, navy, ...)");
  CLI::Option* color_weight = cmd->add_option(
      "--color-weight", args->color_weight_text,
      "Share of colour similarity in the score, 0..1 (0: CLIP only, 1: colour only; default 0.3 "
      "with --color); without --color the query picture's colours are matched");
  cmd->add_option("--not", args->negatives, "Push results away from this text (repeatable)");
  cmd->add_option("--not-weight", args->negative_weight, "How strongly --not texts are subtracted")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-k,--top", args->k, "Number of results")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--offset", args->offset, "Skip this many results (paging)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--min-score", args->min_score,
                  "Only results scoring at least this: a cosine similarity, or for a text "
                  "query on a SigLIP model its probability (0..1) that the text describes the "
                  "image; prints \"nothing matches\" when none does");
  cmd->add_option("--folder", args->folders,
                  "Only images under this folder (repeatable; default: the current folder when "
                  "it lies inside an indexed library)");
  cmd->add_flag("--all", args->all, "Search the whole index, wherever it is run from");
  cmd->add_option("--since", args->since,
                  "Dated on or after this day (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS); which date: "
                  "--date");
  cmd->add_option("--until", args->until, "Dated on or before this day (or time)");
  cmd->add_option("--date", args->date,
                  "The date --since and --until filter on: taken (EXIF, else the file's "
                  "modification time) or modified (the file's modification time)")
      ->capture_default_str()
      ->check(CLI::IsMember({"taken", "modified"}));
  cmd->add_option("--min-size", args->min_size, "File size at least (bytes, or 500K, 2M, 1G)");
  cmd->add_option("--max-size", args->max_size, "File size at most");
  cmd->add_option("--type", args->types, "Only these formats (jpeg, png, webp, gif, tiff, ...)")
      ->delimiter(',');
  cmd->add_option("--camera", args->cameras,
                  "Only images from this camera (EXIF Make and Model as one name, as "
                  "`clipsearch status` lists them; repeat for several)");
  cmd->add_option("--tag", args->tag, "Only images labelled so by `clipsearch classify --store`");
  cmd->add_option("--tag-min", args->tag_min, "With --tag: the label's probability at least");
  cmd->add_option("--album", args->album, "Only images in this album (`clipsearch albums`)");
  cmd->add_option("--sort", args->sort, "Order: score, date (newest first) or date-oldest")
      ->capture_default_str()
      ->check(CLI::IsMember({"score", "date", "date-oldest"}));
  cmd->add_flag("--json", args->json, "JSON Lines: id, path, score, size, width, height, ...");
  add_db_option(cmd, &args->db);
  cmd->add_option("--model", args->model, "Model (default: the one the index was built with)");
  cmd->add_option("--index", args->index, "Vector index: auto, exact or hnsw")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "exact", "hnsw"}));
  add_threads_option(cmd, &args->threads);
  add_precision_option(cmd, &args->precision);
  add_device_option(cmd, &args->device);
  add_image_options(cmd, &args->image_options);
  cmd->callback([args, exit_code, color, color_weight] {
    if (color->count()) args->color.color = args->color_text;
    if (color_weight->count()) {
      auto w = parse_color_weight(args->color_weight_text);
      if (!w.ok()) {
        *exit_code = report_error(w.status());
        return;
      }
      args->color.weight = *w;
    }
    *exit_code = run_search(*args);
  });
}

}  // namespace clipsearch::cli
