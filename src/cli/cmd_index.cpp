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
#include "clipsearch/library.h"
#include "core/path_json.h"
#include "core/progress.h"

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
  int batch_size = 0;  // the device's default
  int video_frames = 8;
  std::string vector_store;  // empty: the catalog's
  int threads = 0;
  Precision precision = Precision::kFloat32;
  Device device;  // auto
  bool quiet = false;
  std::string progress = "auto";
  ImageCliOptions image_options;
};

Result<std::unique_ptr<Library>> open_library(const IndexArgs& args) {
  LibraryOptions options;
  options.model = args.model;
  options.model_options.precision = args.precision;
  options.model_options.device = args.device;
  options.model_options.on_device = print_device_line;
  CLIPSEARCH_ASSIGN_OR_RETURN(options.decode, image_decode_options(args.image_options));
  options.download_progress = terminal_progress();
  return Library::open(args.db, options);
}

std::string summary_json(const IndexingReport& s) {
  std::string out =
      "{\"event\": \"summary\", \"files\": " + std::to_string(s.files) +
      ", \"unchanged\": " + std::to_string(s.unchanged) +
      ", \"embedded\": " + std::to_string(s.embedded) +
      ", \"reused\": " + std::to_string(s.reused) + ", \"moved\": " + std::to_string(s.moved) +
      ", \"touched\": " + std::to_string(s.touched) +
      ", \"colored\": " + std::to_string(s.colored) +
      ", \"removed\": " + std::to_string(s.removed) + ", \"failed\": " + std::to_string(s.failed) +
      ", \"not_images\": " + std::to_string(s.not_images) +
      ", \"decoded\": " + std::to_string(s.decoded) + ", \"videos\": " + std::to_string(s.videos) +
      ", \"frames\": " + std::to_string(s.frames) + ", \"images\": " + std::to_string(s.images) +
      ", \"errors\": " + std::to_string(s.errors) +
      ", \"generation\": " + std::to_string(s.generation) + ", \"failures\": [";
  for (size_t i = 0; i < s.failures.size(); ++i) {
    out += std::string(i ? ", " : "") + "{\"path\": " + path_json(s.failures[i].path) +
           ", \"error\": " + path_json(s.failures[i].message) + "}";
  }
  out += "], \"skipped_roots\": [";
  for (size_t i = 0; i < s.skipped_folders.size(); ++i) {
    out += std::string(i ? ", " : "") + "{\"root\": " + path_json(s.skipped_folders[i].path) +
           ", \"state\": \"" + s.skipped_folders[i].reason + "\"}";
  }
  return out + "]}\n";
}

std::string summary_text(const IndexingReport& s, const std::string& db) {
  return "indexed " + std::to_string(s.files) + " files: " + std::to_string(s.embedded) +
         " embedded, " + std::to_string(s.unchanged) + " unchanged, " + std::to_string(s.moved) +
         " moved, " + std::to_string(s.reused) + " copies, " + std::to_string(s.touched) +
         " touched, " + std::to_string(s.removed) + " removed, " + std::to_string(s.failed) +
         " failed, " + std::to_string(s.not_images) + " not images" +
         (s.colored ? ", " + std::to_string(s.colored) + " given colour signatures" : "") +
         (s.videos ? "; " + std::to_string(s.videos) + " videos (" + std::to_string(s.frames) +
                         " frames)"
                   : "") +
         "\ncatalog " + path_json(db) + ": " + std::to_string(s.images) + " images, " +
         std::to_string(s.errors) + " errors, generation " + std::to_string(s.generation) + "\n";
}

