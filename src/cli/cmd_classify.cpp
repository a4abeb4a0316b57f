// `clipsearch classify`: zero-shot labels for images (files, or every indexed image with --all),
// with prompt ensembling over templates; --store keeps the top labels in the catalog for
// `search --tag`.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/image_options.h"
#include "clipsearch/library.h"
#include "core/path_json.h"
#include "search/zero_shot.h"

namespace clipsearch::cli {
namespace {

struct ClassifyArgs {
  std::string labels;
  std::vector<std::string> templates;
  std::vector<std::string> images;
  bool all = false;
  int64_t top = 5;
  bool store = false;
  bool json = false;
  std::string db;
  std::string model;
  int threads = 0;
  Precision precision = Precision::kFloat32;
  Device device;  // auto
  ImageCliOptions image_options;
};

void print_labels(const std::string& path, int64_t id, const std::vector<TextScore>& labels,
                  bool json) {
  if (json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const TextScore& l : labels) {
      rows.push_back({{"label", l.text}, {"probability", l.probability}, {"cosine", l.cosine}});
    }
    std::cout << "{\"path\": " << path_json(path);
    if (id >= 0) std::cout << ", \"id\": " << id;
    std::cout << ", \"labels\": " << rows.dump() << "}\n";
    return;
  }
  std::cout << path_json(path) << "\n";
  for (const TextScore& l : labels) {
    char line[64];
    std::snprintf(line, sizeof line, "  %6.2f%%  ", 100.0 * l.probability);
    std::cout << line << l.text << "\n";
  }
}

int classify_files(const ClassifyArgs& a, const std::vector<std::string>& labels,
                   const DecodeOptions& decode) {
  LibraryOptions options;
  options.model = a.model;
  options.model_options.precision = a.precision;
  options.model_options.device = a.device;
  options.model_options.on_device = print_device_line;
  options.decode = decode;
  options.download_progress = terminal_progress();
  auto library = Library::open_model(options);
  if (!library.ok()) return report_error(library.status());
  if (Status st = (*library)->load_model(); !st.ok()) return report_error(st);
  int exit = 0;
  for (const std::string& image : a.images) {
    auto scores = (*library)->classify(QueryPicture{image, "", image}, labels, a.templates);
    if (!scores.ok()) {
      exit = report_error(scores.status());
      if (!is_picture_error(scores.status())) return exit;  // the labels: every image would fail
      continue;
    }
    scores->resize(std::min(scores->size(), static_cast<size_t>(a.top)));
    print_labels(image, -1, *scores, a.json);
  }
  return exit;
}

// --all: every indexed image, through the Library (which stores the labels with --store).
int classify_index(const ClassifyArgs& a, const std::vector<std::string>& labels,
                   const DecodeOptions& decode) {
  LibraryOptions options;
  options.model = a.model;
  options.model_options.precision = a.precision;
  options.model_options.device = a.device;
  options.model_options.on_device = print_device_line;
  options.index = VectorIndex::kExact;
  options.decode = decode;
  options.download_progress = terminal_progress();
  auto library = Library::open(a.db, options);
  if (!library.ok()) return report_error(library.status());
  auto rows = (*library)->classify_all(labels, a.templates, static_cast<size_t>(a.top), a.store);
  for (const std::string& note : (*library)->notes()) std::cerr << "clipsearch: " << note << "\n";
  if (!rows.ok()) return report_error(rows.status());
  for (const ImageLabels& row : *rows)
    print_labels(row.image.path, row.image.id, row.labels, a.json);
  if (a.store) {
    std::cerr << "clipsearch: stored the top " << a.top << " labels of " << rows->size()
              << " images (search with --tag LABEL)\n";
  }
  return 0;
}

int run_classify(const ClassifyArgs& a) {
  apply_threads(a.threads);
  if (a.all == !a.images.empty()) {
    return report_error(Status::error("classify: give image files or --all, not both"));
  }
  if (a.store && !a.all) return report_error(Status::error("classify: --store needs --all"));
  auto decode = image_decode_options(a.image_options);
  if (!decode.ok()) return report_error(decode.status());
  auto labels = search::zero_shot_parse_labels(a.labels);
  if (!labels.ok()) return report_error(labels.status());
  if (a.all) return classify_index(a, *labels, *decode);
  return classify_files(a, *labels, *decode);
}

}  // namespace

void add_classify_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ClassifyArgs>();
  CLI::App* cmd = app.add_subcommand("classify", "Zero-shot labels for images");
  cmd->add_option("--labels", args->labels, "Comma-separated labels, e.g. \"cat,dog,car\"")
      ->required();
  cmd->add_option("--template", args->templates,
                  "Prompt template with {} for the label (repeatable; averaged). Default: \"a "
                  "photo of a {}.\" (Chinese-CLIP: \"{}的照片。\")");
  cmd->add_option("images", args->images, "Image files");
  cmd->add_flag("--all", args->all, "Classify every indexed image");
  cmd->add_option("--top", args->top, "Labels shown (and stored) per image")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--store", args->store, "With --all: keep the labels for `search --tag`");
  cmd->add_flag("--json", args->json, "JSON Lines");
  add_db_option(cmd, &args->db);
  cmd->add_option("--model", args->model,
                  "Model (files: default clip-vit-base-patch32; --all: the index's model)");
  add_threads_option(cmd, &args->threads);
  add_precision_option(cmd, &args->precision);
  add_device_option(cmd, &args->device);
  add_image_options(cmd, &args->image_options);
  cmd->callback([args, exit_code] { *exit_code = run_classify(*args); });
}

}  // namespace clipsearch::cli
