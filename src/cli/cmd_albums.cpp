// `clipsearch albums`: automatic albums from a theme file (src/search/albums.h). Albums are kept
// in the catalog (for `search --album`); a re-run classifies only the images indexed since, and
// a changed theme file (or model) starts the albums afresh. Output: JSON (default), or a folder
// of symlinks per album with --links DIR (never moves or deletes a photo).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
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
#include "indexer/model_identity.h"
#include "search/albums.h"
#include "search/zero_shot.h"

namespace clipsearch::cli {
namespace {

struct AlbumsArgs {
  std::string themes;
  bool exclusive = false;
  std::string links;
  std::string db;
  std::string model;
  int threads = 0;
};

struct ThemeVectors {
  std::vector<search::Embedding> vectors;
  std::vector<float> thresholds;
};

Result<ThemeVectors> theme_vectors(const search::ThemeFile& file, search::QueryEmbedder& embedder) {
  const auto& templates = file.templates.empty() ? search::kDefaultTemplates : file.templates;
  ThemeVectors out;
  for (const search::Theme& theme : file.themes) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<std::string> prompts,
                                search::zero_shot_prompts(theme.keywords, templates));
    CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<search::Embedding> prompt_vectors,
                                embedder.embed_texts(prompts));
    CLIPSEARCH_ASSIGN_OR_RETURN(
        std::vector<search::Embedding> keyword_vectors,
        search::zero_shot_label_vectors(prompt_vectors, theme.keywords.size(), templates.size()));
    CLIPSEARCH_ASSIGN_OR_RETURN(search::Embedding v,
                                search::query_vector_combine(keyword_vectors, {}, {}));
    out.vectors.push_back(std::move(v));
    out.thresholds.push_back(theme.threshold);
  }
  return out;
}

// Changes whenever the themes, the exclusive flag or the model change.
std::string themes_fingerprint(const search::ThemeFile& file, bool exclusive,
                               const std::string& model_fingerprint) {
  nlohmann::json j;
  for (const search::Theme& t : file.themes) {
    j["themes"].push_back({{"name", t.name}, {"keywords", t.keywords}, {"threshold", t.threshold}});
  }
  j["templates"] = file.templates;
  j["exclusive"] = exclusive;
  j["model"] = model_fingerprint;
  const std::string text = j.dump();
  return hex(sha256_bytes(text.data(), text.size()));
}

// Classifies the images not yet classified against these themes and stores their albums.
Result<size_t> classify_new_images(IndexSession& session, Annotations& annotations,
                                   const search::ThemeFile& file, const ThemeVectors& themes,
                                   bool exclusive, const std::string& fingerprint) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<int64_t> todo,
                              annotations.images_without_album_run(fingerprint));
  std::sort(todo.begin(), todo.end());
  std::vector<int64_t> done;
  std::vector<std::pair<std::string, AlbumMember>> members;
  CLIPSEARCH_RETURN_IF_ERROR(session.searcher->with_rows([&](const VectorView& rows) {
    for (int64_t r = 0; r < rows.count; ++r) {
      if (!std::binary_search(todo.begin(), todo.end(), rows.ids[r])) continue;
      const float* v = rows.vectors + r * rows.dim;
      std::vector<float> scores;
      const auto joined =
          search::album_membership(search::Embedding(v, v + rows.dim), themes.vectors,
                                   themes.thresholds, exclusive, &scores);
      for (size_t t : joined) {
        members.push_back({file.themes[t].name, AlbumMember{rows.ids[r], scores[t]}});
      }
      done.push_back(rows.ids[r]);
    }
    return Status();
  }));
  CLIPSEARCH_RETURN_IF_ERROR(annotations.put_album_run(fingerprint, done, members));
  return done.size();
}

// A name for the link: the photo's file name, made unique with its id when needed.
std::string link_name(const ImageRecord& image, std::map<std::string, int>* used) {
  const std::string base = std::filesystem::path(image.path).filename().string();
  if ((*used)[base]++ == 0) return base;
  return std::to_string(image.id) + "-" + base;
}

