// `clipsearch similarity`: how well each text describes an image: the cosine similarity and the
// probabilities CLIP's logits give over the texts (docs/SEARCH.md says what the numbers mean).
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/image_options.h"
#include "clipsearch/library.h"
#include "core/path_json.h"

namespace clipsearch::cli {
namespace {

struct SimilarityArgs {
  std::vector<std::string> images;
  std::vector<std::string> texts;
  std::string model;
  bool json = false;
  int threads = 0;
  Precision precision = Precision::kFloat32;
  Device device;  // auto
  ImageCliOptions image_options;
};

void print_similarity(const std::string& image, const std::vector<TextScore>& scores, bool json) {
  if (json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const TextScore& s : scores) {
      rows.push_back({{"text", s.text}, {"cosine", s.cosine}, {"probability", s.probability}});
    }
    std::cout << "{\"image\": " << path_json(image) << ", \"texts\": " << rows.dump() << "}\n";
    return;
  }
  std::cout << path_json(image) << "\n";
  for (const TextScore& s : scores) {
    char numbers[64];
    std::snprintf(numbers, sizeof numbers, "  cosine %7.4f  probability %6.2f%%  ", s.cosine,
                  100.0 * s.probability);
    std::cout << numbers << s.text << "\n";
  }
}

int run_similarity(const SimilarityArgs& a) {
  apply_threads(a.threads);
  if (a.texts.empty()) return report_error(Status::error("similarity: give at least one --text"));
  auto decode = image_decode_options(a.image_options);
  if (!decode.ok()) return report_error(decode.status());
  LibraryOptions options;
  options.model = a.model;
  options.model_options.precision = a.precision;
  options.model_options.device = a.device;
  options.model_options.on_device = print_device_line;
  options.decode = *decode;
  options.download_progress = terminal_progress();
  auto library = Library::open_model(options);
  if (!library.ok()) return report_error(library.status());
  if (Status st = (*library)->load_model(); !st.ok()) return report_error(st);
  int exit = 0;
  for (const std::string& image : a.images) {
    auto scores = (*library)->similarity(QueryPicture{image, "", image}, a.texts);
    if (!scores.ok()) {
      exit = report_error(scores.status());
      if (!is_picture_error(scores.status())) return exit;  // the texts: every image would fail
      continue;
    }
    print_similarity(image, *scores, a.json);
  }
  return exit;
}

}  // namespace

void add_similarity_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<SimilarityArgs>();
  CLI::App* cmd = app.add_subcommand(
      "similarity", "Score texts against images: cosine similarity and CLIP's probabilities");
  cmd->add_option("--image", args->images, "Image file (repeatable)")->required();
  cmd->add_option("--text", args->texts, "Text to score (repeatable)")->required();
  add_model_option(cmd, &args->model, "model, vocabulary and preprocessing");
  cmd->add_flag("--json", args->json, "One JSON object per image");
  add_threads_option(cmd, &args->threads);
  add_precision_option(cmd, &args->precision);
  add_device_option(cmd, &args->device);
  add_image_options(cmd, &args->image_options);
  cmd->callback([args, exit_code] { *exit_code = run_similarity(*args); });
}

}  // namespace clipsearch::cli
