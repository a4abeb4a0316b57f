// huggingface_hub's cache layout (shared with Python: a folder written by either is read by the
// other). Paths only; nothing here touches the network.
//   <cache>/models--owner--name/blobs/<etag>[.incomplete]
//   <cache>/models--owner--name/snapshots/<commit>/<file> -> ../../blobs/<etag> (relative)
//   <cache>/models--owner--name/refs/<revision>           the commit, no newline
//   <cache>/models--owner--name/.no_exist/<commit>/<file> empty: the file is known missing
//   <cache>/.locks/models--owner--name/<etag>.lock        taken while downloading a blob
#pragma once

#include <string>

#include "clipsearch/status.h"

namespace clipsearch::hub {

struct RepoCache {
  std::string root;   // <cache>/models--owner--name
  std::string locks;  // <cache>/.locks/models--owner--name

  RepoCache(const std::string& cache_dir, const std::string& repo);
  std::string blob(const std::string& etag) const { return root + "/blobs/" + etag; }
  std::string snapshot(const std::string& commit) const { return root + "/snapshots/" + commit; }
  std::string pointer(const std::string& commit, const std::string& file) const {
    return snapshot(commit) + "/" + file;
  }
  std::string no_exist(const std::string& commit, const std::string& file) const {
    return root + "/.no_exist/" + commit + "/" + file;
  }
  std::string ref(const std::string& revision) const { return root + "/refs/" + revision; }
};

// "models--owner--name" (huggingface_hub's repo_folder_name).
std::string repo_folder(const std::string& repo);
bool is_commit_hash(const std::string& revision);  // 40 lower-case hex digits

// The commit a revision names in the cache: itself when a commit hash, else refs/<revision>.
Result<std::string> cached_commit(const RepoCache& cache, const std::string& revision);
// Writes refs/<revision> (atomically) unless the revision is the commit itself.
Status write_ref(const RepoCache& cache, const std::string& revision, const std::string& commit);
// Points snapshots/<commit>/<file> at blobs/<etag> with a relative symlink.
Status link_snapshot(const RepoCache& cache, const std::string& commit, const std::string& file,
                     const std::string& etag);
// Records that `file` does not exist at `commit` (.no_exist), as huggingface_hub does.
void mark_missing(const RepoCache& cache, const std::string& commit, const std::string& file);

// Puts `source`, a file of another repository's snapshot, into snapshots/<commit>/<file> as a
// blob of this repository: hard-linked to the other repository's blob (copied where a hard link
// cannot be made) under the same etag, then linked like a downloaded file. Every snapshot then
// points only into its own repository's blobs/, as huggingface_hub assumes: its delete-cache
// removes a revision's blobs with it, which must never take another repository's files along.
Status adopt_file(const RepoCache& cache, const std::string& commit, const std::string& file,
                  const std::string& source);

}  // namespace clipsearch::hub
