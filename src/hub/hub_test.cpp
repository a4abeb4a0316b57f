// src/hub against a local fake hub (tests/hub/fake_hub.py on a loopback port) serving
// random-weight models (tests/hub/make_hub_repos.py): fresh download then embed, resume after a
// dropped connection, offline mode, checksum mismatch, 404s, token, a mirror, a repository with
// only pytorch_model.bin, and the cache shared both ways with huggingface_hub 0.36. The open_clip
// layout's tests are in hub_open_clip_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "clipsearch/hub.h"
#include "clipsearch/model.h"
#include "core/npy.h"
#include "hub/cache.h"
#include "hub/download.h"
#include "hub/hub_test_util.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;
using namespace hub_testing;  // FakeHub, run_cli, expect_error, ...

TEST(Hub, FreshDownloadThenEmbedAndTheCacheLayout) {
  FakeHub hub;
  testing::TempDir cache;
  const std::map<std::string, std::string> env = {{"HF_ENDPOINT", hub.endpoint()},
                                                  {"HF_HUB_CACHE", cache.path().string()}};
  auto pull = run_cli({"pull", "test/clip-tiny"}, env);
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  const std::string commit = commit_of("test/clip-tiny");
  const fs::path repo = cache.path() / "models--test--clip-tiny";
  EXPECT_EQ(pull.out, (repo / "snapshots" / commit).string() + "\n");
  EXPECT_EQ(testing::read_file((repo / "refs/main").string()), commit);
  // Relative symlinks into blobs/, named by the etag (sha256 for LFS files).
  const fs::path weights = repo / "snapshots" / commit / "model.safetensors";
  ASSERT_TRUE(fs::is_symlink(weights));
  EXPECT_EQ(fs::read_symlink(weights).string().substr(0, 12), "../../blobs/");
  EXPECT_EQ(fs::read_symlink(weights).filename().string().size(), 64u);
  EXPECT_TRUE(fs::exists(repo / ".no_exist" / commit / "special_tokens_map.json"));
  // Offline from now on: the embeddings are the reference's (text_embed_golden.py).
  auto embed =
      run_cli({"embed", "--model", "test/clip-tiny", "--raw", "--text", "a photo of a cat"},
              {{"HF_HUB_CACHE", cache.path().string()}, {"HF_HUB_OFFLINE", "1"}});
  ASSERT_EQ(embed.exit_code, 0) << embed.err;
  auto ref = npy_read(testing::reference_dir() + "/text_embed/text_raw.npy");
  ASSERT_TRUE(ref.ok());
  const std::vector<float> got = first_embedding(embed.out);
  ASSERT_EQ(got.size(), static_cast<size_t>(ref->shape[1]));
  for (size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], ref->data[k], 1e-4);
  // `models` lists it as complete.
  auto models = run_cli({"models"}, {{"HF_HUB_CACHE", cache.path().string()}});
  ASSERT_EQ(models.exit_code, 0) << models.err;
  EXPECT_NE(models.out.find("test/clip-tiny"), std::string::npos) << models.out;
  EXPECT_NE(models.out.find("complete"), std::string::npos) << models.out;
  EXPECT_NE(models.out.find("clip-vit-base-patch32"), std::string::npos) << models.out;
  // A second online resolve asks only for config.json's metadata (the rest is by commit).
  const size_t before = hub.log().size();
  auto again = resolve_model("test/clip-tiny", options_for(hub, cache), nullptr);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(hub.log().size(), before + 1);
}

