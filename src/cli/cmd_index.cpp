// `clipsearch index`, `reindex` and `status`: build and inspect the catalog (src/index,
// src/indexer). Exit codes: 0 everything indexed; 3 (kExitPartial) some files failed or some
// roots could not be scanned, the rest indexed; 1 fatal (catalog, model, lock, disk).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/image_options.h"
#include "clipsearch/image.h"
#include "clipsearch/model.h"
#include "core/path_json.h"
#include "core/progress.h"
#include "index/catalog.h"
#include "index/crawler.h"
#include "indexer/indexer.h"
#include "indexer/model_identity.h"
#include "search/searcher.h"

namespace clipsearch::cli {
namespace {

constexpr int kExitPartial = 3;
constexpr size_t kFailuresShown = 50;

struct IndexArgs {
  std::vector<std::string> paths;
  std::string db;
  std::string model;
  std::string output;  // reindex only
  std::vector<std::string> excludes;
  int batch_size = 32;
  int threads = 0;
  bool quiet = false;
  std::string progress = "auto";
  ImageCliOptions image_options;
};

const char* root_state_name(RootState s) {
  switch (s) {
    case RootState::kOk:
      return "ok";
    case RootState::kMissing:
      return "missing";
    case RootState::kUnreadable:
      return "unreadable";
    case RootState::kEmpty:
      return "empty";
  }
  return "?";
}

std::string db_path(const std::string& db) { return db.empty() ? catalog_default_path() : db; }

// The model named by --model, else the one the catalog was made with.
Result<std::string> model_name(const IndexArgs& args, Catalog& catalog) {
  if (!args.model.empty()) {
    std::error_code ec;
    return std::filesystem::is_directory(args.model, ec) ? absolute_path(args.model) : args.model;
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(auto stored, catalog.model());
  if (!stored) {
    return Status::error(catalog.path() + ": a new catalog needs --model (a model folder)");
  }
  return stored->name;
}

struct LoadedModel {
  std::unique_ptr<Model> model;
  PreprocessConfig config;
  DecodeOptions decode;
  ModelIdentity identity;
};

Result<LoadedModel> load_model(const std::string& name, const ImageCliOptions& image_options) {
  LoadedModel m;
  CLIPSEARCH_ASSIGN_OR_RETURN(m.model, Model::load(name));
  CLIPSEARCH_ASSIGN_OR_RETURN(m.config, preprocess_config_load(name));
  CLIPSEARCH_ASSIGN_OR_RETURN(m.decode, image_decode_options(image_options));
  const int64_t size = m.model->info().image_size;
  if (!m.config.do_center_crop || m.config.crop_height != size || m.config.crop_width != size) {
    return Status::error(name + ": the preprocessing crops to " +
                         std::to_string(m.config.crop_height) + "x" +
                         std::to_string(m.config.crop_width) + ", the model takes " +
                         std::to_string(size) + "x" + std::to_string(size));
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(m.identity, model_identity(*m.model, name, m.decode));
  return m;
}

// Runs the indexer with progress, prints the summary, returns the exit code.
Result<int> run_indexer(Catalog& catalog, LoadedModel& m, const IndexArgs& args,
                        std::vector<CatalogRoot> roots, const char* label) {
  ProgressStyle style = ProgressStyle::kNone;
  if (!args.quiet && !progress_style_parse(args.progress, stderr, &style)) {
    return Status::error("--progress must be auto, bar, lines, json or none");
  }
  Progress progress(style, label);
  IndexOptions options;
  options.roots = std::move(roots);
  options.batch_size = args.batch_size;
  options.workers = args.threads;
  options.decode = m.decode;
  options.on_progress = [&](const IndexProgress& p) { progress.update(p.done, p.total, p.failed); };
  Result<IndexStats> result = index_library(catalog, *m.model, m.config, options);
  if (!result.ok()) {
    progress.stop();
    return result.status();
  }
  progress.finish();
  // The vector file (and the HNSW graph of a large library) for the next searches: written now
  // so that the first search maps them instead of reading the catalog.
  if (auto searcher = search::Searcher::open(catalog.path()); !searcher.ok()) {
    std::cerr << "clipsearch: warning: index files not written: " << searcher.status().message()
              << "\n";
  }
  const IndexStats& s = *result;
  for (const SkippedRoot& r : s.skipped_roots) {
    std::cerr << "clipsearch: root " << path_json(r.root) << " " << r.message
              << "; not scanned, its " << r.kept << " catalogued files are kept\n";
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(CatalogStats totals, catalog.stats());
  const bool json = style == ProgressStyle::kJson;
  std::string out;
  if (json) {
    out = "{\"event\": \"summary\", \"files\": " + std::to_string(s.files) +
          ", \"unchanged\": " + std::to_string(s.unchanged) +
          ", \"embedded\": " + std::to_string(s.embedded) +
          ", \"reused\": " + std::to_string(s.reused) + ", \"moved\": " + std::to_string(s.moved) +
          ", \"touched\": " + std::to_string(s.touched) +
          ", \"colored\": " + std::to_string(s.colored) +
          ", \"removed\": " + std::to_string(s.removed) +
          ", \"failed\": " + std::to_string(s.failed) +
          ", \"not_images\": " + std::to_string(s.not_images) +
          ", \"decoded\": " + std::to_string(s.decoded) +
          ", \"images\": " + std::to_string(totals.images) +
          ", \"errors\": " + std::to_string(totals.errors) +
          ", \"generation\": " + std::to_string(totals.generation) + ", \"failures\": [";
    for (size_t i = 0; i < s.failures.size(); ++i) {
      out += std::string(i ? ", " : "") + "{\"path\": " + path_json(s.failures[i].path) +
             ", \"error\": " + path_json(s.failures[i].message) + "}";
    }
    out += "], \"skipped_roots\": [";
    for (size_t i = 0; i < s.skipped_roots.size(); ++i) {
      out += std::string(i ? ", " : "") + "{\"root\": " + path_json(s.skipped_roots[i].root) +
             ", \"state\": \"" + root_state_name(s.skipped_roots[i].state) + "\"}";
    }
    out += "]}\n";
  } else if (!args.quiet) {
    out = "indexed " + std::to_string(s.files) + " files: " + std::to_string(s.embedded) +
          " embedded, " + std::to_string(s.unchanged) + " unchanged, " + std::to_string(s.moved) +
          " moved, " + std::to_string(s.reused) + " copies, " + std::to_string(s.touched) +
          " touched, " + std::to_string(s.removed) + " removed, " + std::to_string(s.failed) +
          " failed, " + std::to_string(s.not_images) + " not images" +
          (s.colored ? ", " + std::to_string(s.colored) + " given colour signatures" : "") +
          "\ncatalog " + path_json(catalog.path()) + ": " + std::to_string(totals.images) +
          " images, " + std::to_string(totals.errors) + " errors, generation " +
          std::to_string(totals.generation) + "\n";
  }
  if (!json && !s.failures.empty()) {
    std::string lines = std::to_string(s.failures.size()) + " files failed:\n";
    for (size_t i = 0; i < s.failures.size() && i < kFailuresShown; ++i) {
      lines += "  " + path_json(s.failures[i].path) + ": " + s.failures[i].message + "\n";
    }
    if (s.failures.size() > kFailuresShown) {
      lines += "  ... (`clipsearch status` lists them all)\n";
    }
    std::cerr << lines;
  }
  std::cout << out << std::flush;
  return s.failures.empty() && s.skipped_roots.empty() ? 0 : kExitPartial;
}

Result<int> run_index(const IndexArgs& args) {
  apply_threads(args.threads);
  if (args.paths.empty() && !args.excludes.empty()) {
    return Status::error(
        "index: --exclude applies to the PATHs given with it (the catalog's "
        "roots keep the excludes they were indexed with)");
  }
  const std::string db = db_path(args.db);
  CLIPSEARCH_ASSIGN_OR_RETURN(CatalogLock lock, CatalogLock::acquire(db));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                              Catalog::open(db, Catalog::Mode::kReadWrite));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string name, model_name(args, *catalog));
  CLIPSEARCH_ASSIGN_OR_RETURN(LoadedModel m, load_model(name, args.image_options));
  CLIPSEARCH_RETURN_IF_ERROR(catalog->bind_model(m.identity));
  std::vector<CatalogRoot> roots;
  for (const auto& p : args.paths) roots.push_back({0, p, args.excludes});
  return run_indexer(*catalog, m, args, std::move(roots), "indexing");
}

void remove_db_files(const std::string& db) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((db + suffix).c_str());
}

Result<int> run_reindex(const IndexArgs& args) {
  apply_threads(args.threads);
  const std::string db = db_path(args.db);
  CLIPSEARCH_ASSIGN_OR_RETURN(CatalogLock lock, CatalogLock::acquire(db));
  std::vector<CatalogRoot> roots;
  {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> old,
                                Catalog::open(db, Catalog::Mode::kReadOnly));
    CLIPSEARCH_ASSIGN_OR_RETURN(roots, old->roots());
  }
  if (roots.empty()) return Status::error(db + ": the catalog has no roots to re-embed");
  const bool in_place = args.output.empty();
  const std::string out = in_place ? db + ".reindex" : args.output;
  std::unique_ptr<CatalogLock> out_lock;
  if (!in_place) {
    CLIPSEARCH_ASSIGN_OR_RETURN(CatalogLock l, CatalogLock::acquire(out));
    out_lock = std::make_unique<CatalogLock>(std::move(l));
    std::error_code ec;
    if (std::filesystem::exists(out, ec)) {
      return Status::error(out + ": exists; --output must name a new catalog");
    }
  }
  remove_db_files(out);  // a half-made catalog from an interrupted reindex
  CLIPSEARCH_ASSIGN_OR_RETURN(LoadedModel m, load_model(args.model, args.image_options));
  int code = 0;
  {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> fresh,
                                Catalog::open(out, Catalog::Mode::kReadWrite));
    CLIPSEARCH_RETURN_IF_ERROR(fresh->bind_model(m.identity));
    for (auto& r : roots) r.id = 0;
    CLIPSEARCH_ASSIGN_OR_RETURN(code, run_indexer(*fresh, m, args, roots, "re-embedding"));
  }  // closing the last connection checkpoints and removes the -wal file
  if (!in_place) return code;
  // Swap: the old catalog stays whole until the new one is complete.
  {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> old,
                                Catalog::open(db, Catalog::Mode::kReadWrite));
    Status st = old->detach_wal();
    if (!st.ok()) {
      return Status::error(st.message() + "; the re-embedded catalog is complete at " + out +
                           ": move it over " + db + " when nothing uses the catalog");
    }
  }
  if (std::rename(out.c_str(), db.c_str()) != 0) {
    return Status::error(out + ": cannot rename over " + db + ": " + std::strerror(errno));
  }
  const std::string dir = std::filesystem::path(db).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return code;
}

