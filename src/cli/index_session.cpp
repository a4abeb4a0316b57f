#include "cli/index_session.h"

#include "cli/cli_util.h"
#include "index/catalog.h"
#include "indexer/model_identity.h"

namespace clipsearch::cli {

Result<IndexSession> open_index_session(const IndexSessionOptions& options) {
  IndexSession session;
  session.db = options.db.empty() ? catalog_default_path() : options.db;
  search::SearcherOptions searcher_options;
  searcher_options.index = options.index;
  CLIPSEARCH_ASSIGN_OR_RETURN(session.searcher,
                              search::Searcher::open(session.db, searcher_options));
  for (const std::string& note : session.searcher->notes()) {
    std::cerr << "clipsearch: " << note << "\n";
  }
  if (!options.load_model) return session;
  CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<ModelIdentity> stored, session.searcher->model());
  if (!stored) {
    return Status::error(session.db + ": the index is empty (run `clipsearch index` first)");
  }
  const std::string name = options.model.empty() ? stored->name : options.model;
  std::string model_dir = name;
  CLIPSEARCH_RETURN_IF_ERROR(resolve_model_arg(&model_dir));
  CLIPSEARCH_ASSIGN_OR_RETURN(session.embedder,
                              search::QueryEmbedder::load(model_dir, options.decode));
  CLIPSEARCH_ASSIGN_OR_RETURN(ModelIdentity identity,
                              model_identity(session.embedder->model(), name, options.decode));
  CLIPSEARCH_RETURN_IF_ERROR(session.searcher->check_model(identity));
  return session;
}

void add_db_option(CLI::App* cmd, std::string* db) {
  cmd->add_option("--db", *db, "Catalog file (default: " + catalog_default_path() + ")");
}

}  // namespace clipsearch::cli
