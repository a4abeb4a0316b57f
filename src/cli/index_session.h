// What the commands that read an index share: opening the catalog for searching, loading the
// model it was built with (or the one named, which must match), and the --db option.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "clipsearch/image.h"
#include "clipsearch/status.h"
#include "search/query_embedder.h"
#include "search/searcher.h"

namespace clipsearch::cli {

struct IndexSessionOptions {
  std::string db;     // empty: the default catalog
  std::string model;  // empty: the model the index was built with
  bool load_model = true;
  search::IndexChoice index = search::IndexChoice::kAuto;
  DecodeOptions decode;
};

struct IndexSession {
  std::string db;
  std::unique_ptr<search::Searcher> searcher;
  std::unique_ptr<search::QueryEmbedder> embedder;  // null unless load_model
};

// Opens the catalog (notes about rebuilt index files go to stderr) and, when asked, loads the
// model and checks it is the one that embedded the library.
Result<IndexSession> open_index_session(const IndexSessionOptions& options);

// Adds `--db FILE` with the default catalog's path in its help.
void add_db_option(CLI::App* cmd, std::string* db);

}  // namespace clipsearch::cli
