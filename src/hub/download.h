// One file of a hub repository into the cache (hf_hub_download's protocol): metadata by HEAD,
// a resumable GET into blobs/<etag>.incomplete under the blob's lock, the content checked
// against the etag, then renamed to blobs/<etag> and linked from snapshots/<commit>/<file>.
#pragma once

#include <string>

#include "clipsearch/hub.h"

namespace clipsearch::hub {

struct Fetched {
  bool found = false;  // false: the repository has no such file (404 EntryNotFound)
  std::string path;    // snapshots/<commit>/<file> when found
  std::string commit;
};

// Fetches `file` of `repo` at `revision` (a branch, tag or commit). Offline, only the cache is
// read. A missing repository or revision, a refused token, a checksum mismatch or a network
// failure is an error naming the repository and the file.
Result<Fetched> hub_fetch(const HubOptions& options, const std::string& repo,
                          const std::string& revision, const std::string& file,
                          ProgressSink* progress);

// Whether `repo` has `file` at `revision`, by its metadata alone (HEAD; nothing is downloaded).
// Offline, or when the cache already knows the answer, nothing is asked; offline and unknown
// is false.
Result<bool> hub_probe(const HubOptions& options, const std::string& repo,
                       const std::string& revision, const std::string& file);

// The hash a hub etag stands for: sha256 of the content (64 hex digits, LFS files) or the git
// blob sha1 (40 hex digits, small files). Returns an error naming `path` on a mismatch; an
// etag of another form is not checked.
Status verify_etag(const std::string& path, const std::string& etag);

}  // namespace clipsearch::hub
