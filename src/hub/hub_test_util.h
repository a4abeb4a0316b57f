// What src/hub's tests share: the fake hub (tests/hub/fake_hub.py on a loopback port) serving
// the repositories tests/hub/make_hub_repos.py builds, the CLI with extra environment variables,
// and error checks. Test-only; included by hub_test.cpp and hub_open_clip_test.cpp.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "clipsearch/hub.h"
#include "testing/test_util.h"

extern char** environ;

namespace clipsearch::hub_testing {

namespace fs = std::filesystem;

// The developer's own Hugging Face settings must not leak into the tests.
[[maybe_unused]] inline const bool kEnvironmentCleared = [] {
  for (const char* name : {"HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE",
                           "HF_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE"}) {
    unsetenv(name);
  }
  return true;
}();

inline std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : v;
}
inline std::string python() { return env_or("CLIPSEARCH_PYTHON", "python3"); }
inline std::string source_dir() { return env_or("CLIPSEARCH_SOURCE_DIR", "."); }
inline std::string repos_dir() { return testing::reference_dir() + "/hub_repos"; }

// The fake hub as a child process, stopped by the destructor. It serves every repository of
// make_hub_repos.py, the tokenizer one as openai/clip-vit-base-patch32.
class FakeHub {
 public:
  explicit FakeHub(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {python(),      source_dir() + "/tests/hub/fake_hub.py",
                                     "--log",       dir_.file("log"),
                                     "--port-file", dir_.file("port")};
    for (const char* repo : {"clip-tiny", "clip-tiny-bin", "no-weights", "openclip-tiny",
                             "openclip-timm", "openclip-bin", "clip-dual", "no-config",
                             "chinese-clip-tiny", "openclip-xlmr", "xlm-roberta-tiny"}) {
      args.insert(args.end(),
                  {"--repo", std::string("test/") + repo + "=" + repos_dir() + "/" + repo});
    }
    args.insert(args.end(),
                {"--repo", "openai/clip-vit-base-patch32=" + repos_dir() + "/clip-tokenizer"});
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
    for (int i = 0; i < 200 && !fs::exists(dir_.file("port")); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    port_ = testing::read_file(dir_.file("port"));
  }
  ~FakeHub() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;
  std::string endpoint() const { return "http://127.0.0.1:" + port_; }
  std::vector<nlohmann::json> log() const {
    std::vector<nlohmann::json> lines;
    std::ifstream in(dir_.file("log"));
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

 private:
  testing::TempDir dir_;
  pid_t pid_ = -1;
  std::string port_;
};

inline HubOptions options_for(const FakeHub& hub, const testing::TempDir& cache) {
  HubOptions o;
  o.endpoint = hub.endpoint();
  o.cache_dir = cache.path().string();
  return o;
}

inline std::string commit_of(const std::string& repo) {
  // fake_hub.py: sha1 of the repository name
  auto r = testing::run_command({python(), "-c",
                                 "import hashlib,sys; print(hashlib.sha1(sys.argv[1].encode())"
                                 ".hexdigest(), end='')",
                                 repo});
  return r.out;
}

inline void expect_error(const Result<std::string>& r, StatusCode code, const std::string& part) {
  ASSERT_FALSE(r.ok()) << "expected an error containing: " << part;
  EXPECT_EQ(r.status().code(), code) << r.status().message();
  EXPECT_NE(r.status().message().find(part), std::string::npos) << r.status().message();
}

// The CLI with extra environment variables (set in this process, inherited by the child).
inline testing::CommandResult run_cli(const std::vector<std::string>& args,
                                      const std::map<std::string, std::string>& env) {
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  std::vector<std::string> argv = {testing::cli_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = testing::run_command(argv);
  for (const auto& [k, v] : env) unsetenv(k.c_str());
  return r;
}

inline std::vector<float> first_embedding(const std::string& out) {
  auto line = nlohmann::json::parse(out.substr(0, out.find('\n')));
  return line["embedding"].get<std::vector<float>>();
}

}  // namespace clipsearch::hub_testing
