// Models by name: presets, Hugging Face repositories and local folders, resolved to a local
// folder that Model::load, Tokenizer::load and preprocess_config_load accept.
//
// Downloads follow huggingface_hub (0.36): HEAD {endpoint}/{repo}/resolve/{revision}/{file}
// for the commit (X-Repo-Commit), the content hash (X-Linked-Etag or ETag) and the size, then a
// GET of the file (or of the CDN location it redirects to), resumed with Range from a
// `.incomplete` file, checked against the hash (sha256 for LFS files, the git blob sha1 for
// small ones) and stored in huggingface_hub's cache layout:
//   <cache>/models--owner--name/blobs/<etag>
//   <cache>/models--owner--name/snapshots/<commit>/<file>   relative symlink to ../../blobs/<etag>
//   <cache>/models--owner--name/refs/<revision>             the commit of a branch or tag
// so a cache written by huggingface_hub is reused and one written here is readable by it.
//
// HubOptions::from_environment() reads HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN (or the
// token file $HF_HOME/token) and HF_HUB_OFFLINE; nothing else in the library reads the
// environment. Calls are blocking and may run concurrently on different caches; two processes
// downloading the same file take turns on huggingface_hub's lock file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/export.h"
#include "clipsearch/status.h"

namespace clipsearch {

struct CLIPSEARCH_EXPORT HubOptions {
  std::string endpoint = "https://huggingface.co";
  std::string cache_dir;  // the hub cache (…/huggingface/hub)
  std::string token;      // sent as "Authorization: Bearer <token>" when not empty
  bool offline = false;   // cache only: no network access at all
  int retries = 5;        // extra attempts after a dropped connection (resumed with Range)

  static HubOptions from_environment();
};

// Receives download progress. Called from the downloading thread.
class CLIPSEARCH_EXPORT ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // `total` may be 0 when unknown; `resumed_from` bytes were already on disk.
  virtual void start(const std::string& file, uint64_t total, uint64_t resumed_from) = 0;
  virtual void update(uint64_t done) = 0;  // bytes of the file now on disk
  virtual void finish() = 0;
};

// A progress bar on stderr (bytes, rate, ETA) when stderr is a terminal; nullptr otherwise.
CLIPSEARCH_EXPORT ProgressSink* terminal_progress();

struct ModelPreset {
  const char* name;  // "clip-vit-base-patch32"
  const char* repo;  // "openai/clip-vit-base-patch32"
  const char* description;
};
CLIPSEARCH_EXPORT const std::vector<ModelPreset>& model_presets();
constexpr const char* kDefaultModel = "clip-vit-base-patch32";

// `spec`: an existing folder (always wins), a preset name, or a repository id
// "owner/name[@revision]". Returns the folder holding the model's files (the cache snapshot
// for a repository), downloading what is missing unless offline. A repository with a CLIP
// config.json is read as a Hugging Face CLIPModel; one with open_clip_config.json (and
// open_clip_model.safetensors, else open_clip_pytorch_model.bin) as open_clip, its snapshot
// given CLIP's BPE tokenizer from openai/clip-vit-base-patch32 when it has none, so the folder
// always holds a tokenizer. An open_clip text tower from Hugging Face (text_cfg.hf_tokenizer_name,
// hf_model_name: the xlm-roberta CLIPs) gets that repository's tokenizer.json instead, and the
// hf_model_name repository's config.json as hf_text_config.json.
CLIPSEARCH_EXPORT Result<std::string> resolve_model(const std::string& spec,
                                                    const HubOptions& options,
                                                    ProgressSink* progress);

// What the cache holds, per repository and revision.
struct CachedModel {
  std::string repo;      // "openai/clip-vit-base-patch32"
  std::string revision;  // a ref name ("main") or, for a snapshot no ref points to, the commit
  std::string commit;
  uint64_t bytes = 0;          // size of the files of the snapshot
  bool complete = false;       // a configuration and its weights are there (config.json and
                               // model.safetensors, or the open_clip files)
  uint64_t partial_bytes = 0;  // in unfinished downloads (.incomplete) of the repository
};
CLIPSEARCH_EXPORT Result<std::vector<CachedModel>> list_cached_models(const HubOptions& options);

}  // namespace clipsearch
