#include "hub/open_clip_repo.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hub/cache.h"
#include "hub/download.h"
#include "hub/layout.h"

namespace clipsearch::hub {
namespace {

namespace fs = std::filesystem;

// A text tower with a Hugging Face tokenizer of its own (SigLIP's, XLM-R's) does not use CLIP's
// BPE: borrowing it would give wrong ids without a word of warning.
Status check_tokenizer_is_clip_bpe(const std::string& config_path) {
  std::ifstream in(config_path);
  const auto root = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) return Status::corruption(config_path + ": not a JSON object");
  const auto& model = root.contains("model_cfg") ? root["model_cfg"] : root;
  if (!model.is_object() || !model.contains("text_cfg") || !model["text_cfg"].is_object()) {
    return Status();
  }
  const auto name = model["text_cfg"].find("hf_tokenizer_name");
  if (name == model["text_cfg"].end() || name->is_null()) return Status();
  return Status::unsupported(config_path + ": model_cfg.text_cfg.hf_tokenizer_name is " +
                             name->dump() + "; clipsearch reads only CLIP's BPE tokenizer");
}

// CLIP's BPE from kClipTokenizerRepo into `repo`'s snapshot at `commit`.
Status borrow_clip_tokenizer(const HubOptions& options, const std::string& repo,
                             const std::string& commit, ProgressSink* progress) {
  const RepoCache cache(options.cache_dir, repo);
  const std::string why = std::string("the CLIP tokenizer of ") + repo +
                          " (open_clip's bundled BPE vocabulary, as " + kClipTokenizerRepo +
                          " publishes it)";
  std::string revision = "main";                              // later files from the same commit
  std::vector<std::pair<std::string, std::string>> borrowed;  // file, path in kClipTokenizerRepo
  for (const char* file : kTokenizerOptionalFiles) {
    auto got = hub_fetch(options, kClipTokenizerRepo, revision, file, progress);
    if (!got.ok() && options.offline) continue;  // optional: unknown offline is no error
    if (!got.ok()) return got.status().with_context(why);
    if (is_commit_hash(got->commit)) revision = got->commit;
    if (got->found) borrowed.emplace_back(file, got->path);
  }
  // The required files last: vocab.json in the snapshot is what says the borrowing is done.
  for (const char* file : {"merges.txt", "vocab.json"}) {
    auto got = hub_fetch(options, kClipTokenizerRepo, revision, file, progress);
    if (!got.ok()) return got.status().with_context(why);
    if (!got->found) {
      return Status::not_found(why + ": " + kClipTokenizerRepo + " has no " + file);
    }
    if (is_commit_hash(got->commit)) revision = got->commit;
    borrowed.emplace_back(file, got->path);
  }
  for (const auto& [file, path] : borrowed) {
    CLIPSEARCH_RETURN_IF_ERROR(adopt_file(cache, commit, file, path));
  }
  return Status();
}

// vocab.json + merges.txt in the snapshot: the repository's own, else borrowed (both, so the
// pair always matches).
Status fetch_tokenizer(const HubOptions& options, const std::string& repo,
                       const std::string& commit, ProgressSink* progress) {
  const RepoCache cache(options.cache_dir, repo);
  std::error_code ec;
  if (fs::exists(cache.pointer(commit, "vocab.json"), ec) &&
      fs::exists(cache.pointer(commit, "merges.txt"), ec)) {
    return Status();  // its own, or borrowed by an earlier run: nothing to ask
  }
  bool own = true;
  for (const char* file : kTokenizerFiles) {
    auto got = hub_fetch(options, repo, commit, file, progress);
    // Offline, a cache that open_clip wrote never asked for them: taken as missing.
    if (!got.ok() && !options.offline) return got.status();
    own = own && got.ok() && got->found;
  }
  if (!own) return borrow_clip_tokenizer(options, repo, commit, progress);
  for (const char* file : kTokenizerOptionalFiles) {
    auto got = hub_fetch(options, repo, commit, file, progress);
    if (!got.ok() && !options.offline) return got.status();
  }
  return Status();
}

}  // namespace

Result<std::string> fetch_open_clip(const HubOptions& options, const std::string& repo,
                                    const std::string& revision, const std::string& commit,
                                    bool has_config_json, ProgressSink* progress) {
  const std::string at = repo + "@" + revision;
  CLIPSEARCH_ASSIGN_OR_RETURN(Fetched config,
                              hub_fetch(options, repo, commit, kOpenClipConfig, progress));
  if (!config.found && has_config_json) {
    return Status::unsupported(at +
                               ": config.json is not a CLIP configuration (no model_type \"clip\", "
                               "text_config or vision_config) and there is no " +
                               kOpenClipConfig);
  }
  if (!config.found) {
    return Status::not_found(at + " has neither " + kHfConfig + " (Hugging Face CLIPModel) nor " +
                             kOpenClipConfig + " (open_clip): not a CLIP model repository?");
  }
  CLIPSEARCH_RETURN_IF_ERROR(check_tokenizer_is_clip_bpe(config.path).with_context(at));
  CLIPSEARCH_ASSIGN_OR_RETURN(Fetched weights,
                              hub_fetch(options, repo, commit, kOpenClipWeights, progress));
  if (!weights.found) {
    CLIPSEARCH_ASSIGN_OR_RETURN(bool pickle, hub_probe(options, repo, commit, kOpenClipPickle));
    if (pickle) {
      return Status::unsupported(at + " has only " + kOpenClipPickle + "; clipsearch needs " +
                                 kOpenClipWeights + " (it does not read open_clip's pickled " +
                                 "checkpoint: convert it with safetensors' save_file, or pick a " +
                                 "repository that publishes " + kOpenClipWeights + ")");
    }
    return Status::not_found(at + " has " + kOpenClipConfig + " but no " + kOpenClipWeights);
  }
  CLIPSEARCH_RETURN_IF_ERROR(fetch_tokenizer(options, repo, commit, progress));
  return fs::path(config.path).parent_path().string();
}

}  // namespace clipsearch::hub
