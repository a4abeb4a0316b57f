// End-to-end test of `clipsearch tokenize`: the binary's JSON Lines against the golden ids of
// the reference (tests/reference/tokenizer_golden.py), and its error handling.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

std::string read_all(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

// Runs the CLI with `args` (no shell, so any bytes but NUL pass through).
RunResult run_cli(const std::vector<std::string>& args) {
  const char* binary = std::getenv("CLIPSEARCH_BINARY");
  RunResult r;
  if (binary == nullptr) return r;
  std::string err_path = testing::TempDir() + "clipsearch_tokenize_stderr.txt";
  int out_pipe[2];
  if (pipe(out_pipe) != 0) return r;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> all = {binary};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, binary, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    return r;
  }
  r.out = read_all(out_pipe[0]);
  close(out_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  std::stringstream ss;
  ss << err.rdbuf();
  r.err = ss.str();
  return r;
}

std::string reference_dir() {
  const char* dir = std::getenv("CLIPSEARCH_REFERENCE_DIR");
  return std::string(dir ? dir : "reference") + "/tokenizer";
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

TEST(TokenizeCli, MatchesReferenceIds) {
  // Every 50th golden text that can be an argument (no NUL byte), in one call.
  std::ifstream in(reference_dir() + "/golden_transformers.jsonl");
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> expected;
  std::string line;
  for (size_t i = 0; std::getline(in, line); ++i) {
    if (i % 50 != 0) continue;
    auto j = nlohmann::json::parse(line);
    std::string text = from_hex(j["hex"]);
    if (text.find('\0') != std::string::npos || !j["valid_utf8"].get<bool>()) continue;
    texts.push_back(text);
    expected.push_back(j["ids"].get<std::vector<int32_t>>());
  }
  ASSERT_GE(texts.size(), 100u) << "golden file missing";
  std::vector<std::string> args = {"tokenize", "--model", reference_dir() + "/models/hf", "--"};
  args.insert(args.end(), texts.begin(), texts.end());
  RunResult r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> out = lines_of(r.out);
  ASSERT_EQ(out.size(), texts.size());
  for (size_t i = 0; i < out.size(); ++i) {
    auto j = nlohmann::json::parse(out[i]);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(out[i].rfind("{\"text\":", 0), 0u) << out[i];  // {"text": ..., "ids": [...]}
    EXPECT_EQ(j["text"].get<std::string>(), texts[i]);
    EXPECT_EQ(j["ids"].get<std::vector<int32_t>>(), expected[i]) << out[i];
  }
}

TEST(TokenizeCli, InvalidUtf8WarnsOnStderr) {
  RunResult r = run_cli({"tokenize", "--model", reference_dir() + "/models/hf", "caf\xc3", "ok"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> out = lines_of(r.out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(out[0])["text"].get<std::string>(), "caf\xef\xbf\xbd");
  EXPECT_NE(r.err.find("warning: text 1: invalid UTF-8"), std::string::npos) << r.err;
}

TEST(TokenizeCli, MissingModelFails) {
  RunResult r = run_cli({"tokenize", "--model", "/nonexistent/model", "a cat"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("clipsearch: /nonexistent/model: no such model folder"), std::string::npos)
      << r.err;
}

}  // namespace
