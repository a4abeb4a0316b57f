// src/hub with open_clip repositories (hub/open_clip_repo.h) against the fake hub: a repository
// holding only open_clip_config.json + open_clip_model.safetensors gets CLIP's BPE tokenizer
// from (a fake) openai/clip-vit-base-patch32 and embeds like open_clip; later runs ask only for
// metadata; offline from the cache; timm's extra config.json; a laion-style repository with
// both layouts stays Hugging Face; an xlm-roberta CLIP whose tokenizer.json and text tower
// configuration come from the repository its open_clip_config.json names, with only
// open_clip_pytorch_model.bin; the errors; and huggingface_hub 0.36 sharing the cache.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "clipsearch/hub.h"
#include "clipsearch/model.h"
#include "clipsearch/tokenizer.h"
#include "core/npy.h"
#include "hub/cache.h"
#include "hub/hub_test_util.h"
#include "hub/layout.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;
using namespace hub_testing;  // FakeHub, run_cli, expect_error, ...

const std::vector<int32_t> kCatIds = {49406, 320, 1125, 539, 320, 2368, 49407};

fs::path snapshot_of(const testing::TempDir& cache, const std::string& repo) {
  return cache.path() / hub::repo_folder(repo) / "snapshots" / commit_of(repo);
}

// The tokenizer of the folder gives open_clip's ids for "a photo of a cat".
void expect_clip_tokenizer(const std::string& folder) {
  auto tokenizer = Tokenizer::load(folder);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  EXPECT_EQ(tokenizer->flavor(), TokenizerFlavor::kOpenClip);
  EXPECT_EQ(tokenizer->encode("a photo of a cat").ids, kCatIds);
}

size_t requests_to(const FakeHub& hub, const std::string& part) {
  size_t n = 0;
  for (const auto& line : hub.log()) {
    n += line["path"].get<std::string>().find(part) != std::string::npos ? 1 : 0;
  }
  return n;
}

TEST(HubOpenClip, FreshPullThenEmbedWithTheBorrowedTokenizer) {
  FakeHub hub;
  testing::TempDir cache;
  auto pull = run_cli({"pull", "test/openclip-tiny"},
                      {{"HF_ENDPOINT", hub.endpoint()}, {"HF_HUB_CACHE", cache.path().string()}});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  const fs::path snapshot = snapshot_of(cache, "test/openclip-tiny");
  EXPECT_EQ(pull.out, snapshot.string() + "\n");
  EXPECT_TRUE(fs::exists(snapshot / "open_clip_config.json"));
  EXPECT_TRUE(fs::exists(snapshot / "open_clip_model.safetensors"));
  EXPECT_FALSE(fs::exists(snapshot / "open_clip_pytorch_model.bin"));
  EXPECT_TRUE(fs::exists(cache.path() / "models--test--openclip-tiny/.no_exist" /
                         commit_of("test/openclip-tiny") / "config.json"));
  // The tokenizer files link into the open_clip repository's own blobs/, hard links of the
  // tokenizer repository's blobs.
  const fs::path tokenizer_blobs = cache.path() / "models--openai--clip-vit-base-patch32/blobs";
  for (const char* file :
       {"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"}) {
    const fs::path pointer = snapshot / file;
    ASSERT_TRUE(fs::is_symlink(pointer)) << pointer;
    const fs::path target = fs::read_symlink(pointer);
    EXPECT_EQ(target.parent_path().string(), "../../blobs") << pointer;
    ASSERT_TRUE(fs::exists(tokenizer_blobs / target.filename())) << target;
    EXPECT_TRUE(fs::equivalent(snapshot / file, tokenizer_blobs / target.filename())) << file;
  }
  // Offline from now on: open_clip's own embedding of the text (make_hub_repos.py).
  auto embed =
      run_cli({"embed", "--model", "test/openclip-tiny", "--raw", "--text", "a photo of a cat"},
              {{"HF_HUB_CACHE", cache.path().string()}, {"HF_HUB_OFFLINE", "1"}});
  ASSERT_EQ(embed.exit_code, 0) << embed.err;
  auto ref = npy_read(repos_dir() + "/openclip_reference/text_raw.npy");
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  const std::vector<float> got = first_embedding(embed.out);
  ASSERT_EQ(got.size(), static_cast<size_t>(ref->shape[1]));
  for (size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], ref->data[k], 1e-4) << k;
  expect_clip_tokenizer(snapshot.string());
  // `models` counts it complete.
  auto models = run_cli({"models"}, {{"HF_HUB_CACHE", cache.path().string()}});
  ASSERT_EQ(models.exit_code, 0) << models.err;
  const size_t at = models.out.find("test/openclip-tiny");
  ASSERT_NE(at, std::string::npos) << models.out;
  const std::string line = models.out.substr(at, models.out.find('\n', at) - at);
  EXPECT_EQ(line.substr(line.size() - 9), " complete") << line;
  // A second online resolve asks only for config.json's metadata.
  const size_t before = hub.log().size();
  auto again = resolve_model("test/openclip-tiny", options_for(hub, cache), nullptr);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(*again, snapshot.string());
  const auto log = hub.log();
  ASSERT_EQ(log.size(), before + 1);
  EXPECT_EQ(log.back()["path"], "/test/openclip-tiny/resolve/main/config.json");
}