TEST(Hub, ResumesAfterADroppedConnection) {
  FakeHub hub({"--drop-once", "model.safetensors"});
  testing::TempDir cache;
  HubOptions o = options_for(hub, cache);
  o.retries = 0;  // the first run gives up after the drop, leaving a partial file
  auto first = resolve_model("test/clip-tiny", o, nullptr);
  expect_error(first, StatusCode::kUnavailable, "model.safetensors");
  bool partial = false;
  for (const auto& e : fs::directory_iterator(cache.path() / "models--test--clip-tiny/blobs")) {
    partial = partial || (e.path().extension() == ".incomplete" && fs::file_size(e.path()) > 0);
  }
  EXPECT_TRUE(partial);
  auto listed = list_cached_models(o);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_FALSE((*listed)[0].complete);
  EXPECT_GT((*listed)[0].partial_bytes, 0u);
  o.retries = 5;
  auto second = resolve_model("test/clip-tiny", o, nullptr);
  ASSERT_TRUE(second.ok()) << second.status().message();
  bool ranged = false;
  for (const auto& line : hub.log()) ranged = ranged || line["range"].is_string();
  EXPECT_TRUE(ranged) << "the second run should resume with a Range request";
  EXPECT_TRUE(Model::load(*second).ok());
  for (const auto& e : fs::directory_iterator(cache.path() / "models--test--clip-tiny/blobs")) {
    EXPECT_NE(e.path().extension(), ".incomplete") << e.path();
  }
}

TEST(Hub, RetriesADroppedConnectionWithinOneRun) {
  FakeHub hub({"--drop-once", "model.safetensors"});
  testing::TempDir cache;
  auto folder = resolve_model("test/clip-tiny", options_for(hub, cache), nullptr);
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  EXPECT_TRUE(Model::load(*folder).ok());
}

TEST(Hub, OfflineReadsOnlyTheCache) {
  FakeHub hub;
  testing::TempDir cache;
  HubOptions o = options_for(hub, cache);
  o.offline = true;
  expect_error(resolve_model("test/clip-tiny", o, nullptr), StatusCode::kNotFound,
               "offline (HF_HUB_OFFLINE=1) and test/clip-tiny@main is not in the cache");
  o.offline = false;
  ASSERT_TRUE(resolve_model("test/clip-tiny", o, nullptr).ok());
  const size_t requests = hub.log().size();
  o.offline = true;
  o.endpoint = "http://127.0.0.1:1";  // nothing may be asked
  auto cached = resolve_model("test/clip-tiny", o, nullptr);
  ASSERT_TRUE(cached.ok()) << cached.status().message();
  EXPECT_EQ(hub.log().size(), requests);
  // An optional file missing offline (a cache written by a tool that never asked for it) is no
  // error here: the tokenizer names it if the model needs it.
  fs::remove(fs::path(*cached) / "vocab.json");
  EXPECT_TRUE(resolve_model("test/clip-tiny", o, nullptr).ok());
  fs::remove(fs::path(*cached) / "model.safetensors");
  expect_error(resolve_model("test/clip-tiny", o, nullptr), StatusCode::kNotFound,
               "the weights of test/clip-tiny@main (model.safetensors or pytorch_model.bin) are "
               "not in the cache");
  // Online, with nothing cached and no hub listening: unavailable, worth retrying later.
  testing::TempDir empty;
  o = options_for(hub, empty);
  o.endpoint = "http://127.0.0.1:1";
  expect_error(resolve_model("test/clip-tiny", o, nullptr), StatusCode::kUnavailable,
               "http://127.0.0.1:1");
}

TEST(Hub, ChecksumMismatchLeavesNothingInTheCache) {
  for (const std::string file : {"merges.txt", "model.safetensors"}) {  // git sha1, sha256
    FakeHub hub({"--corrupt", file});
    testing::TempDir cache;
    auto r = resolve_model("test/clip-tiny", options_for(hub, cache), nullptr);
    expect_error(r, StatusCode::kCorruption, "checksum mismatch");
    expect_error(r, StatusCode::kCorruption, file);
    const std::string commit = commit_of("test/clip-tiny");
    EXPECT_FALSE(fs::exists(cache.path() / "models--test--clip-tiny/snapshots" / commit / file));
    for (const auto& e : fs::directory_iterator(cache.path() / "models--test--clip-tiny/blobs")) {
      EXPECT_NE(e.path().extension(), ".incomplete") << e.path();
    }
  }
}

