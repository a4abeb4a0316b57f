// Library's albums and recommendations: kept in the catalog's annotations, computed by the same
// functions of src/search that the CLI and the server use.
#include <algorithm>
#include <memory>
#include <utility>

#include "api/library_impl.h"
#include "index/annotations.h"
#include "search/album_store.h"
#include "search/albums.h"
#include "search/recommender.h"

namespace clipsearch {
namespace {

std::vector<ScoredImage> scored(const std::vector<search::SearchResult>& results) {
  std::vector<ScoredImage> out;
  for (const search::SearchResult& r : results)
    out.push_back({image_info(r.image), r.score, std::nullopt});
  return out;
}

}  // namespace

namespace {

Result<AlbumsUpdate> update_albums_with(Library::Impl& impl, const search::ThemeFile& themes,
                                        const AlbumsOptions& options) {
  CLIPSEARCH_ASSIGN_OR_RETURN(search::QueryEmbedder * embedder, impl.query_embedder());
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl.current_searcher());
  const search::ScanControl control{options.on_progress, options.cancelled};
  const auto total = static_cast<int64_t>(themes.themes.size()) + searcher->size();
  CLIPSEARCH_ASSIGN_OR_RETURN(search::ThemeVectors vectors,
                              search::album_theme_vectors(themes, *embedder, control, total));
  search::AlbumUpdate update;
  CLIPSEARCH_RETURN_IF_ERROR(impl.with_annotations([&](Annotations& annotations) -> Status {
    CLIPSEARCH_ASSIGN_OR_RETURN(update, search::albums_update(*searcher, annotations, themes,
                                                              vectors, options.exclusive, control));
    return Status();
  }));
  AlbumsUpdate out;
  out.classified = static_cast<int64_t>(update.classified);
  out.restarted = update.restarted;
  for (const search::Theme& theme : themes.themes) out.albums.push_back(theme.name);
  return out;
}

}  // namespace

Result<AlbumsUpdate> Library::update_albums(const std::string& theme_file, bool exclusive) {
  CLIPSEARCH_ASSIGN_OR_RETURN(search::ThemeFile themes, search::album_themes_load(theme_file));
  AlbumsOptions options;
  options.exclusive = exclusive;
  return update_albums_with(*impl_, themes, options);
}

Result<AlbumsUpdate> Library::update_albums_from_text(const std::string& themes_json,
                                                      const std::string& name, bool exclusive) {
  AlbumsOptions options;
  options.exclusive = exclusive;
  return update_albums_from_text(themes_json, name, options);
}

Result<AlbumsUpdate> Library::update_albums_from_text(const std::string& themes_json,
                                                      const std::string& name,
                                                      const AlbumsOptions& options) {
  CLIPSEARCH_ASSIGN_OR_RETURN(search::ThemeFile themes,
                              search::album_themes_parse(themes_json, name));
  return update_albums_with(*impl_, themes, options);
}

Result<std::vector<AlbumSize>> Library::albums() {
  std::vector<AlbumSize> sizes;
  CLIPSEARCH_RETURN_IF_ERROR(impl_->with_annotations([&](Annotations& annotations) -> Status {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<std::string> names, annotations.album_names());
    for (const std::string& name : names) {
      CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<AlbumMember> members, annotations.album(name));
      sizes.push_back({name, static_cast<int64_t>(members.size())});
    }
    return Status();
  }));
  return sizes;
}

Result<std::vector<ScoredImage>> Library::album(const std::string& name) {
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  std::vector<search::SearchResult> members;
  CLIPSEARCH_RETURN_IF_ERROR(impl_->with_annotations([&](Annotations& annotations) -> Status {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<std::string> names, annotations.album_names());
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return Status::not_found("album '" + name + "': no such album");
    }
    CLIPSEARCH_ASSIGN_OR_RETURN(members, search::album_images(*searcher, annotations, name));
    return Status();
  }));
  return scored(members);
}

Status Library::record_click(const std::string& user, int64_t image_id) {
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  // A click on an image that is not searchable would only be ignored later: refuse it now.
  CLIPSEARCH_RETURN_IF_ERROR(searcher->indexed_image(image_id).status());
  return impl_->with_annotations(
      [&](Annotations& annotations) { return search::record_click(annotations, user, image_id); });
}

Result<Recommendations> Library::recommend(const std::string& user, int64_t k,
                                           const RecommendOptions& options) {
  if (k < 0) return Status::invalid_argument("recommend: the number of results must be 0 or more");
  if (options.last_clicks < 1) {
    return Status::invalid_argument("recommend: last_clicks must be 1 or more");
  }
  if (!(options.half_life > 0)) {
    return Status::invalid_argument("recommend: the half life must be above 0");
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  search::RecommendOptions internal;
  internal.last_n = static_cast<size_t>(options.last_clicks);
  internal.recency_weighted = options.recency_weighted;
  internal.half_life = options.half_life;
  search::Recommendations found;
  CLIPSEARCH_RETURN_IF_ERROR(impl_->with_annotations([&](Annotations& annotations) -> Status {
    CLIPSEARCH_ASSIGN_OR_RETURN(
        found, search::recommend_for_user(*searcher, annotations, user, k, internal));
    return Status();
  }));
  return Recommendations{scored(found.results), found.popular};
}

}  // namespace clipsearch
