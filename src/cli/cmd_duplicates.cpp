// `clipsearch duplicates`: groups of indexed images whose embeddings are nearly identical
// (resized copies, re-encodes, bursts), with sizes and paths to choose what to keep. Never
// deletes anything.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "clipsearch/library.h"
#include "core/path_json.h"
#include "search/duplicates.h"

namespace clipsearch::cli {
namespace {

struct DuplicatesArgs {
  double threshold = search::kDefaultDuplicateThreshold;
  bool json = false;
  std::string db;
  int threads = 0;
};

void print_group(const DuplicateGroup& group, bool json) {
  const std::vector<ImageInfo>& images = group.images;
  if (json) {
    std::cout << "{\"min_similarity\": " << nlohmann::json(group.min_similarity).dump()
              << ", \"images\": [";
    for (size_t i = 0; i < images.size(); ++i) {
      const ImageInfo& r = images[i];
      std::cout << (i ? ", " : "") << "{\"id\": " << r.id << ", \"path\": " << path_json(r.path)
                << ", \"size\": " << r.bytes << ", \"width\": " << r.width
                << ", \"height\": " << r.height << "}";
    }
    std::cout << "]}\n";
    return;
  }
  char head[96];
  std::snprintf(head, sizeof head, "%zu images, similarity >= %.4f\n", images.size(),
                group.min_similarity);
  std::cout << head;
  for (const ImageInfo& r : images) {
    char facts[64];
    std::snprintf(facts, sizeof facts, "  %5dx%-5d %10lld bytes  ", r.width, r.height,
                  static_cast<long long>(r.bytes));
    std::cout << facts << path_json(r.path) << "\n";
  }
  std::cout << "\n";
}

int run_duplicates(const DuplicatesArgs& a) {
  apply_threads(a.threads);
  LibraryOptions options;
  options.index = VectorIndex::kExact;
  auto library = Library::open(a.db, options);
  if (!library.ok()) return report_error(library.status());
  auto groups = (*library)->duplicates(static_cast<float>(a.threshold));
  for (const std::string& note : (*library)->notes()) std::cerr << "clipsearch: " << note << "\n";
  if (!groups.ok()) return report_error(groups.status());
  for (const DuplicateGroup& g : *groups) print_group(g, a.json);
  if (!a.json) std::cerr << "clipsearch: " << groups->size() << " group(s) of near-duplicates\n";
  return 0;
}

}  // namespace

void add_duplicates_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<DuplicatesArgs>();
  CLI::App* cmd = app.add_subcommand(
      "duplicates", "Groups of near-identical indexed images (nothing is deleted)");
  cmd->add_option("--threshold", args->threshold,
                  "Cosine similarity from which two images count as near-duplicates")
      ->capture_default_str()
      ->check(CLI::Range(-1.0, 1.0));
  cmd->add_flag("--json", args->json, "One JSON object per group");
  add_db_option(cmd, &args->db);
  add_threads_option(cmd, &args->threads);
  cmd->callback([args, exit_code] { *exit_code = run_duplicates(*args); });
}

}  // namespace clipsearch::cli
