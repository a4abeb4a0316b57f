// Presets, model specs (folder / preset / repository id) and the files of a CLIP model: what
// `--model` and `clipsearch pull` go through. Listing the cache for `clipsearch models`.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "clipsearch/hub.h"
#include "hub/cache.h"
#include "hub/download.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;

// ref: transformers CLIPModel/CLIPProcessor.from_pretrained: the configuration, the image
// processor and the tokenizer files (the optional ones may be missing).
constexpr const char* kRequiredFiles[] = {"config.json"};
constexpr const char* kOptionalFiles[] = {"preprocessor_config.json", "vocab.json", "merges.txt",
                                          "tokenizer_config.json", "special_tokens_map.json"};
// ref: transformers modeling_utils: safetensors first, then the PyTorch checkpoint; a sharded
// checkpoint has an index instead.
constexpr const char* kWeightFiles[] = {"model.safetensors", "model.safetensors.index.json",
                                        "pytorch_model.bin", "pytorch_model.bin.index.json"};

bool valid_repo_part(const std::string& s) {
  if (s.empty() || s.size() > 96 || s == "." || s == "..") return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

struct RepoSpec {
  std::string repo, revision = "main";
};

Result<RepoSpec> parse_spec(const std::string& spec) {
  RepoSpec out;
  std::string name = spec;
  const size_t at = spec.find('@');
  if (at != std::string::npos) {
    name = spec.substr(0, at);
    out.revision = spec.substr(at + 1);
    if (out.revision.empty() || out.revision.find("..") != std::string::npos) {
      return Status::invalid_argument("'" + spec + "': empty or invalid revision after '@'");
    }
  }
  for (const auto& preset : model_presets()) {
    if (name == preset.name) {
      out.repo = preset.repo;
      return out;
    }
  }
  const size_t slash = name.find('/');
  if (slash != std::string::npos && valid_repo_part(name.substr(0, slash)) &&
      valid_repo_part(name.substr(slash + 1))) {
    out.repo = name;
    return out;
  }
  std::string presets;
  for (const auto& preset : model_presets())
    presets += std::string(presets.empty() ? "" : ", ") + preset.name;
  return Status::invalid_argument("'" + spec + "' is not a folder, a preset (" + presets +
                                  ") or a Hugging Face repository id (owner/name[@revision])");
}

// Fetches the shards a `*.index.json` lists.
Status fetch_shards(const HubOptions& options, const std::string& repo, const std::string& commit,
                    const std::string& index_path, ProgressSink* progress) {
  std::ifstream in(index_path);
  auto index = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (index.is_discarded() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    return Status::corruption(index_path + ": no \"weight_map\" object");
  }
  std::set<std::string> shards;
  for (const auto& [tensor, shard] : index["weight_map"].items()) {
    if (!shard.is_string())
      return Status::corruption(index_path + ": bad weight_map entry " + tensor);
    const std::string file = shard.get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos || file[0] == '.') {
      return Status::corruption(index_path + ": weight_map names '" + file + "'");
    }
    shards.insert(file);
  }
  for (const auto& shard : shards) {
    CLIPSEARCH_ASSIGN_OR_RETURN(hub::Fetched got,
                                hub::hub_fetch(options, repo, commit, shard, progress));
    if (!got.found)
      return Status::not_found(repo + "@" + commit + ": shard " + shard + " is missing");
  }
  return Status();
}

Result<std::string> fetch_model(const HubOptions& options, const RepoSpec& spec,
                                ProgressSink* progress) {
  const std::string at = spec.repo + "@" + spec.revision;
  std::string commit = spec.revision;
  std::string folder;
  for (const char* file : kRequiredFiles) {
    CLIPSEARCH_ASSIGN_OR_RETURN(hub::Fetched got,
                                hub::hub_fetch(options, spec.repo, commit, file, progress));
    if (!got.found)
      return Status::not_found(at + " has no " + file + " (not a CLIPModel repository?)");
    commit = got.commit;  // later files come from the same commit
    folder = fs::path(got.path).parent_path().string();
  }
  for (const char* file : kOptionalFiles) {
    CLIPSEARCH_ASSIGN_OR_RETURN(hub::Fetched got,
                                hub::hub_fetch(options, spec.repo, commit, file, progress));
    (void)got;
  }
  for (const char* file : kWeightFiles) {
    auto got = hub::hub_fetch(options, spec.repo, commit, file, progress);
    if (!got.ok()) {
      if (options.offline) continue;  // maybe the next candidate is cached
      return got.status();
    }
    if (!got->found) continue;
    const std::string name = file;
    if (name.size() > 11 && name.compare(name.size() - 11, 11, ".index.json") == 0) {
      CLIPSEARCH_RETURN_IF_ERROR(fetch_shards(options, spec.repo, commit, got->path, progress));
    }
    return folder;
  }
  if (options.offline) {
    return Status::not_found("offline (HF_HUB_OFFLINE=1) and the weights of " + at +
                             " (model.safetensors or pytorch_model.bin) are not in the cache " +
                             hub::RepoCache(options.cache_dir, spec.repo).snapshot(commit));
  }
  return Status::not_found(at +
                           " has no model.safetensors or pytorch_model.bin (nor a sharded index)");
}

