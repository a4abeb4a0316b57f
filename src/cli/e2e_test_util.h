// Helpers of the CLI's end-to-end tests: the search reference's library indexed into a fresh
// catalog, a `clipsearch serve` child process on an ephemeral port, raw POST requests (JSON or
// multipart) for the test HTTP client, and reading JSON Lines output.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "server/test_http_client.h"
#include "testing/serve_process.h"
#include "testing/test_util.h"

namespace clipsearch::testing {

// The search reference's folder (tests/reference/make_search_reference.py).
std::string search_reference_dir();

// The search reference's library indexed with its model into `db`; the `index` command's result
// (exit code 3: the library holds two broken files on purpose). `reference` is the folder of
// library/ and model/: the search reference's, or its RN50's (search_reference_dir() + "/rn50").
CommandResult index_search_library(const std::string& db,
                                   const std::string& reference = search_reference_dir());

// A fresh catalog of the search reference's library (or `reference`'s, as above) and a server
// over it, with `serve_args` added to `serve --db DB --port 0 --threads 2`. ready() is false when
// either failed (why(): the index command's stderr or the server's log).
class ServedLibrary {
 public:
  explicit ServedLibrary(const std::vector<std::string>& serve_args = {},
                         const std::string& reference = search_reference_dir());
  bool ready() const { return server_ && server_->port() > 0; }
  std::string why() const { return server_ ? server_->log() : index_error_; }
  const std::string& db() const { return db_; }
  int port() const { return server_ ? server_->port() : 0; }

 private:
  TempDir dir_;
  std::string db_;
  std::string index_error_;
  std::unique_ptr<ServeProcess> server_;
};

// A test suite whose tests share one ServedLibrary (indexed and started once per suite): db_,
// get() and send() for the tests. A suite that needs more in its SetUpTestSuite calls this one
// first.
class ServedLibraryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  static server::testing::RawResponse get(const std::string& path);
  static server::testing::RawResponse send(const std::string& request);
  static int port() { return served_->port(); }

  static ServedLibrary* served_;
  static std::string db_;
};

// One JSON value per line of a command's output.
std::vector<nlohmann::json> json_lines(const std::string& out);
// The path of a result row, its JSON string decoded back to bytes (core/path_json.h).
std::string json_row_path(const nlohmann::json& row);

// Expects an API error: this status and a JSON {"error": ...} whose message holds `words`.
void expect_json_error(const server::testing::RawResponse& r, int status, const std::string& words);

// "POST path HTTP/1.1" with the body and its type; `extra` header lines end in \r\n.
std::string post_request(const std::string& path, const std::string& type, const std::string& body,
                         const std::string& extra = "");

// A multipart/form-data body with boundary "XyZ": the text fields, then an `image` file part
// holding `image` when it is not empty.
std::string multipart_body(const std::vector<std::pair<std::string, std::string>>& fields,
                           const std::string& image);

}  // namespace clipsearch::testing