Status write_links(const std::string& folder, const std::string& album,
                   const std::vector<ImageRecord>& images) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(folder) / album;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::error(dir.string() + ": cannot create the album folder: " + ec.message());
  std::map<std::string, int> used;
  for (const ImageRecord& image : images) {
    const fs::path link = dir / link_name(image, &used);
    if (fs::is_symlink(link, ec)) fs::remove(link, ec);
    if (symlink(image.path.c_str(), link.c_str()) != 0) {
      return Status::error(link.string() + ": cannot create the link: " + std::strerror(errno));
    }
  }
  return Status();
}

int run_albums(const AlbumsArgs& a) {
  apply_threads(a.threads);
  auto file = search::album_themes_load(a.themes);
  if (!file.ok()) return report_error(file.status());
  IndexSessionOptions options;
  options.db = a.db;
  options.model = a.model;
  options.index = search::IndexChoice::kExact;
  auto session = open_index_session(options);
  if (!session.ok()) return report_error(session.status());
  auto themes = theme_vectors(*file, *session->embedder);
  if (!themes.ok()) return report_error(themes.status());
  auto stored_model = session->searcher->model();
  if (!stored_model.ok()) return report_error(stored_model.status());
  const std::string fingerprint =
      themes_fingerprint(*file, a.exclusive, (*stored_model)->fingerprint);
  auto annotations = Annotations::open(session->db);
  if (!annotations.ok()) return report_error(annotations.status());
  auto restarted = (*annotations)->use_album_themes(fingerprint);
  if (!restarted.ok()) return report_error(restarted.status());
  auto classified =
      classify_new_images(*session, **annotations, *file, *themes, a.exclusive, fingerprint);
  if (!classified.ok()) return report_error(classified.status());
  std::cerr << "clipsearch: " << *classified << " image(s) classified"
            << (*restarted ? " (themes changed: albums made afresh)" : "") << "\n";
  for (const search::Theme& theme : file->themes) {
    auto members = (*annotations)->album(theme.name);
    if (!members.ok()) return report_error(members.status());
    std::vector<int64_t> ids;
    std::unordered_map<int64_t, float> score_of;
    for (const AlbumMember& m : *members) {
      ids.push_back(m.image_id);
      score_of[m.image_id] = m.score;
    }
    auto images = session->searcher->images(ids);
    if (!images.ok()) return report_error(images.status());
    if (!a.links.empty()) {
      if (Status st = write_links(a.links, theme.name, *images); !st.ok()) return report_error(st);
    }
    std::cout << "{\"album\": " << nlohmann::json(theme.name).dump() << ", \"images\": [";
    for (size_t i = 0; i < images->size(); ++i) {
      std::cout << (i ? ", " : "") << "{\"id\": " << (*images)[i].id
                << ", \"path\": " << path_json((*images)[i].path)
                << ", \"score\": " << nlohmann::json(score_of[(*images)[i].id]).dump() << "}";
    }
    std::cout << "]}\n";
  }
  return 0;
}

}  // namespace

void add_albums_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<AlbumsArgs>();
  CLI::App* cmd = app.add_subcommand("albums", "Automatic albums from themes (JSON file)");
  cmd->add_option("--themes", args->themes, "Theme file (see docs/SEARCH.md)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_flag("--exclusive", args->exclusive, "Each image joins only its best album");
  cmd->add_option("--links", args->links,
                  "Also make a folder per album of symbolic links to its photos, under DIR");
  add_db_option(cmd, &args->db);
  cmd->add_option("--model", args->model, "Model (default: the one the index was built with)");
  add_threads_option(cmd, &args->threads);
  cmd->callback([args, exit_code] { *exit_code = run_albums(*args); });
}

}  // namespace clipsearch::cli
