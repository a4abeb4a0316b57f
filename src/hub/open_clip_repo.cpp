#include "hub/open_clip_repo.h"

#include <cctype>
#include <filesystem>
#include <utility>
#include <vector>

#include "hub/cache.h"
#include "hub/download.h"
#include "hub/layout.h"

namespace clipsearch::hub {
namespace {

namespace fs = std::filesystem;

// A file of another repository, put into the open_clip snapshot under a name of its own.
struct Borrowed {
  std::string there, here;
  bool required;
};

// Fetches `files` of `from` (at main; later files from the commit the first answer names) and
// puts them into `repo`'s snapshot at `commit`. Optional files come first and may be missing (or
// unknown offline); the last file, required, is what says the borrowing is done.
Status borrow_files(const HubOptions& options, const std::string& from, const std::string& repo,
                    const std::string& commit, const std::vector<Borrowed>& files,
                    const std::string& why, ProgressSink* progress) {
  const RepoCache cache(options.cache_dir, repo);
  std::string revision = "main";
  std::vector<std::pair<std::string, std::string>> borrowed;  // name here, path in `from`
  for (const Borrowed& file : files) {
    auto got = hub_fetch(options, from, revision, file.there, progress);
    if (!got.ok() && !file.required && options.offline) continue;  // unknown offline: no error
    if (!got.ok()) return got.status().with_context(why);
    if (!got->found && file.required) {
      return Status::not_found(why + ": " + from + " has no " + file.there);
    }
    if (is_commit_hash(got->commit)) revision = got->commit;
    if (got->found) borrowed.emplace_back(file.here, got->path);
  }
  for (const auto& [file, path] : borrowed) {
    CLIPSEARCH_RETURN_IF_ERROR(adopt_file(cache, commit, file, path));
  }
  return Status();
}

// CLIP's BPE from kClipTokenizerRepo into `repo`'s snapshot at `commit`.
Status borrow_clip_tokenizer(const HubOptions& options, const std::string& repo,
                             const std::string& commit, ProgressSink* progress) {
  std::vector<Borrowed> files;
  for (const char* file : kTokenizerOptionalFiles) files.push_back({file, file, false});
  for (const char* file : {"merges.txt", "vocab.json"}) files.push_back({file, file, true});
  return borrow_files(options, kClipTokenizerRepo, repo, commit, files,
                      std::string("the CLIP tokenizer of ") + repo +
                          " (open_clip's bundled BPE vocabulary, as " + kClipTokenizerRepo +
                          " publishes it)",
                      progress);
}

// Whether `name` can be a hub repository id: "owner/name", or a legacy one-part name
// ("xlm-roberta-base", which the hub redirects to FacebookAI/xlm-roberta-base).
bool is_repo_id(const std::string& name) {
  auto part_ok = [](const std::string& s) {
    if (s.empty() || s.size() > 96 || s == "." || s == "..") return false;
    for (char c : s) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
        return false;
      }
    }
    return true;
  };
  const size_t slash = name.find('/');
  if (slash == std::string::npos) return part_ok(name);
  return part_ok(name.substr(0, slash)) && part_ok(name.substr(slash + 1));
}

// ref: open_clip HFTokenizer (AutoTokenizer.from_pretrained(hf_tokenizer_name)) and HFTextEncoder
// (AutoConfig.from_pretrained(hf_model_name)): the tokenizer files and the text tower's
// config.json (as kHfTextConfig) of the repositories open_clip_config.json names, into `repo`'s
// snapshot at `commit`.
Status fetch_hf_text_tower(const HubOptions& options, const std::string& repo,
                           const std::string& commit, const OpenClipHfNames& names,
                           ProgressSink* progress) {
  const RepoCache cache(options.cache_dir, repo);
  std::error_code ec;
  for (const auto& [key, name] :
       {std::pair<std::string, std::string>{"hf_tokenizer_name", names.tokenizer},
        {"hf_model_name", names.model}}) {
    if (!name.empty() && !is_repo_id(name)) {
      return Status::unsupported(std::string(kOpenClipConfig) + ": model_cfg.text_cfg." + key +
                                 " is \"" + name + "\", not a Hugging Face repository id");
    }
  }
  if (!names.tokenizer.empty() && !fs::exists(cache.pointer(commit, kHfTokenizerJson), ec)) {
    std::vector<Borrowed> files;
    for (const char* file : kTokenizerOptionalFiles) files.push_back({file, file, false});
    files.push_back({kHfTokenizerJson, kHfTokenizerJson, true});
    CLIPSEARCH_RETURN_IF_ERROR(borrow_files(options, names.tokenizer, repo, commit, files,
                                            "the tokenizer of " + repo + " (" + names.tokenizer +
                                                ", its model_cfg.text_cfg.hf_tokenizer_name)",
                                            progress));
  }
  if (!names.model.empty() && !fs::exists(cache.pointer(commit, kHfTextConfig), ec)) {
    CLIPSEARCH_RETURN_IF_ERROR(
        borrow_files(options, names.model, repo, commit, {{kHfConfig, kHfTextConfig, true}},
                     "the text tower's configuration of " + repo + " (" + names.model +
                         ", its model_cfg.text_cfg.hf_model_name)",
                     progress));
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
  CLIPSEARCH_ASSIGN_OR_RETURN(OpenClipHfNames names, read_open_clip_hf_names(config.path));
  // Weights: open_clip_model.safetensors, else open_clip_pytorch_model.bin (open_clip's own
  // order: ref open_clip pretrained.download_pretrained_from_hf).
  auto weights = hub_fetch(options, repo, commit, kOpenClipWeights, progress);
  if (!weights.ok() && !options.offline) return weights.status();
  if (!weights.ok() || !weights->found) {
    auto pickle = hub_fetch(options, repo, commit, kOpenClipPickle, progress);
    if (!pickle.ok() && !options.offline) return pickle.status();
    if (!pickle.ok() || !pickle->found) {
      if (!weights.ok()) return weights.status();  // offline: the safetensors file is named
      return Status::not_found(at + " has " + kOpenClipConfig + " but neither " + kOpenClipWeights +
                               " nor " + kOpenClipPickle);
    }
  }
  if (names.tokenizer.empty()) {
    CLIPSEARCH_RETURN_IF_ERROR(fetch_tokenizer(options, repo, commit, progress));
  }
  CLIPSEARCH_RETURN_IF_ERROR(
      fetch_hf_text_tower(options, repo, commit, names, progress).with_context(at));
  return fs::path(config.path).parent_path().string();
}

}  // namespace clipsearch::hub