TEST(HubOpenClip, OfflineFromTheCache) {
  FakeHub hub;
  testing::TempDir cache;
  HubOptions o = options_for(hub, cache);
  o.offline = true;
  expect_error(resolve_model("test/openclip-tiny", o, nullptr), StatusCode::kNotFound,
               "offline (HF_HUB_OFFLINE=1) and test/openclip-tiny@main is not in the cache");
  o.offline = false;
  ASSERT_TRUE(resolve_model("test/openclip-tiny", o, nullptr).ok());
  const size_t requests = hub.log().size();
  o.offline = true;
  o.endpoint = "http://127.0.0.1:1";  // nothing may be asked
  auto cached = resolve_model("test/openclip-tiny", o, nullptr);
  ASSERT_TRUE(cached.ok()) << cached.status().message();
  EXPECT_TRUE(Model::load(*cached).ok());
  expect_clip_tokenizer(*cached);
  // A lost tokenizer link comes back from the tokenizer repository's cache, still offline.
  fs::remove(fs::path(*cached) / "vocab.json");
  ASSERT_TRUE(resolve_model("test/openclip-tiny", o, nullptr).ok());
  EXPECT_TRUE(fs::is_symlink(fs::path(*cached) / "vocab.json"));
  expect_clip_tokenizer(*cached);
  EXPECT_EQ(hub.log().size(), requests);
  // Without the tokenizer repository in the cache, the error says where it comes from.
  fs::remove(fs::path(*cached) / "vocab.json");
  fs::remove_all(cache.path() / "models--openai--clip-vit-base-patch32");
  expect_error(resolve_model("test/openclip-tiny", o, nullptr), StatusCode::kNotFound,
               "the CLIP tokenizer of test/openclip-tiny (open_clip's bundled BPE vocabulary, as "
               "openai/clip-vit-base-patch32 publishes it): offline");
  expect_error(resolve_model("test/openclip-tiny", o, nullptr), StatusCode::kNotFound,
               "clipsearch pull openai/clip-vit-base-patch32");
  // The weights missing offline: named.
  fs::remove(fs::path(*cached) / "open_clip_model.safetensors");
  expect_error(resolve_model("test/openclip-tiny", o, nullptr), StatusCode::kNotFound,
               "open_clip_model.safetensors of test/openclip-tiny@");
}

TEST(HubOpenClip, TimmConfigJsonIsNotTakenForACLIPModel) {
  FakeHub hub;
  testing::TempDir cache;
  const HubOptions o = options_for(hub, cache);
  auto folder = resolve_model("test/openclip-timm", o, nullptr);
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  EXPECT_TRUE(fs::exists(fs::path(*folder) / "config.json"));         // timm's, read to decide
  EXPECT_FALSE(fs::exists(fs::path(*folder) / "model.safetensors"));  // timm's image tower
  EXPECT_EQ(requests_to(hub, "/test/openclip-timm/resolve/main/model.safetensors"), 0u);
  auto model = Model::load(*folder);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->info().layout, "open_clip");
  EXPECT_EQ((*model)->info().embed_dim, 40);
  expect_clip_tokenizer(*folder);
  auto listed = list_cached_models(o);
  ASSERT_TRUE(listed.ok());
  bool complete = false;
  for (const auto& m : *listed)
    complete = complete || (m.repo == "test/openclip-timm" && m.complete);
  EXPECT_TRUE(complete);
  const size_t before = hub.log().size();
  ASSERT_TRUE(resolve_model("test/openclip-timm", o, nullptr).ok());
  EXPECT_EQ(hub.log().size(), before + 1);
}

