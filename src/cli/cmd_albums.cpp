// `clipsearch albums`: automatic albums from a theme file (src/search/albums.h). Albums are kept
// in the catalog (for `search --album`); a re-run classifies only the images indexed since, and
// a changed theme file (or model) starts the albums afresh. Output: JSON (default), or a folder
// of symlinks per album with --links DIR (never moves or deletes a photo).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
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

struct AlbumsArgs {
  std::string themes;
  bool exclusive = false;
  std::string links;
  std::string db;
  std::string model;
  int threads = 0;
  Precision precision = Precision::kFloat32;
  Device device;  // auto
};

// A name for the link: the photo's file name, made unique with its id when needed.
std::string link_name(const ImageInfo& image, std::map<std::string, int>* used) {
  const std::string base = std::filesystem::path(image.path).filename().string();
  if ((*used)[base]++ == 0) return base;
  return std::to_string(image.id) + "-" + base;
}

Status write_links(const std::string& folder, const std::string& album,
                   const std::vector<ScoredImage>& images) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(folder) / album;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::error(dir.string() + ": cannot create the album folder: " + ec.message());
  std::map<std::string, int> used;
  for (const ScoredImage& member : images) {
    const fs::path link = dir / link_name(member.image, &used);
    if (fs::is_symlink(link, ec)) fs::remove(link, ec);
    if (symlink(member.image.path.c_str(), link.c_str()) != 0) {
      return Status::error(link.string() + ": cannot create the link: " + std::strerror(errno));
    }
  }
  return Status();
}

int run_albums(const AlbumsArgs& a) {
  apply_threads(a.threads);
  LibraryOptions options;
  options.model = a.model;
  options.model_options.precision = a.precision;
  options.model_options.device = a.device;
  options.model_options.on_device = print_device_line;
  options.index = VectorIndex::kExact;
  options.download_progress = terminal_progress();
  auto library = Library::open(a.db, options);
  if (!library.ok()) return report_error(library.status());
  auto update = (*library)->update_albums(a.themes, a.exclusive);
  for (const std::string& note : (*library)->notes()) std::cerr << "clipsearch: " << note << "\n";
  if (!update.ok()) return report_error(update.status());
  std::cerr << "clipsearch: " << update->classified << " image(s) classified"
            << (update->restarted ? " (themes changed: albums made afresh)" : "") << "\n";
  for (const std::string& name : update->albums) {
    auto members = (*library)->album(name);
    if (!members.ok() && members.status().code() != StatusCode::kNotFound) {
      return report_error(members.status());
    }
    const std::vector<ScoredImage> images = members.ok() ? *members : std::vector<ScoredImage>{};
    if (!a.links.empty()) {
      if (Status st = write_links(a.links, name, images); !st.ok()) return report_error(st);
    }
    std::cout << "{\"album\": " << nlohmann::json(name).dump() << ", \"images\": [";
    for (size_t i = 0; i < images.size(); ++i) {
      const ScoredImage& m = images[i];
      std::cout << (i ? ", " : "") << "{\"id\": " << m.image.id
                << ", \"path\": " << path_json(m.image.path)
                << ", \"score\": " << nlohmann::json(m.score).dump() << "}";
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
  add_precision_option(cmd, &args->precision);
  add_device_option(cmd, &args->device);
  cmd->callback([args, exit_code] { *exit_code = run_albums(*args); });
}

}  // namespace clipsearch::cli