Status run_status(const IndexArgs& args, bool json) {
  const std::string db = db_path(args.db);
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                              Catalog::open(db, Catalog::Mode::kReadOnly));
  CLIPSEARCH_ASSIGN_OR_RETURN(auto model, catalog->model());
  CLIPSEARCH_ASSIGN_OR_RETURN(CatalogStats stats, catalog->stats());
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<CatalogRoot> roots, catalog->roots());
  CLIPSEARCH_ASSIGN_OR_RETURN(auto failures, catalog->failures(json ? 1000000 : 20));
  std::string out;
  if (json) {
    out = "{\"catalog\": " + path_json(db) + ", \"images\": " + std::to_string(stats.images) +
          ", \"errors\": " + std::to_string(stats.errors) +
          ", \"generation\": " + std::to_string(stats.generation);
    if (model) {
      out += ", \"model\": " + path_json(model->name) + ", \"fingerprint\": \"" +
             model->fingerprint + "\", \"embed_dim\": " + std::to_string(model->embed_dim) +
             ", \"pipeline\": \"" + model->pipeline + "\"";
    }
    out += ", \"roots\": [";
    for (size_t i = 0; i < roots.size(); ++i) out += (i ? ", " : "") + path_json(roots[i].path);
    out += "], \"failures\": [";
    for (size_t i = 0; i < failures.size(); ++i) {
      out += std::string(i ? ", " : "") + "{\"path\": " + path_json(failures[i].first) +
             ", \"error\": " + path_json(failures[i].second) + "}";
    }
    out += "]}\n";
  } else {
    out = "catalog:    " + path_json(db) + "\n";
    out += "model:      " +
           (model ? path_json(model->name) + " (" + std::to_string(model->embed_dim) +
                        " dimensions, " + model->fingerprint.substr(0, 16) + ", " +
                        model->pipeline + ")"
                  : std::string("none")) +
           "\n";
    out += "images:     " + std::to_string(stats.images) + "\n";
    out += "errors:     " + std::to_string(stats.errors) + "\n";
    out += "generation: " + std::to_string(stats.generation) + "\n";
    for (const auto& r : roots) out += "root:       " + path_json(r.path) + "\n";
    for (const auto& [path, error] : failures) {
      out += "failed:     " + path_json(path) + ": " + error + "\n";
    }
    if (static_cast<int64_t>(failures.size()) < stats.errors) {
      out += "            ... (--json lists every failure)\n";
    }
  }
  std::cout << out << std::flush;
  if (!std::cout) return Status::error("status: cannot write to stdout");
  return Status();
}

