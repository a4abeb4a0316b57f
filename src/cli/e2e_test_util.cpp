#include "cli/e2e_test_util.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/path_json.h"

namespace clipsearch::testing {

std::string search_reference_dir() { return reference_dir() + "/search"; }

CommandResult index_search_library(const std::string& db, const std::string& reference) {
  return run_command({cli_binary(), "index", reference + "/library", "--db", db, "--model",
                      reference + "/model", "--quiet"});
}

ServedLibrary::ServedLibrary(const std::vector<std::string>& serve_args,
                             const std::string& reference)
    : db_(dir_.file("index.db")) {
  const CommandResult indexed = index_search_library(db_, reference);
  if (indexed.exit_code != 3) {
    index_error_ = "index exited with " + std::to_string(indexed.exit_code) + ": " + indexed.err;
    return;
  }
  std::vector<std::string> args = {cli_binary(), "serve", "--db",      db_,
                                   "--port",     "0",     "--threads", "2"};
  args.insert(args.end(), serve_args.begin(), serve_args.end());
  server_ = std::make_unique<ServeProcess>(args);
}

ServedLibrary* ServedLibraryTest::served_ = nullptr;
std::string ServedLibraryTest::db_;

void ServedLibraryTest::SetUpTestSuite() {
  served_ = new ServedLibrary();
  ASSERT_TRUE(served_->ready()) << served_->why();
  db_ = served_->db();
}

void ServedLibraryTest::TearDownTestSuite() {
  delete served_;
  served_ = nullptr;
}

server::testing::RawResponse ServedLibraryTest::get(const std::string& path) {
  return server::testing::exchange(served_->port(), server::testing::get_request(path), 30);
}

server::testing::RawResponse ServedLibraryTest::send(const std::string& request) {
  return server::testing::exchange(served_->port(), request, 30);
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
