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
#include "core/path_json.h"
#include "search/query_embedder.h"
#include "search/zero_shot.h"

namespace clipsearch::cli {
namespace {

struct SimilarityArgs {
  std::vector<std::string> images;
  std::vector<std::string> texts;
  std::string model;
  bool json = false;
  int threads = 0;
  ImageCliOptions image_options;
};

void print_similarity(const std::string& image, const std::vector<std::string>& texts,
                      const search::Similarity& sim, bool json) {
  if (json) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t t = 0; t < texts.size(); ++t) {
      rows.push_back(
          {{"text", texts[t]}, {"cosine", sim.cosine[t]}, {"probability", sim.probability[t]}});
    }
    std::cout << "{\"image\": " << path_json(image) << ", \"texts\": " << rows.dump() << "}\n";
    return;
  }
  std::cout << path_json(image) << "\n";
  for (size_t t = 0; t < texts.size(); ++t) {
    char numbers[64];
    std::snprintf(numbers, sizeof numbers, "  cosine %7.4f  probability %6.2f%%  ", sim.cosine[t],
                  100.0 * sim.probability[t]);
    std::cout << numbers << texts[t] << "\n";
  }
}

int run_similarity(SimilarityArgs a) {
  apply_threads(a.threads);
  if (a.texts.empty()) return report_error(Status::error("similarity: give at least one --text"));
  auto decode = image_decode_options(a.image_options);
  if (!decode.ok()) return report_error(decode.status());
  if (Status st = resolve_model_arg(&a.model); !st.ok()) return report_error(st);
  auto embedder = search::QueryEmbedder::load(a.model, *decode);
  if (!embedder.ok()) return report_error(embedder.status());
  auto texts = (*embedder)->embed_texts(a.texts);
  if (!texts.ok()) return report_error(texts.status());
  const float logit_scale = (*embedder)->model().info().logit_scale;
  int exit = 0;
  for (const std::string& image : a.images) {
    auto e = (*embedder)->embed_image_file(image);
    if (!e.ok()) {
      exit = report_error(e.status());
      continue;
    }
    print_similarity(image, a.texts, search::zero_shot_similarity(*e, *texts, logit_scale), a.json);
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
  add_image_options(cmd, &args->image_options);
  cmd->callback([args, exit_code] { *exit_code = run_similarity(*args); });
}

}  // namespace clipsearch::cli
