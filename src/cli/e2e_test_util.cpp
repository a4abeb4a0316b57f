#include "cli/e2e_test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "core/path_json.h"

namespace clipsearch::testing {

ServeProcess::ServeProcess(std::vector<std::string> args) : log_path_(log_dir_.file("serve.log")) {
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // a test that crashes must not leave its server running
    const int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (port_ == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::string text = log();
    const size_t at = text.find("http://127.0.0.1:");
    const size_t end = at == std::string::npos ? at : text.find('/', at + 17);
    if (end != std::string::npos) port_ = std::stoi(text.substr(at + 17, end - at - 17));
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;  // exited: the log says why
      break;
    }
  }
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

std::string search_reference_dir() { return reference_dir() + "/search"; }

CommandResult index_search_library(const std::string& db) {
  const std::string ref = search_reference_dir();
  return run_command(
      {cli_binary(), "index", ref + "/library", "--db", db, "--model", ref + "/model", "--quiet"});
}

ServedLibrary::ServedLibrary(const std::vector<std::string>& serve_args)
    : db_(dir_.file("index.db")) {
  const CommandResult indexed = index_search_library(db_);
  if (indexed.exit_code != 3) {
    index_error_ = "index exited with " + std::to_string(indexed.exit_code) + ": " + indexed.err;
    return;
  }
  std::vector<std::string> args = {cli_binary(), "serve", "--db",      db_,
                                   "--port",     "0",     "--threads", "2"};
  args.insert(args.end(), serve_args.begin(), serve_args.end());
  server_ = std::make_unique<ServeProcess>(args);
}

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> rows;
  std::stringstream in(out);
  std::string line;
  while (std::getline(in, line)) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

std::string json_row_path(const nlohmann::json& row) {
  std::string path;
  EXPECT_TRUE(row.contains("path") && path_from_json(row["path"].dump(), &path)) << row.dump();
  return path;
}

void expect_json_error(const server::testing::RawResponse& r, int status,
                       const std::string& words) {
  EXPECT_EQ(r.status, status) << r.body;
  const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.body;
  EXPECT_NE(j.value("error", "").find(words), std::string::npos) << r.body;
}

std::string post_request(const std::string& path, const std::string& type, const std::string& body,
                         const std::string& extra) {
  return "POST " + path + " HTTP/1.1\r\nHost: t\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

std::string multipart_body(const std::vector<std::pair<std::string, std::string>>& fields,
                           const std::string& image) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body +=
        "--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  }
  if (!image.empty()) {
    body +=
        "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q.png\"\r\n"
        "Content-Type: image/png\r\n\r\n" +
        image + "\r\n";
  }
  return body + "--XyZ--\r\n";
}

}  // namespace clipsearch::testing