void add_common(CLI::App* cmd, IndexArgs* args) {
  cmd->add_option("--db", args->db,
                  "Catalog file (default $XDG_DATA_HOME/clipsearch/index.db, else "
                  "~/.local/share/clipsearch/index.db)");
}

void add_indexing_options(CLI::App* cmd, IndexArgs* args) {
  cmd->add_option("--batch-size", args->batch_size,
                  "Images embedded together; each batch is one transaction (default 32)")
      ->check(CLI::Range(1, 4096));
  cmd->add_flag("--quiet", args->quiet, "No progress and no summary (failures still listed)");
  cmd->add_option("--progress", args->progress,
                  "auto (a bar on a terminal, else lines), bar, lines, json (JSON Lines on "
                  "stderr, summary as JSON on stdout) or none")
      ->check(CLI::IsMember({"auto", "bar", "lines", "json", "none"}));
  add_threads_option(cmd, &args->threads);
  add_image_options(cmd, &args->image_options);
}

}  // namespace

void add_index_commands(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<IndexArgs>();
  CLI::App* index = app.add_subcommand(
      "index",
      "Add the images under PATH... to the catalog, or bring it up to date (no PATH: the "
      "catalog's roots). Exit 0: all indexed; 3: some files failed or roots were skipped");
  index->add_option("paths", args->paths, "Folders or files to index");
  add_common(index, args.get());
  index->add_option("--model", args->model,
                    "Model folder (default: the catalog's model; a new catalog needs one)");
  index->add_option("--exclude", args->excludes,
                    "Glob of files or folders to skip, matched on the path relative to the "
                    "root and on the name (repeatable)");
  add_indexing_options(index, args.get());
  index->callback([args, exit_code] {
    Result<int> r = run_index(*args);
    *exit_code = r.ok() ? *r : report_error(r.status());
  });

  auto re = std::make_shared<IndexArgs>();
  CLI::App* reindex = app.add_subcommand(
      "reindex",
      "Re-embed every root of the catalog with another model into a fresh catalog, which "
      "replaces the old one when complete (or goes to --output)");
  add_common(reindex, re.get());
  reindex->add_option("--model", re->model, "The new model folder")->required();
  reindex->add_option("--output", re->output, "Write the new catalog here instead");
  add_indexing_options(reindex, re.get());
  reindex->callback([re, exit_code] {
    Result<int> r = run_reindex(*re);
    *exit_code = r.ok() ? *r : report_error(r.status());
  });

  auto st = std::make_shared<IndexArgs>();
  auto json = std::make_shared<bool>(false);
  CLI::App* status = app.add_subcommand(
      "status", "The catalog: model, image and error counts, generation, roots, failures");
  add_common(status, st.get());
  status->add_flag("--json", *json, "One JSON object");
  status->callback([st, json, exit_code] {
    Status s = run_status(*st, *json);
    *exit_code = s.ok() ? 0 : report_error(s);
  });
}

}  // namespace clipsearch::cli
