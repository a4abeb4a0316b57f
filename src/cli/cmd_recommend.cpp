// `clipsearch click` and `clipsearch recommend`: clicks per user, kept in the catalog, and
// images like the user's recent clicks (src/search/recommend.h); users with no clicks get the
// most clicked images.
#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/index_session.h"
#include "core/path_json.h"
#include "index/annotations.h"
#include "search/recommend.h"

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

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int run_click(const ClickArgs& a) {
  const std::string db = a.db.empty() ? catalog_default_path() : a.db;
  auto annotations = Annotations::open(db);
  if (!annotations.ok()) return report_error(annotations.status());
  for (int64_t id : a.ids) {
    if (Status st = (*annotations)->add_click(a.user, id, now_ns()); !st.ok()) {
      return report_error(st);
    }
  }
  return 0;
}

void print_recommendations(const std::vector<std::pair<ImageRecord, float>>& rows,
                           const char* source, bool json) {
  for (const auto& [image, score] : rows) {
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

// Users with no history: the most clicked images (score = their click count).
int recommend_popular(const RecommendArgs& a, IndexSession& session, Annotations& annotations) {
  auto popular = annotations.most_clicked(a.k);
  if (!popular.ok()) return report_error(popular.status());
  std::vector<int64_t> ids;
  std::unordered_map<int64_t, int64_t> clicks;
  for (const ClickCount& c : *popular) {
    ids.push_back(c.image_id);
    clicks[c.image_id] = c.clicks;
  }
  auto images = session.searcher->images(ids);
  if (!images.ok()) return report_error(images.status());
  std::vector<std::pair<ImageRecord, float>> rows;
  for (ImageRecord& image : *images) {
    const auto n = static_cast<float>(clicks[image.id]);
    rows.emplace_back(std::move(image), n);
  }
  if (!a.json) std::cerr << "clipsearch: no clicks from " << a.user << "; most clicked images\n";
  print_recommendations(rows, "popular", a.json);
  return 0;
}

int run_recommend(const RecommendArgs& a) {
  apply_threads(a.threads);
  IndexSessionOptions options;
  options.db = a.db;
  options.load_model = false;  // the taste vector is made of stored image embeddings
  auto session = open_index_session(options);
  if (!session.ok()) return report_error(session.status());
  auto annotations = Annotations::open(session->db);
  if (!annotations.ok()) return report_error(annotations.status());
  auto clicked = (*annotations)->clicks_of(a.user, 0);
  if (!clicked.ok()) return report_error(clicked.status());
  if (clicked->empty()) return recommend_popular(a, *session, **annotations);
  std::vector<search::Embedding> embeddings;
  for (int64_t id : *clicked) {
    auto found = session->searcher->indexed_image(id);
    if (found.ok()) embeddings.push_back(std::move(found->second));
  }
  search::RecommendOptions ro;
  ro.last_n = static_cast<size_t>(a.last);
  ro.recency_weighted = a.recency;
  ro.half_life = a.half_life;
  auto taste = search::recommend_taste_vector(embeddings, ro);
  if (!taste.ok()) return report_error(taste.status());
  search::SearchRequest request;
  request.k = a.k;
  request.exclude_ids = *clicked;  // never recommend what the user has already seen
  auto page = session->searcher->search(*taste, request);
  if (!page.ok()) return report_error(page.status());
  std::vector<std::pair<ImageRecord, float>> rows;
  for (search::SearchResult& r : page->results) rows.emplace_back(std::move(r.image), r.score);
  print_recommendations(rows, "clicks", a.json);
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