TEST(HubOpenClip, BothLayoutsTakeTheHuggingFacePath) {
  FakeHub hub;
  testing::TempDir cache;
  auto folder = resolve_model("test/clip-dual", options_for(hub, cache), nullptr);
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  EXPECT_TRUE(fs::exists(fs::path(*folder) / "model.safetensors"));
  EXPECT_FALSE(fs::exists(fs::path(*folder) / "open_clip_model.safetensors"));
  EXPECT_EQ(requests_to(hub, "open_clip"), 0u);
  EXPECT_EQ(requests_to(hub, "openai/"), 0u);
  auto model = Model::load(*folder);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->info().layout, "huggingface");
}

// Only open_clip_pytorch_model.bin: it is downloaded (open_clip's own fallback), the snapshot
// is complete, and a second run asks for config.json's metadata alone.
TEST(HubOpenClip, PickleOnlyRepositoryIsDownloaded) {
  FakeHub hub;
  testing::TempDir cache;
  const HubOptions o = options_for(hub, cache);
  auto folder = resolve_model("test/openclip-bin", o, nullptr);
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  EXPECT_TRUE(fs::exists(fs::path(*folder) / "open_clip_pytorch_model.bin"));
  EXPECT_FALSE(fs::exists(fs::path(*folder) / "open_clip_model.safetensors"));
  EXPECT_TRUE(hub::snapshot_complete(*folder));
  expect_clip_tokenizer(*folder);
  const size_t before = hub.log().size();
  ASSERT_TRUE(resolve_model("test/openclip-bin", o, nullptr).ok());
  const auto log = hub.log();
  ASSERT_EQ(log.size(), before + 1);
  EXPECT_EQ(log[before]["path"], "/test/openclip-bin/resolve/main/config.json");
  HubOptions offline = o;
  offline.offline = true;
  offline.endpoint = "http://127.0.0.1:1";
  auto cached = resolve_model("test/openclip-bin", offline, nullptr);
  ASSERT_TRUE(cached.ok()) << cached.status().message();
  EXPECT_EQ(*cached, *folder);
}

TEST(HubOpenClip, ErrorsNameTheFilesAndTheRepository) {
  FakeHub hub;
  testing::TempDir cache;
  const HubOptions o = options_for(hub, cache);
  expect_error(resolve_model("test/no-config", o, nullptr), StatusCode::kNotFound,
               "test/no-config@main has neither config.json (Hugging Face CLIPModel) nor "
               "open_clip_config.json (open_clip)");
}

// laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k's layout: open_clip_config.json naming
// hf_tokenizer_name and hf_model_name, open_clip_pytorch_model.bin, no tokenizer. One snapshot
// gets tokenizer.json (+ tokenizer_config.json, special_tokens_map.json) and, as
// hf_text_config.json, the config.json of the named repository; CLIP's BPE is never asked for.
TEST(HubOpenClip, XlmRobertaTextTowerFromTheNamedRepository) {
  FakeHub hub;
  testing::TempDir cache;
  auto pull = run_cli({"pull", "test/openclip-xlmr"},
                      {{"HF_ENDPOINT", hub.endpoint()}, {"HF_HUB_CACHE", cache.path().string()}});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  const fs::path snapshot = snapshot_of(cache, "test/openclip-xlmr");
  EXPECT_EQ(pull.out, snapshot.string() + "\n");
  EXPECT_TRUE(fs::exists(snapshot / "open_clip_config.json"));
  EXPECT_TRUE(fs::exists(snapshot / "open_clip_pytorch_model.bin"));
  EXPECT_FALSE(fs::exists(snapshot / "open_clip_model.safetensors"));
  EXPECT_FALSE(fs::exists(snapshot / "vocab.json"));
  EXPECT_FALSE(fs::exists(snapshot / "config.json"));
  EXPECT_EQ(requests_to(hub, "openai/"), 0u);
  const fs::path hf_blobs = cache.path() / "models--test--xlm-roberta-tiny/blobs";
  const std::pair<const char*, const char*> borrowed[] = {
      {"tokenizer.json", "tokenizer.json"},
      {"tokenizer_config.json", "tokenizer_config.json"},
      {"special_tokens_map.json", "special_tokens_map.json"},
      {"hf_text_config.json", "config.json"}};
  for (const auto& [here, there] : borrowed) {
    const fs::path pointer = snapshot / here;
    ASSERT_TRUE(fs::is_symlink(pointer)) << pointer;
    const fs::path target = fs::read_symlink(pointer);
    EXPECT_EQ(target.parent_path().string(), "../../blobs") << pointer;
    ASSERT_TRUE(fs::exists(hf_blobs / target.filename())) << target;
    EXPECT_TRUE(fs::equivalent(pointer, hf_blobs / target.filename())) << here;
    EXPECT_EQ(testing::read_file(pointer.string()),
              testing::read_file(repos_dir() + "/xlm-roberta-tiny/" + there))
        << here;
  }
  EXPECT_TRUE(hub::snapshot_complete(snapshot.string()));
  auto models = run_cli({"models"}, {{"HF_HUB_CACHE", cache.path().string()}});
  ASSERT_EQ(models.exit_code, 0) << models.err;
  const size_t at = models.out.find("test/openclip-xlmr");
  ASSERT_NE(at, std::string::npos) << models.out;
  const std::string line = models.out.substr(at, models.out.find('\n', at) - at);
  EXPECT_EQ(line.substr(line.size() - 9), " complete") << line;
  // Offline, nothing asked: the same folder, whose tokenizer is open_clip's HFTokenizer.
  const size_t requests = hub.log().size();
  HubOptions o = options_for(hub, cache);
  o.offline = true;
  o.endpoint = "http://127.0.0.1:1";
  auto cached = resolve_model("test/openclip-xlmr", o, nullptr);
  ASSERT_TRUE(cached.ok()) << cached.status().message();
  EXPECT_EQ(*cached, snapshot.string());
  const auto reference =
      nlohmann::json::parse(testing::read_file(repos_dir() + "/xlmr_reference/ids.json"));
  auto tokenize = run_cli({"tokenize", "--model", "test/openclip-xlmr", "夏日海滩度假风格"},
                          {{"HF_HUB_CACHE", cache.path().string()}, {"HF_HUB_OFFLINE", "1"}});
  ASSERT_EQ(tokenize.exit_code, 0) << tokenize.err;
  EXPECT_EQ(nlohmann::json::parse(tokenize.out)["ids"], reference["ids"]) << tokenize.out;
  tokenize = run_cli({"tokenize", "--model", snapshot.string(), "夏日海滩度假风格"}, {});
  ASSERT_EQ(tokenize.exit_code, 0) << tokenize.err;
  EXPECT_EQ(nlohmann::json::parse(tokenize.out)["ids"], reference["ids"]) << tokenize.out;
  auto tokenizer = Tokenizer::load(snapshot.string());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  EXPECT_EQ(tokenizer->flavor(), TokenizerFlavor::kUnigram);
  EXPECT_EQ(tokenizer->context_length(), 77);
  // The pulled folder embeds the query as open_clip does (XLM-R text tower from
  // hf_text_config.json, weights from open_clip_pytorch_model.bin).
  auto embed =
      run_cli({"embed", "--model", "test/openclip-xlmr", "--raw", "--text", "夏日海滩度假风格"},
              {{"HF_HUB_CACHE", cache.path().string()}, {"HF_HUB_OFFLINE", "1"}});
  ASSERT_EQ(embed.exit_code, 0) << embed.err;
  auto text_ref = npy_read(repos_dir() + "/xlmr_reference/text_raw.npy");
  ASSERT_TRUE(text_ref.ok()) << text_ref.status().message();
  const std::vector<float> got = first_embedding(embed.out);
  ASSERT_EQ(got.size(), static_cast<size_t>(text_ref->shape[1]));
  for (size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], text_ref->data[k], 1e-4) << k;
  // Lost links come back from the named repository's cache, still offline.
  fs::remove(snapshot / "tokenizer.json");
  fs::remove(snapshot / "hf_text_config.json");
  EXPECT_FALSE(hub::snapshot_complete(snapshot.string()));
  ASSERT_TRUE(resolve_model("test/openclip-xlmr", o, nullptr).ok());
  EXPECT_TRUE(fs::is_symlink(snapshot / "tokenizer.json"));
  EXPECT_TRUE(fs::is_symlink(snapshot / "hf_text_config.json"));
  EXPECT_EQ(hub.log().size(), requests);
  // A second online resolve asks only for config.json's metadata.
  o = options_for(hub, cache);
  ASSERT_TRUE(resolve_model("test/openclip-xlmr", o, nullptr).ok());
  ASSERT_EQ(hub.log().size(), requests + 1);
  EXPECT_EQ(hub.log().back()["path"], "/test/openclip-xlmr/resolve/main/config.json");
  // Without the named repository in the cache, the offline error says where it comes from.
  fs::remove(snapshot / "tokenizer.json");
  fs::remove_all(cache.path() / "models--test--xlm-roberta-tiny");
  o.offline = true;
  expect_error(resolve_model("test/openclip-xlmr", o, nullptr), StatusCode::kNotFound,
               "the tokenizer of test/openclip-xlmr (test/xlm-roberta-tiny, its "
               "model_cfg.text_cfg.hf_tokenizer_name): offline");
}