TEST(Hub, NotFoundErrorsNameTheRepositoryRevisionOrFile) {
  FakeHub hub;
  testing::TempDir cache;
  const HubOptions o = options_for(hub, cache);
  expect_error(resolve_model("test/nope", o, nullptr), StatusCode::kNotFound,
               "repository test/nope not found at " + hub.endpoint());
  expect_error(resolve_model("test/clip-tiny@v9", o, nullptr), StatusCode::kNotFound,
               "test/clip-tiny: revision v9 not found");
  expect_error(resolve_model("test/no-weights", o, nullptr), StatusCode::kNotFound,
               "test/no-weights@main has no model.safetensors or pytorch_model.bin");
  expect_error(resolve_model("/no/such/folder", o, nullptr), StatusCode::kNotFound,
               "/no/such/folder: no such model folder");
  expect_error(resolve_model("./models/clip", o, nullptr), StatusCode::kNotFound,
               "./models/clip: no such model folder");
  expect_error(resolve_model("no-such-preset", o, nullptr), StatusCode::kInvalidArgument,
               "'no-such-preset' is not a folder, a preset (clip-vit-base-patch32");
}

TEST(Hub, SendsTheTokenFromTheEnvironmentOrTheTokenFile) {
  FakeHub hub({"--token", "hf_secret"});
  testing::TempDir cache, home;
  HubOptions o = options_for(hub, cache);
  // Like the real hub, a repository the request may not see is "not found" (HTTP 401).
  expect_error(resolve_model("test/clip-tiny", o, nullptr), StatusCode::kNotFound, "set HF_TOKEN");
  setenv("HF_HOME", home.path().c_str(), 1);
  testing::write_file(home.file("token"), "hf_secret\n");
  HubOptions from_env = HubOptions::from_environment();
  unsetenv("HF_HOME");
  EXPECT_EQ(from_env.token, "hf_secret");
  EXPECT_EQ(from_env.cache_dir, home.file("hub"));
  o.token = from_env.token;
  ASSERT_TRUE(resolve_model("test/clip-tiny", o, nullptr).ok());
  bool sent = false;
  for (const auto& line : hub.log()) sent = sent || line["auth"] == "Bearer hf_secret";
  EXPECT_TRUE(sent);
  // And through the CLI with HF_TOKEN.
  testing::TempDir cache2;
  auto r = run_cli({"pull", "test/clip-tiny-bin"}, {{"HF_ENDPOINT", hub.endpoint()},
                                                    {"HF_HUB_CACHE", cache2.path().string()},
                                                    {"HF_TOKEN", "hf_secret"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(Hub, MirrorUnderAPathPrefix) {
  FakeHub hub({"--prefix", "mirror"});
  testing::TempDir cache;
  HubOptions o = options_for(hub, cache);
  o.endpoint = hub.endpoint() + "/mirror";
  auto r = resolve_model("test/clip-tiny", o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().message();
  bool mirrored = false;
  for (const auto& line : hub.log()) {
    mirrored = mirrored || line["path"].get<std::string>().rfind("/mirror/test/clip-tiny/", 0) == 0;
  }
  EXPECT_TRUE(mirrored);
}

TEST(Hub, FollowsTheRelativeRedirectOfARenamedRepository) {
  FakeHub hub({"--renamed", "test/old-name=test/clip-tiny"});
  testing::TempDir cache;
  auto r = resolve_model("test/old-name", options_for(hub, cache), nullptr);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // Stored under the name asked for, as huggingface_hub does.
  EXPECT_NE(r->find("models--test--old-name/snapshots/" + commit_of("test/clip-tiny")),
            std::string::npos)
      << *r;
  EXPECT_TRUE(Model::load(*r).ok());
}

TEST(Hub, RepositoryWithOnlyPytorchModelBinEmbedsLikeSafetensors) {
  FakeHub hub;
  testing::TempDir cache;
  const HubOptions o = options_for(hub, cache);
  auto bin = resolve_model("test/clip-tiny-bin", o, nullptr);
  ASSERT_TRUE(bin.ok()) << bin.status().message();
  EXPECT_TRUE(fs::exists(fs::path(*bin) / "pytorch_model.bin"));
  auto st = resolve_model("test/clip-tiny", o, nullptr);
  ASSERT_TRUE(st.ok()) << st.status().message();
  auto a = Model::load(*bin);
  auto b = Model::load(*st);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok()) << b.status().message();
  const std::vector<std::vector<int32_t>> texts = {{49406, 320, 1125, 539, 320, 2368, 49407}};
  const int64_t dim = (*a)->info().embed_dim;
  std::vector<float> ea(static_cast<size_t>(dim)), eb(static_cast<size_t>(dim));
  ASSERT_TRUE((*a)->encode_texts(texts, ea.data()).ok());
  ASSERT_TRUE((*b)->encode_texts(texts, eb.data()).ok());
  for (int64_t k = 0; k < dim; ++k) EXPECT_NEAR(ea[k], eb[k], 1e-6);
}

// Chinese-CLIP as OFA-Sys publishes it (pytorch_model.bin, a WordPiece vocab.txt): fetched with
// its tokenizer, then a Chinese query embeds offline as the reference does.
TEST(Hub, ChineseClipRepositoryEmbedsAChineseQuery) {
  FakeHub hub;
  testing::TempDir cache;
  auto pull = run_cli({"pull", "test/chinese-clip-tiny"},
                      {{"HF_ENDPOINT", hub.endpoint()}, {"HF_HUB_CACHE", cache.path().string()}});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  const fs::path snapshot = pull.out.substr(0, pull.out.find('\n'));
  for (const char* file : {"config.json", "pytorch_model.bin", "vocab.txt", "tokenizer_config.json",
                           "preprocessor_config.json"}) {
    EXPECT_TRUE(fs::exists(snapshot / file)) << file;
  }
  auto embed =
      run_cli({"embed", "--model", "test/chinese-clip-tiny", "--raw", "--text", "夏日海滩度假风格"},
              {{"HF_HUB_CACHE", cache.path().string()}, {"HF_HUB_OFFLINE", "1"}});
  ASSERT_EQ(embed.exit_code, 0) << embed.err;
  auto ref = npy_read(repos_dir() + "/chinese_clip_reference/text_raw.npy");
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  const std::vector<float> got = first_embedding(embed.out);
  ASSERT_EQ(got.size(), static_cast<size_t>(ref->shape[1]));
  for (size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], ref->data[k], 1e-4) << k;
}

// A SigLIP repository (model_type siglip): its spiece.model comes with it, and the snapshot
// embeds a query as the folder it was published from does.
TEST(Hub, SiglipRepositoryBringsItsSentencePieceTokenizer) {
  const std::string published = testing::reference_dir() + "/siglip_search/model";
  FakeHub hub({"--repo", "test/siglip-tiny=" + published});
  testing::TempDir cache;
  auto pull = run_cli({"pull", "test/siglip-tiny"},
                      {{"HF_ENDPOINT", hub.endpoint()}, {"HF_HUB_CACHE", cache.path().string()}});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  const fs::path snapshot = pull.out.substr(0, pull.out.find('\n'));
  for (const char* file : {"config.json", "model.safetensors", "spiece.model",
                           "tokenizer_config.json", "preprocessor_config.json"}) {
    EXPECT_TRUE(fs::exists(snapshot / file)) << file;
  }
  EXPECT_FALSE(fs::exists(snapshot / "vocab.json"));  // no CLIP tokenizer is fetched for it
  const std::vector<std::string> embed = {"embed", "--raw", "--text", "A dog, running!"};
  auto args = embed;
  args.insert(args.begin() + 1, {"--model", "test/siglip-tiny"});
  auto from_hub = run_cli(args, {{"HF_HUB_CACHE", cache.path().string()}, {"HF_HUB_OFFLINE", "1"}});
  ASSERT_EQ(from_hub.exit_code, 0) << from_hub.err;
  args = embed;
  args.insert(args.begin() + 1, {"--model", published});
  auto local = run_cli(args, {});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  EXPECT_EQ(first_embedding(from_hub.out), first_embedding(local.out));
}

// huggingface_hub 0.36 (the reference venv) reading our cache and writing one we read.
TEST(Hub, CacheIsSharedWithHuggingfaceHub) {
  FakeHub hub;
  testing::TempDir ours, theirs;
  ASSERT_TRUE(resolve_model("test/clip-tiny", options_for(hub, ours), nullptr).ok());
  const std::string script =
      "import sys\n"
      "from huggingface_hub import hf_hub_download\n"
      "for f in ['config.json', 'model.safetensors', 'vocab.json']:\n"
      "    print(hf_hub_download('test/clip-tiny', f, cache_dir=sys.argv[1],\n"
      "                          local_files_only=sys.argv[2] == '1'))\n";
  // Theirs reads ours offline.
  setenv("HF_HUB_DISABLE_TELEMETRY", "1", 1);
  auto offline =
      testing::run_command({python(), "-W", "ignore", "-c", script, ours.path().string(), "1"});
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_NE(offline.out.find("snapshots/" + commit_of("test/clip-tiny") + "/model.safetensors"),
            std::string::npos)
      << offline.out;
  // Ours reads theirs offline, after they downloaded from the fake hub.
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  auto online =
      testing::run_command({python(), "-W", "ignore", "-c", script, theirs.path().string(), "0"});
  unsetenv("HF_ENDPOINT");
  ASSERT_EQ(online.exit_code, 0) << online.err;
  // preprocessor_config.json and merges.txt were not fetched by them: pretend the optional
  // files are all there by fetching them the same way.
  const std::string rest =
      "import sys\n"
      "from huggingface_hub import hf_hub_download\n"
      "for f in ['preprocessor_config.json', 'merges.txt']:\n"
      "    hf_hub_download('test/clip-tiny', f, cache_dir=sys.argv[1])\n"
      "for f in ['tokenizer_config.json', 'special_tokens_map.json']:\n"
      "    try: hf_hub_download('test/clip-tiny', f, cache_dir=sys.argv[1])\n"
      "    except Exception: pass\n";
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  auto more = testing::run_command({python(), "-W", "ignore", "-c", rest, theirs.path().string()});
  unsetenv("HF_ENDPOINT");
  ASSERT_EQ(more.exit_code, 0) << more.err;
  HubOptions o = options_for(hub, theirs);
  o.offline = true;
  auto folder = resolve_model("test/clip-tiny", o, nullptr);
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  EXPECT_TRUE(Model::load(*folder).ok());
}

TEST(Hub, VerifiesGitBlobSha1AndSha256) {
  testing::TempDir dir;
  testing::write_file(dir.file("f"), "hello\n");
  // git hash-object: ce013625030ba8dba906f756967f9e9ca394464a; sha256sum: 5891b5b5...
  EXPECT_TRUE(hub::verify_etag(dir.file("f"), "ce013625030ba8dba906f756967f9e9ca394464a").ok());
  EXPECT_TRUE(hub::verify_etag(dir.file("f"),
                               "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
                  .ok());
  EXPECT_EQ(hub::verify_etag(dir.file("f"), "ce013625030ba8dba906f756967f9e9ca394464b").code(),
            StatusCode::kCorruption);
  EXPECT_TRUE(hub::verify_etag(dir.file("f"), "not-a-hash").ok());  // other etags: not checked
}

}  // namespace
}  // namespace clipsearch