uint64_t tree_bytes(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::error_code size_ec;
    if (fs::is_regular_file(it->path(), size_ec)) total += fs::file_size(it->path(), size_ec);
  }
  return total;
}

bool snapshot_complete(const fs::path& snapshot) {
  if (!fs::exists(snapshot / "config.json")) return false;
  for (const char* file : kWeightFiles) {
    if (fs::exists(snapshot / file)) return true;
  }
  return false;
}

}  // namespace

const std::vector<ModelPreset>& model_presets() {
  static const std::vector<ModelPreset> presets = {
      {"clip-vit-base-patch32", "openai/clip-vit-base-patch32", "ViT-B/32, 512-d, 605 MB"},
      {"clip-vit-base-patch16", "openai/clip-vit-base-patch16", "ViT-B/16, 512-d, 599 MB"},
      {"clip-vit-large-patch14", "openai/clip-vit-large-patch14", "ViT-L/14, 768-d, 1.7 GB"},
  };
  return presets;
}

Result<std::string> resolve_model(const std::string& spec, const HubOptions& options,
                                  ProgressSink* progress) {
  std::error_code ec;
  if (fs::exists(spec, ec)) return spec;  // an existing path always wins
  // What can only be a path (a repository id is owner/name): say it is missing.
  const bool path_like = spec.empty() || spec[0] == '/' || spec[0] == '.' || spec[0] == '~' ||
                         std::count(spec.begin(), spec.end(), '/') > 1;
  if (path_like) return Status::not_found(spec + ": no such model folder");
  CLIPSEARCH_ASSIGN_OR_RETURN(RepoSpec repo, parse_spec(spec));
  if (options.cache_dir.empty())
    return Status::invalid_argument("no Hugging Face cache folder (set HF_HOME)");
  return fetch_model(options, repo, progress);
}

Result<std::vector<CachedModel>> list_cached_models(const HubOptions& options) {
  std::vector<CachedModel> out;
  std::error_code ec;
  if (!fs::is_directory(options.cache_dir, ec)) return out;
  std::vector<fs::path> repos;
  for (const auto& entry : fs::directory_iterator(options.cache_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("models--", 0) == 0 && entry.is_directory()) repos.push_back(entry.path());
  }
  std::sort(repos.begin(), repos.end());
  for (const auto& root : repos) {
    std::string repo = root.filename().string().substr(8);
    const size_t sep = repo.find("--");
    if (sep != std::string::npos) repo.replace(sep, 2, "/");
    uint64_t partial = 0;
    for (const auto& blob : fs::directory_iterator(root / "blobs", ec)) {
      if (blob.path().extension() == ".incomplete") partial += fs::file_size(blob.path(), ec);
    }
    std::map<std::string, std::string> named;  // commit -> ref names
    const fs::path refs = root / "refs";
    for (auto it = fs::recursive_directory_iterator(refs, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      std::ifstream in(it->path());
      std::string commit;
      std::getline(in, commit);
      auto& names = named[commit];
      names += (names.empty() ? "" : ",") + it->path().lexically_relative(refs).string();
    }
    ec.clear();
    size_t before = out.size();
    for (const auto& snapshot : fs::directory_iterator(root / "snapshots", ec)) {
      CachedModel m;
      m.repo = repo;
      m.commit = snapshot.path().filename().string();
      m.revision = named.count(m.commit) ? named[m.commit] : m.commit;
      m.bytes = tree_bytes(snapshot.path());
      m.complete = snapshot_complete(snapshot.path());
      m.partial_bytes = partial;
      out.push_back(m);
    }
    if (out.size() == before && partial > 0) {
      CachedModel m;
      m.repo = repo;
      m.partial_bytes = partial;
      out.push_back(m);
    }
    ec.clear();
  }
  return out;
}

}  // namespace clipsearch