// Runs index or reindex with progress, prints the summary, returns the exit code.
Result<int> run_indexing(Library& library, const IndexArgs& args, const char* label, bool reindex) {
  ProgressStyle style = ProgressStyle::kNone;
  if (!args.quiet && !progress_style_parse(args.progress, stderr, &style)) {
    return Status::invalid_argument("--progress must be auto, bar, lines, json or none");
  }
  Progress progress(style, label);
  IndexingOptions options;
  options.excludes = args.excludes;
  options.batch_size = args.batch_size;
  options.video_frames = args.video_frames;
  options.vector_store = args.vector_store;
  options.workers = args.threads;
  options.on_progress = [&](const IndexingProgress& p) {
    progress.update(p.done, p.total, p.failed);
  };
  Result<IndexingReport> result =
      reindex ? library.reindex(args.output, options) : library.index(args.paths, options);
  if (!result.ok()) {
    progress.stop();
    return result.status();
  }
  progress.finish();
  const IndexingReport& s = *result;
  for (const std::string& w : s.warnings) std::cerr << "clipsearch: warning: " << w << "\n";
  for (const IndexingReport::SkippedFolder& r : s.skipped_folders) {
    std::cerr << "clipsearch: root " << path_json(r.path) << " " << r.message
              << "; not scanned, its " << r.kept << " catalogued files are kept\n";
  }
  const bool json = style == ProgressStyle::kJson;
  std::string out;
  const std::string db = !reindex || args.output.empty() ? library.catalog_path() : args.output;
  if (json) {
    out = summary_json(s);
  } else if (!args.quiet) {
    out = summary_text(s, db);
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
  return s.failures.empty() && s.skipped_folders.empty() ? 0 : kExitPartial;
}

Result<int> run_index(const IndexArgs& args) {
  apply_threads(args.threads);
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Library> library, open_library(args));
  return run_indexing(*library, args, "indexing", false);
}

Result<int> run_reindex(const IndexArgs& args) {
  apply_threads(args.threads);
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Library> library, open_library(args));
  return run_indexing(*library, args, "re-embedding", true);
}

Status run_status(const IndexArgs& args, bool json) {
  IndexArgs plain = args;
  plain.image_options = {};
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Library> library, open_library(plain));
  CLIPSEARCH_ASSIGN_OR_RETURN(LibraryStatus st, library->status(json ? 1000000 : 20));
  std::vector<CameraSize> cameras;
  if (st.model) {  // a catalog made by an index run (else none to count)
    CLIPSEARCH_ASSIGN_OR_RETURN(cameras, library->cameras());
  }
  const std::string& db = st.catalog;
  std::string out;
  if (json) {
    out = "{\"catalog\": " + path_json(db) + ", \"images\": " + std::to_string(st.images) +
          ", \"errors\": " + std::to_string(st.errors) +
          ", \"generation\": " + std::to_string(st.generation);
    if (st.model) {
      out += ", \"model\": " + path_json(st.model->name) + ", \"fingerprint\": \"" +
             st.model->fingerprint + "\", \"embed_dim\": " + std::to_string(st.model->embed_dim) +
             ", \"pipeline\": \"" + st.model->pipeline + "\", \"precision\": \"" +
             st.model->precision + "\"";
    }
    out += ", \"vector_store\": \"" + st.vector_store + "\"";
    if (st.vector_store_bytes) {
      out += ", \"vector_store_bytes\": " + std::to_string(*st.vector_store_bytes);
    }
    if (st.vector_store_recall) {
      out += ", \"vector_store_recall_at_10\": " + std::to_string(*st.vector_store_recall);
    }
    out += ", \"roots\": [";
    for (size_t i = 0; i < st.folders.size(); ++i) {
      out += (i ? ", " : "") + path_json(st.folders[i]);
    }
    out += "], \"kinds\": [";
    for (size_t i = 0; i < st.kinds.size(); ++i) {
      const LibraryStatus::Kind& k = st.kinds[i];
      out += std::string(i ? ", " : "") + "{\"format\": \"" + k.format + "\", \"kind\": \"" +
             (k.video ? "video" : "photo") + "\", \"items\": " + std::to_string(k.items) +
             (k.video ? ", \"frames\": " + std::to_string(k.frames) : std::string()) + "}";
    }
    out += "], \"cameras\": [";
    for (size_t i = 0; i < cameras.size(); ++i) {
      out += std::string(i ? ", " : "") + "{\"camera\": " + path_json(cameras[i].camera) +
             ", \"images\": " + std::to_string(cameras[i].images) + "}";
    }
    out += "], \"failures\": [";
    for (size_t i = 0; i < st.failures.size(); ++i) {
      out += std::string(i ? ", " : "") + "{\"path\": " + path_json(st.failures[i].path) +
             ", \"error\": " + path_json(st.failures[i].message) + "}";
    }
    out += "]}\n";
  } else {
    out = "catalog:    " + path_json(db) + "\n";
    out += "model:      " +
           (st.model ? path_json(st.model->name) + " (" + std::to_string(st.model->embed_dim) +
                           " dimensions, " + st.model->fingerprint.substr(0, 16) + ", " +
                           st.model->pipeline + ", precision " + st.model->precision + ")"
                     : std::string("none")) +
           "\n";
    out += "images:     " + std::to_string(st.images) + "\n";
    out += "errors:     " + std::to_string(st.errors) + "\n";
    out += "generation: " + std::to_string(st.generation) + "\n";
    out += "store:      " + st.vector_store;
    if (st.vector_store_bytes) out += ", " + std::to_string(*st.vector_store_bytes) + " bytes";
    if (st.vector_store == "f16") {
      char recall[64];
      std::snprintf(recall, sizeof recall, "%.3f", st.vector_store_recall.value_or(0));
      out += st.vector_store_recall
                 ? std::string(" (recall@10 against f32 exact: ") + recall + ")"
                 : std::string(" (compact file not built yet: the next search builds it)");
    }
    out += "\n";
    for (const LibraryStatus::Kind& k : st.kinds) {
      out += "kind:       " + k.format + " " + std::to_string(k.items) +
             (k.video ? " videos, " + std::to_string(k.frames) + " frames" : std::string()) + "\n";
    }
    for (const CameraSize& c : cameras) {
      out += "camera:     " + path_json(c.camera) + " " + std::to_string(c.images) + "\n";
    }
    for (const auto& r : st.folders) out += "root:       " + path_json(r) + "\n";
    for (const auto& f : st.failures) {
      out += "failed:     " + path_json(f.path) + ": " + f.message + "\n";
    }
    if (static_cast<int64_t>(st.failures.size()) < st.errors) {
      out += "            ... (--json lists every failure)\n";
    }
  }
  std::cout << out << std::flush;
  if (!std::cout) return Status::io_error("status: cannot write to stdout");
  return Status();
}