// laion's configurations name "xlm-roberta-base", a legacy one-part id the hub redirects to
// FacebookAI/xlm-roberta-base: cached under that name (models--xlm-roberta-tiny), as
// huggingface_hub does, and read again offline.
TEST(HubOpenClip, LegacyOnePartRepositoryId) {
  FakeHub hub({"--repo", "test/openclip-xlmr-legacy=" + repos_dir() + "/openclip-xlmr-legacy",
               "--renamed", "xlm-roberta-tiny=test/xlm-roberta-tiny"});
  testing::TempDir cache;
  HubOptions o = options_for(hub, cache);
  auto folder = resolve_model("test/openclip-xlmr-legacy", o, nullptr);
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  EXPECT_TRUE(hub::snapshot_complete(*folder));
  EXPECT_TRUE(fs::exists(cache.path() / "models--xlm-roberta-tiny/refs/main"));
  size_t legacy = 0;  // asked by its legacy id, answered by the redirect
  for (const auto& line : hub.log()) {
    legacy += line["path"].get<std::string>().rfind("/xlm-roberta-tiny/resolve/", 0) == 0;
  }
  EXPECT_GT(legacy, 0u);
  EXPECT_GT(requests_to(hub, "/test/xlm-roberta-tiny/resolve/"), 0u);
  o.offline = true;
  o.endpoint = "http://127.0.0.1:1";
  fs::remove(fs::path(*folder) / "tokenizer.json");
  auto cached = resolve_model("test/openclip-xlmr-legacy", o, nullptr);
  ASSERT_TRUE(cached.ok()) << cached.status().message();
  auto tokenizer = Tokenizer::load(*cached);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  const auto reference =
      nlohmann::json::parse(testing::read_file(repos_dir() + "/xlmr_reference/ids.json"));
  EXPECT_EQ(nlohmann::json(tokenizer->encode("夏日海滩度假风格").ids), reference["ids"]);
}

// The named repository without tokenizer.json (a SentencePiece-only one): an error that names it.
TEST(HubOpenClip, NamedTokenizerRepositoryWithoutTokenizerJson) {
  FakeHub hub({"--repo", "test/xlm-roberta-tiny=" + repos_dir() + "/no-config"});
  testing::TempDir cache;
  expect_error(resolve_model("test/openclip-xlmr", options_for(hub, cache), nullptr),
               StatusCode::kNotFound,
               "the tokenizer of test/openclip-xlmr (test/xlm-roberta-tiny, its "
               "model_cfg.text_cfg.hf_tokenizer_name): test/xlm-roberta-tiny has no "
               "tokenizer.json");
}

TEST(HubOpenClip, AdoptedFilesLiveInTheirOwnRepository) {
  testing::TempDir cache;
  const hub::RepoCache from(cache.path().string(), "a/tokenizer"),
      to(cache.path().string(), "b/model");
  const std::string etag = "0123456789abcdef0123456789abcdef01234567";
  const std::string commit_a(40, 'a'), commit_b(40, 'b');
  fs::create_directories(fs::path(from.blob(etag)).parent_path());
  testing::write_file(from.blob(etag), "{\"a\": 1}");
  ASSERT_TRUE(hub::link_snapshot(from, commit_a, "vocab.json", etag).ok());
  ASSERT_TRUE(
      hub::adopt_file(to, commit_b, "vocab.json", from.pointer(commit_a, "vocab.json")).ok());
  EXPECT_EQ(fs::read_symlink(to.pointer(commit_b, "vocab.json")), fs::path("../../blobs") / etag);
  EXPECT_TRUE(fs::equivalent(to.blob(etag), from.blob(etag)));  // a hard link
  fs::remove_all(from.root);
  EXPECT_EQ(testing::read_file(to.pointer(commit_b, "vocab.json")), "{\"a\": 1}");
  // A plain snapshot file (huggingface_hub without symlinks) is copied as one.
  testing::TempDir plain;
  testing::write_file(plain.file("merges.txt"), "#version: 0.2\n");
  ASSERT_TRUE(hub::adopt_file(to, commit_b, "merges.txt", plain.file("merges.txt")).ok());
  EXPECT_FALSE(fs::is_symlink(to.pointer(commit_b, "merges.txt")));
  EXPECT_EQ(testing::read_file(to.pointer(commit_b, "merges.txt")), "#version: 0.2\n");
}

