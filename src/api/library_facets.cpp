// Library::folders() and cameras(): the folders and cameras a search can be narrowed to, with
// their images.
#include <map>
#include <string>
#include <vector>

#include "api/library_impl.h"
#include "clipsearch/library.h"
#include "core/paths.h"
#include "index/catalog.h"

namespace clipsearch {
namespace {

// "/a/b" -> "/a"; "/a" -> "/"; "/" -> "".
std::string parent_of(const std::string& path) {
  if (path == "/") return "";
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Each folder's own count added to it and to every parent up to the root that holds it (files
// outside every root, from a root since removed, count for their own folder only).
std::map<std::string, int64_t> totals_up_to_roots(const std::vector<ValueCount>& direct,
                                                  const std::vector<CatalogRoot>& roots) {
  std::map<std::string, int64_t> totals;
  for (const ValueCount& f : direct) {
    const CatalogRoot* root = nullptr;
    for (const CatalogRoot& r : roots) {
      if (path_is_under(f.value, r.path) && (!root || r.path.size() > root->path.size())) root = &r;
    }
    std::string folder = f.value;
    do {
      totals[folder] += f.items;
      if (!root || folder == root->path) break;
      folder = parent_of(folder);
    } while (!folder.empty() && path_is_under(folder, root->path));
  }
  return totals;
}

}  // namespace

Result<std::vector<FolderSize>> Library::folders() {
  CLIPSEARCH_RETURN_IF_ERROR(impl_->needs_catalog("folders"));
  // A connection of its own (read-only): nothing here needs the searcher's.
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                              Catalog::open(impl_->db, Catalog::Mode::kReadOnly));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<ValueCount> direct, catalog->count_by_folder());
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<CatalogRoot> roots, catalog->roots());
  std::vector<FolderSize> out;
  for (const auto& [path, images] : totals_up_to_roots(direct, roots)) {
    out.push_back({path, images});
  }
  return out;
}

Result<std::vector<CameraSize>> Library::cameras() {
  CLIPSEARCH_RETURN_IF_ERROR(impl_->needs_catalog("cameras"));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                              Catalog::open(impl_->db, Catalog::Mode::kReadOnly));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<ValueCount> counts, catalog->count_by_camera());
  std::vector<CameraSize> out;
  for (const ValueCount& c : counts) out.push_back({c.value, c.items});
  return out;
}

}  // namespace clipsearch
