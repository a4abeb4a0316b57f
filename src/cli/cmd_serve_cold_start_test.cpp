// A fresh `clipsearch serve`, asked cold (its very first requests) for thumbnails of JPEG, PNG
// and WebP files and for a search, all at once from several threads; 50 processes in a row. Each
// must answer every request with 200, then end cleanly on SIGTERM with nothing alarming in its
// log.
//
// Issue 12: a JPEG is decoded by libjpeg-turbo, so the first thumbnail of a JPEG reached libvips
// (its encoder) before anything had initialised it; libvips then initialised itself lazily while
// a PNG or WebP decode on another thread ran the project's init, and the server aborted in
// vips_block_untrusted_set. The race depends on timing: each process gets one chance at it, so
// the test starts many, and moves the PNG/WebP requests against the JPEG ones by a different
// offset each run. With the fix taken out, 9 runs of this test out of 9 failed on a 2-core
// machine, the first failing process between the 3rd and the 39th; it takes about 30 s there.
// CLIPSEARCH_COLD_START_RUNS sets another number of processes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cli/e2e_test_util.h"
#include "server/test_http_client.h"
#include "testing/serve_process.h"
#include "testing/test_images.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using server::testing::RawResponse;

int runs() {
  const char* text = std::getenv("CLIPSEARCH_COLD_START_RUNS");
  return text != nullptr && std::atoi(text) > 0 ? std::atoi(text) : 50;
}

// The generated library: two files of each format, one small, one large enough for JPEG and
// WebP shrink-on-load; file name -> {width, height, format}.
struct LibraryFile {
  int width, height;
  const char* format;
};
const std::map<std::string, LibraryFile> kLibrary = {
    {"small.jpg", {320, 240, "jpeg"}},  {"large.jpg", {1600, 1200, "jpeg"}},
    {"small.png", {300, 200, "png"}},   {"large.png", {640, 480, "png"}},
    {"small.webp", {320, 240, "webp"}}, {"large.webp", {1600, 1200, "webp"}},
};

class ServeColdStart : public ::testing::Test {
 protected:
  // Writes and indexes the library once; ids_ maps each file name to its catalog id.
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const std::filesystem::path lib = dir_->path() / "library";
    std::filesystem::create_directories(lib);
    uint32_t seed = 1;
    for (const auto& [name, f] : kLibrary) {
      testing::write_file((lib / name).string(),
                          testing::make_image(f.width, f.height, seed++, f.format));
    }
    const std::string model = testing::search_reference_dir() + "/model";
    db_ = dir_->file("index.db");
    auto indexed = testing::run_command(
        {testing::cli_binary(), "index", lib.string(), "--db", db_, "--model", model, "--quiet"});
    ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
    auto listed = testing::run_command(
        {testing::cli_binary(), "search", "x", "--db", db_, "--all", "--json", "-k", "100"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    for (const nlohmann::json& row : testing::json_lines(listed.out)) {
      ids_[std::filesystem::path(testing::json_row_path(row)).filename().string()] =
          row["id"].get<int64_t>();
    }
    ASSERT_EQ(ids_.size(), kLibrary.size()) << listed.out;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static testing::TempDir* dir_;
  static std::string db_;
  static std::map<std::string, int64_t> ids_;
};

testing::TempDir* ServeColdStart::dir_ = nullptr;
std::string ServeColdStart::db_;
std::map<std::string, int64_t> ServeColdStart::ids_;

// A request for send_at_once: sent `delay` after the common start.
struct TimedRequest {
  std::string path;
  std::chrono::microseconds delay;
};

// Sends every request at (nearly) the same moment, each on its own connection made beforehand
// (the server has a thread per connection, so all are handled at once); the answers in order.
std::vector<RawResponse> send_at_once(int port, const std::vector<TimedRequest>& requests) {
  std::vector<int> fds;
  for (size_t i = 0; i < requests.size(); ++i) {
    fds.push_back(server::testing::connect_loopback(port));
  }
  std::vector<RawResponse> answers(requests.size());
  std::latch start(static_cast<std::ptrdiff_t>(requests.size()));
  std::vector<std::thread> clients;
  for (size_t i = 0; i < requests.size(); ++i) {
    clients.emplace_back([&, i] {
      start.arrive_and_wait();
      std::this_thread::sleep_for(requests[i].delay);
      if (fds[i] < 0) return;
      if (server::testing::send_all(fds[i], server::testing::get_request(requests[i].path))) {
        answers[i] = server::testing::read_response(fds[i], 30);
      }
      close(fds[i]);
    });
  }
  for (std::thread& t : clients) t.join();
  return answers;
}

TEST_F(ServeColdStart, EveryFreshServerAnswersThumbnailsOfEachFormatAndASearchAtOnce) {
  const int n = runs();
  for (int run = 0; run < n; ++run) {
    // PNG, WebP and search requests sent `offset` after the JPEG ones (before them when
    // negative), a different offset each run: the runs together cover the moments at which the
    // first JPEG thumbnail reaches the encoder relative to the first libvips decode.
    const auto offset = std::chrono::microseconds(((run % 12) - 2) * 500);
    const auto zero = std::chrono::microseconds(0);
    std::vector<TimedRequest> requests;
    for (const auto& [name, id] : ids_) {
      const bool jpeg = name.ends_with(".jpg");
      requests.push_back({"/api/thumbnails/" + std::to_string(id) + "?size=128",
                          jpeg ? std::max(zero, -offset) : std::max(zero, offset)});
    }
    requests.push_back({"/api/search?q=a%20red%20square&k=3", std::max(zero, offset)});
    // A thumbnail folder of its own: thumbnails cached by an earlier process would skip the
    // encoder, and with it the first libvips call.
    const std::string thumbnails = dir_->file("thumbnails-" + std::to_string(run));
    testing::ServeProcess server({testing::cli_binary(), "serve", "--db", db_, "--port", "0",
                                  "--threads", "2", "--thumbnail-dir", thumbnails});
    ASSERT_GT(server.port(), 0) << "run " << run << ": the server did not start\n" << server.log();
    const std::vector<RawResponse> answers = send_at_once(server.port(), requests);
    const int status = server.stop();
    const std::string log = server.log();
    const std::string context = "run " + std::to_string(run) + " of " + std::to_string(n) +
                                ", offset " + std::to_string(offset.count()) +
                                " us, server log:\n" + log;
    for (size_t i = 0; i < requests.size(); ++i) {
      ASSERT_EQ(answers[i].status, 200) << requests[i].path << ": " << answers[i].body << "\n"
                                        << context;
    }
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "wait status " << status
        << (WIFSIGNALED(status) ? ", killed by signal " + std::to_string(WTERMSIG(status)) : "")
        << "\n"
        << context;
    // GLib's messages (libvips' included) have "-CRITICAL **", "-WARNING **", ":ERROR:" in them.
    for (const char* alarm : {"CRITICAL", "WARNING **", "ERROR", "assertion"}) {
      ASSERT_EQ(log.find(alarm), std::string::npos) << alarm << " in the log\n" << context;
    }
  }
}

}  // namespace
}  // namespace clipsearch
