// `clipsearch click` and `clipsearch recommend`: clicks per user, kept in the catalog, and
// images like the user's recent clicks (src/search/recommend.h); users with no clicks get the
// most clicked images.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "clipsearch/library.h"
#include "core/path_json.h"

namespace clipsearch::cli {
namespace {

struct ClickArgs {
  std::string user;
  std::vector<int64_t> ids;
  std::string db;
};

struct RecommendArgs {
  std::string user;
  int64_t k = 10;
  int64_t last = 10;
  bool recency = false;
  double half_life = 3;
  bool json = false;
  std::string db;
  int threads = 0;
};

int run_click(const ClickArgs& a) {
  auto library = Library::open(a.db);
  if (!library.ok()) return report_error(library.status());
  for (int64_t id : a.ids) {
    if (Status st = (*library)->record_click(a.user, id); !st.ok()) return report_error(st);
  }
  return 0;
}

void print_recommendations(const std::vector<ScoredImage>& rows, const char* source, bool json) {
  for (const auto& [image, score, time] : rows) {
    if (json) {
      std::cout << "{\"id\": " << image.id << ", \"path\": " << path_json(image.path)
                << ", \"score\": " << nlohmann::json(score).dump() << ", \"source\": \"" << source
                << "\"}\n";
    } else {
      char s[32];
      std::snprintf(s, sizeof s, "%.4f", score);
      std::cout << s << "  " << path_json(image.path) << "\n";
    }
  }
}

int run_recommend(const RecommendArgs& a) {
  apply_threads(a.threads);
  // No model: the taste vector is made of stored image embeddings.
  auto library = Library::open(a.db);
  if (!library.ok()) return report_error(library.status());
  RecommendOptions options;
  options.last_clicks = a.last;
  options.recency_weighted = a.recency;
  options.half_life = a.half_life;
  auto found = (*library)->recommend(a.user, a.k, options);
  for (const std::string& note : (*library)->notes()) std::cerr << "clipsearch: " << note << "\n";
  if (!found.ok()) return report_error(found.status());
  if (found->popular && !a.json) {
    std::cerr << "clipsearch: no clicks from " << a.user << "; most clicked images\n";
  }
  print_recommendations(found->images, found->popular ? "popular" : "clicks", a.json);
  return 0;
}

}  // namespace

void add_click_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ClickArgs>();
  CLI::App* cmd = app.add_subcommand("click", "Record that a user clicked indexed images");
  cmd->add_option("--user", args->user, "User name or id")->required();
  cmd->add_option("ids", args->ids, "Image ids (from search --json)")->required();
  add_db_option(cmd, &args->db);
  cmd->callback([args, exit_code] { *exit_code = run_click(*args); });
}

void add_recommend_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<RecommendArgs>();
  CLI::App* cmd = app.add_subcommand("recommend", "Images like a user's recent clicks");
  cmd->add_option("--user", args->user, "User name or id")->required();
  cmd->add_option("-k,--top", args->k, "Number of results")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--last", args->last, "Clicks that make the user's taste (most recent)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--recency", args->recency, "Weigh recent clicks more (halving every --half-life)");
  cmd->add_option("--half-life", args->half_life, "In clicks, for --recency")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", args->json, "JSON Lines");
  add_db_option(cmd, &args->db);
  add_threads_option(cmd, &args->threads);
  cmd->callback([args, exit_code] { *exit_code = run_recommend(*args); });
}

}  // namespace clipsearch::cli
