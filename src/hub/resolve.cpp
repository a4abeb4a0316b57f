// Presets, model specs (folder / preset / repository id) and the files of a CLIP model: what
// `--model` and `clipsearch pull` go through. A repository with a CLIP config.json is fetched as
// a Hugging Face CLIPModel; any other as open_clip (hub/open_clip_repo.h). Listing the cache for
// `clipsearch models`.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "clipsearch/hub.h"
#include "hub/cache.h"
#include "hub/download.h"
#include "hub/layout.h"
#include "hub/open_clip_repo.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;

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

// config.json, the first file from_pretrained asks for. Offline, a cache that open_clip
// (huggingface_hub) wrote has open_clip_config.json and never asked for config.json: missing.
Result<hub::Fetched> fetch_config(const HubOptions& options, const RepoSpec& spec,
                                  ProgressSink* progress) {
  auto got = hub::hub_fetch(options, spec.repo, spec.revision, hub::kHfConfig, progress);
  if (got.ok() || !options.offline) return got;
  const hub::RepoCache cache(options.cache_dir, spec.repo);
  auto commit = hub::cached_commit(cache, spec.revision);
  if (commit.ok() && fs::exists(cache.pointer(*commit, hub::kOpenClipConfig))) {
    return hub::Fetched{false, "", *commit};
  }
  return got;
}

// The rest of a Hugging Face CLIPModel at `commit`, config.json being there.
Result<std::string> fetch_hf_model(const HubOptions& options, const RepoSpec& spec,
                                   const std::string& commit, const std::string& folder,
                                   ProgressSink* progress) {
  const std::string at = spec.repo + "@" + spec.revision;
  for (const char* file : hub::kHfOptionalFiles) {
    auto got = hub::hub_fetch(options, spec.repo, commit, file, progress);
    // Offline, an optional file that another tool never fetched (huggingface_hub asks only for
    // the files its classes read: no vocab.txt for CLIP) is simply absent.
    if (!got.ok() && !options.offline) return got.status();
  }
  if (hub::is_siglip_config((fs::path(folder) / hub::kHfConfig).string())) {
    for (const char* file : hub::kSiglipTokenizerFiles) {
      auto got = hub::hub_fetch(options, spec.repo, commit, file, progress);
      if (!got.ok() && !options.offline) return got.status();
    }
  }
  for (const char* file : hub::kHfWeightFiles) {
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

Result<std::string> fetch_model(const HubOptions& options, const RepoSpec& spec,
                                ProgressSink* progress) {
  // Later files come from the commit config.json's answer names, so a second run asks only for
  // config.json's metadata. A CLIP config.json wins over open_clip files beside it (laion/*).
  CLIPSEARCH_ASSIGN_OR_RETURN(hub::Fetched config, fetch_config(options, spec, progress));
  if (config.found && hub::is_clip_config(config.path)) {
    return fetch_hf_model(options, spec, config.commit,
                          fs::path(config.path).parent_path().string(), progress);
  }
  // A 404 without X-Repo-Commit (not quite a hub): go on by the revision asked for.
  const std::string commit = hub::is_commit_hash(config.commit) ? config.commit : spec.revision;
  return hub::fetch_open_clip(options, spec.repo, spec.revision, commit, config.found, progress);
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

}  // namespace

const std::vector<ModelPreset>& model_presets() {
  static const std::vector<ModelPreset> presets = {
      {"clip-vit-base-patch32", "openai/clip-vit-base-patch32", "ViT-B/32, 512-d, 605 MB"},
      {"clip-vit-base-patch16", "openai/clip-vit-base-patch16", "ViT-B/16, 512-d, 599 MB"},
      {"clip-vit-large-patch14", "openai/clip-vit-large-patch14", "ViT-L/14, 768-d, 1.7 GB"},
      // OpenAI's ResNets, as open_clip publishes them (no tokenizer: hub/open_clip_repo.h).
      {"clip-rn50", "timm/resnet50_clip.openai", "RN50, 1024-d, ~400 MB"},
      {"clip-rn101", "timm/resnet101_clip.openai", "RN101, 512-d"},
      // open_clip's LAION-2B trainings (README: zero-shot accuracy against OpenAI's).
      {"laion-vit-b-32", "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
       "ViT-B/32 LAION-2B, 512-d, 605 MB"},
      {"laion-vit-h-14", "laion/CLIP-ViT-H-14-laion2B-s32B-b79K",
       "ViT-H/14 LAION-2B, 1024-d, 3.9 GB"},
      // Chinese-CLIP (README: queries in Chinese): ViT-B/16 with a RoBERTa-wwm-base text tower.
      {"chinese-clip-vit-base-patch16", "OFA-Sys/chinese-clip-vit-base-patch16",
       "Chinese-CLIP ViT-B/16, 512-d, 753 MB"},
      {"chinese-clip-vit-large-patch14", "OFA-Sys/chinese-clip-vit-large-patch14",
       "Chinese-CLIP ViT-L/14, 768-d, 1.6 GB"},
      // ~100 languages: open_clip's ViT-B/32 with an XLM-RoBERTa-base text tower (LAION-5B).
      {"multilingual-vit-b-32", "laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k",
       "ViT-B/32 + XLM-R base, ~100 languages, 512-d, 1.5 GB"},
      // Google's SigLIP (README: finds the right photo more often than CLIP at the same cost).
      {"siglip2-base-patch16-224", "google/siglip2-base-patch16-224",
       "SigLIP 2 B/16, 768-d, multilingual, 1.5 GB (recommended on a CPU)"},
      {"siglip-base-patch16-224", "google/siglip-base-patch16-224",
       "SigLIP B/16, 768-d, English, 813 MB"},
      {"siglip-base-patch16-256-multilingual", "google/siglip-base-patch16-256-multilingual",
       "SigLIP B/16 at 256 px, 768-d, multilingual, 1.5 GB"},
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
      m.complete = hub::snapshot_complete(snapshot.path().string());
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
