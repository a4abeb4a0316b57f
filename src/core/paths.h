// The one absolute form of a path the user gives: the folders to index (the catalog's roots), the
// folders a query is limited to, the examples a query names by path, a model folder. Catalog rows
// hold paths in this form, so two spellings of one place ("photos/", "./photos", "/x/../photos")
// find the same rows. Paths are bytes; nothing here assumes UTF-8. Thread-safe; a relative path
// is taken against the process's current folder.
#pragma once

#include <string>

namespace clipsearch {

// An absolute, lexically normal form of `path` (relative to the current folder; "." and ".."
// removed, trailing '/' dropped, "/" kept) without resolving symbolic links. When the current
// folder cannot be read, a relative `path` is only normalized.
std::string absolute_path(const std::string& path);

// Whether `path` is `folder` or inside it (both absolute, as absolute_path() gives them):
// "/a/b" is under "/a", "/ab" is not.
bool path_is_under(const std::string& path, const std::string& folder);

}  // namespace clipsearch