// huggingface_hub 0.36 (the reference venv): it scans our cache without a complaint, deleting
// the tokenizer repository leaves the open_clip one whole, and we read a cache it wrote.
TEST(HubOpenClip, CacheIsSharedWithHuggingfaceHub) {
  FakeHub hub;
  testing::TempDir ours, theirs;
  ASSERT_TRUE(resolve_model("test/openclip-tiny", options_for(hub, ours), nullptr).ok());
  const std::string scan =
      "import sys\n"
      "from huggingface_hub import scan_cache_dir, hf_hub_download\n"
      "info = scan_cache_dir(sys.argv[1])\n"
      "assert not info.warnings, info.warnings\n"
      "repos = {r.repo_id: r for r in info.repos}\n"
      "for r in info.repos:\n"
      "    for rev in r.revisions:\n"
      "        for f in rev.files:\n"
      "            assert str(f.blob_path).startswith(str(r.repo_path) + '/'), f\n"
      "rev, = repos['test/openclip-tiny'].revisions\n"
      "print(sorted(f.file_name for f in rev.files))\n"
      "print(hf_hub_download('test/openclip-tiny', 'open_clip_model.safetensors',\n"
      "                      cache_dir=sys.argv[1], local_files_only=True))\n"
      "if sys.argv[2] == 'delete':\n"
      "    tok = repos['openai/clip-vit-base-patch32']\n"
      "    info.delete_revisions(*[r.commit_hash for r in tok.revisions]).execute()\n"
      "    again = scan_cache_dir(sys.argv[1])\n"
      "    assert not again.warnings, again.warnings\n"
      "    assert [r.repo_id for r in again.repos] == ['test/openclip-tiny'], again.repos\n";
  setenv("HF_HUB_DISABLE_TELEMETRY", "1", 1);
  auto scanned =
      testing::run_command({python(), "-W", "ignore", "-c", scan, ours.path().string(), "delete"});
  ASSERT_EQ(scanned.exit_code, 0) << scanned.err;
  EXPECT_NE(scanned.out.find("'merges.txt', 'open_clip_config.json', "
                             "'open_clip_model.safetensors', 'special_tokens_map.json', "
                             "'tokenizer_config.json', 'vocab.json'"),
            std::string::npos)
      << scanned.out;
  EXPECT_FALSE(fs::exists(ours.path() / "models--openai--clip-vit-base-patch32"));
  HubOptions o = options_for(hub, ours);
  o.offline = true;
  auto folder = resolve_model("test/openclip-tiny", o, nullptr);
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  EXPECT_TRUE(Model::load(*folder).ok());
  expect_clip_tokenizer(*folder);
  // Ours reads theirs offline: open_clip's files and the tokenizer repository, downloaded by
  // huggingface_hub (which never asked for config.json).
  const std::string download =
      "import sys\n"
      "from huggingface_hub import hf_hub_download\n"
      "for f in ['open_clip_config.json', 'open_clip_model.safetensors']:\n"
      "    hf_hub_download('test/openclip-tiny', f, cache_dir=sys.argv[1])\n"
      "for f in ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json']:\n"
      "    hf_hub_download('openai/clip-vit-base-patch32', f, cache_dir=sys.argv[1])\n";
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  auto downloaded =
      testing::run_command({python(), "-W", "ignore", "-c", download, theirs.path().string()});
  unsetenv("HF_ENDPOINT");
  ASSERT_EQ(downloaded.exit_code, 0) << downloaded.err;
  o = options_for(hub, theirs);
  o.offline = true;
  folder = resolve_model("test/openclip-tiny", o, nullptr);
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  EXPECT_TRUE(Model::load(*folder).ok());
  expect_clip_tokenizer(*folder);
  // And they still read theirs, with our additions.
  auto rescanned =
      testing::run_command({python(), "-W", "ignore", "-c", scan, theirs.path().string(), "keep"});
  EXPECT_EQ(rescanned.exit_code, 0) << rescanned.err;
}

}  // namespace
}  // namespace clipsearch