void add_common(CLI::App* cmd, IndexArgs* args) {
  cmd->add_option("--db", args->db,
                  "Catalog file (default $XDG_DATA_HOME/clipsearch/index.db, else "
                  "~/.local/share/clipsearch/index.db)");
}

void add_indexing_options(CLI::App* cmd, IndexArgs* args) {
  cmd->add_option("--batch-size", args->batch_size,
                  "Images embedded together; each batch is one transaction (default 32 on "
                  "the CPU, 256 on a GPU)")
      ->check(CLI::Range(1, 4096));
  cmd->add_flag("--quiet", args->quiet, "No progress and no summary (failures still listed)");
  cmd->add_option("--progress", args->progress,
                  "auto (a bar on a terminal, else lines), bar, lines, json (JSON Lines on "
                  "stderr, summary as JSON on stdout) or none")
      ->check(CLI::IsMember({"auto", "bar", "lines", "json", "none"}));
  cmd->add_option("--video-frames", args->video_frames,
                  "Frames embedded per video: one per second up to this many, at the middles "
                  "of equal spans (default 8; 0 leaves videos out)")
      ->check(CLI::Range(0, 64));
  cmd->add_option("--store", args->vector_store,
                  "What exact searches scan, kept in the catalog: f32 (default) or f16 (a copy "
                  "at half the bytes, scanned first, its best candidates rescored over f32; "
                  "`status` shows its recall@10)")
      ->check(CLI::IsMember({"f32", "f16"}));
  add_threads_option(cmd, &args->threads);
  add_precision_option(cmd, &args->precision);
  add_device_option(cmd, &args->device);
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
  reindex->add_option("--model", re->model,
                      "The new model folder (default: the catalog's, for a change of --precision)");
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
