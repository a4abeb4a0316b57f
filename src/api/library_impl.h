// What the parts of Library (library.cpp, library_index.cpp, library_zero_shot.cpp,
// library_albums.cpp) share.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "clipsearch/library.h"
#include "index/annotations.h"
#include "index/catalog.h"
#include "search/query_embedder.h"
#include "search/query_plan.h"
#include "search/searcher.h"

namespace clipsearch {

struct Library::Impl {
  std::string db;  // empty: a Library of a model alone (open_model)
  LibraryOptions options;

  // kInvalidArgument for a Library without a catalog (`what` needs one).
  Status needs_catalog(const char* what) const;

  // The searcher and the model are opened on first use and kept; `mutex` guards the opening
  // (both are thread-safe once open). `encoder` embeds queries through `embedder` (directly, or
  // batched across threads), so it is declared after it: it goes first.
  std::mutex mutex;
  std::unique_ptr<search::Searcher> searcher;
  std::unique_ptr<search::QueryEmbedder> embedder;
  std::string embedder_model;  // the name it was loaded by (index() shares it)
  std::unique_ptr<search::QueryEncoder> encoder;
  // The connection open() checked an existing catalog with (guarded by `mutex`): status() reads
  // through it and the searcher takes it over, so a search opens the catalog once, not twice.
  // index() and reindex() close it: a reader left open would keep the -wal file and block
  // reindex's swap.
  std::unique_ptr<Catalog> catalog;

  void close_catalog();

  // The searcher, opened on first use (`fresh`: by this call, so already current).
  Result<search::Searcher*> opened_searcher(bool* fresh);
  // The searcher, brought up to date with the catalog's latest committed generation.
  Result<search::Searcher*> current_searcher();
  // The model that embedded the catalog (or options.model, which must be the same).
  Result<search::QueryEmbedder*> query_embedder();
  // The encoder of queries' texts and pictures (loads the model).
  Result<search::QueryEncoder*> query_encoder();
  // A model name (options.model or the catalog's) as a folder: hub names are fetched.
  Result<std::string> model_folder(const std::string& name) const;
  // Runs fn with the catalog's annotations (one SQLite connection, opened on first use and kept,
  // used by one call at a time).
  Status with_annotations(const std::function<Status(Annotations&)>& fn);
  // Forgets the searcher and the model (the catalog was replaced).
  void reset();

 private:
  std::mutex annotations_mutex_;
  std::unique_ptr<Annotations> annotations_;
};

ImageInfo image_info(const ImageRecord& record);

}  // namespace clipsearch
