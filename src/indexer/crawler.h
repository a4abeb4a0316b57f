// The crawler: finds the files under a library root, with the facts (size, mtime) that let the
// indexer skip unchanged files without opening them.
//
// Rules (docs/ARCHITECTURE.md, "Indexing"):
// - hidden files and folders (name starting with '.') are skipped;
// - --exclude globs are matched (fnmatch, FNM_PATHNAME) against the path relative to the root
//   and against the name; an excluded folder is not entered;
// - symbolic links are followed; a folder already on the walk (same device and inode) is not
//   entered again, so link loops end, and a file reachable under several names is listed once,
//   under the first name in sorted walk order;
// - with `sniff`, only files whose first bytes are an allow-listed image or video format are
//   listed (the indexer sniffs later, in its workers, so an unchanged file is never opened);
// - a root that is missing, not readable, or an empty folder (an unmounted drive looks like one)
//   gives a RootScan whose state says so: the indexer then keeps that root's catalog entries.
//   Sub-folders that cannot be read are listed in `unreadable_dirs` for the same reason.
//
// Paths are bytes; nothing here assumes UTF-8. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/paths.h"  // absolute_path: the form of RootScan::root

namespace clipsearch {

struct CrawlOptions {
  std::vector<std::string> excludes;  // fnmatch globs
  bool sniff = true;                  // keep only files recognised as images by content
};

struct CrawledFile {
  std::string path;  // root + "/" + relative path, as found (links not resolved)
  int64_t size = 0;
  int64_t mtime_ns = 0;
};

enum class RootState {
  kOk,          // read; files missing under it may be removed from the catalog
  kMissing,     // does not exist (or a dangling link)
  kUnreadable,  // exists but cannot be listed or read (permissions, I/O error, not a folder)
  kEmpty,       // a folder with no entries at all
};

struct RootScan {
  std::string root;  // absolute, as scanned
  RootState state = RootState::kOk;
  std::string message;                       // why the scan stopped, for every state but kOk
  std::vector<CrawledFile> files;            // sorted by path
  std::vector<std::string> unreadable_dirs;  // under the root: keep their catalog entries
  int64_t skipped_hidden = 0;
  int64_t skipped_excluded = 0;
  int64_t skipped_not_image = 0;  // only with sniff
  int64_t skipped_links = 0;      // dangling links, loops and second names of one file
};

// Scans one root: a folder (walked recursively) or a single file.
RootScan crawl_root(const std::string& root, const CrawlOptions& options);

// True when fnmatch matches `relative` (FNM_PATHNAME) or its last component against any glob.
bool path_excluded(const std::vector<std::string>& globs, const std::string& relative);

}  // namespace clipsearch
