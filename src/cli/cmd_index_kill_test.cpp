// Crash safety: `clipsearch index` killed with SIGKILL at random moments while the library
// changes between runs. After every kill the catalog passes PRAGMA integrity_check, opens, and
// holds each path at most once; a final run then gives exactly the files of the library, each
// with the embedding a clean run computes. And `search` while `index` runs: every search
// answers from a consistent snapshot that only grows. Label e2e only (slow under ASan).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "index/catalog.h"
#include "testing/test_images.h"
#include "testing/test_util.h"

extern char** environ;

namespace clipsearch {
namespace {

namespace fs = std::filesystem;

std::string model() { return testing::reference_dir() + "/clip_models/open_clip_gelu"; }
// A model with its tokenizer, for the searches.
std::string search_model() { return testing::reference_dir() + "/search/model"; }

pid_t spawn_quiet(const std::vector<std::string>& args) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

std::string query_text(const std::string& db, const char* sql) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return "open";
  sqlite3_stmt* s = nullptr;
  std::string out = std::string("error: ") + sqlite3_errmsg(h);
  if (sqlite3_prepare_v2(h, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

std::map<std::string, std::vector<float>> contents(const std::string& db) {
  std::map<std::string, std::vector<float>> out;
  auto c = Catalog::open(db, Catalog::Mode::kReadOnly);
  EXPECT_TRUE(c.ok()) << c.status().message();
  if (!c.ok()) return out;
  EXPECT_TRUE((*c)->for_each_image([&](const ImageRecord& r) {
                    EXPECT_EQ(r.status, ImageStatus::kOk) << r.path << ": " << r.error;
                    EXPECT_TRUE(out.emplace(r.path, *(*c)->get_embedding(r.id)).second) << r.path;
                    return true;
                  })
                  .ok());
  return out;
}

TEST(IndexKill, KilledAtRandomMomentsStaysConsistent) {
  testing::TempDir tmp;
  const std::string lib = tmp.file("lib");
  const std::string db = tmp.file("index.db");
  std::mt19937 rng(20261127);
  int next_seed = 0;
  auto add_file = [&](int i) {
    const std::string dir = lib + "/d" + std::to_string(i % 7);
    fs::create_directories(dir);
    testing::write_file(dir + "/img" + std::to_string(i) + ".png",
                        testing::make_image(16 + i % 17, 16 + i % 13, next_seed++));
  };
  constexpr int kFiles = 300;
  for (int i = 0; i < kFiles; ++i) add_file(i);
  const std::vector<std::string> index = {
      testing::cli_binary(), "index", lib,         "--db", db,       "--model", model(),
      "--batch-size",        "8",     "--threads", "2",    "--quiet"};

  // How long a whole run takes, so the kills fall anywhere inside one.
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> timing = index;
  timing[4] = tmp.file("timing.db");
  ASSERT_EQ(testing::run_command(timing).exit_code, 0);
  const int run_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  const auto start = std::chrono::steady_clock::now();
  int kills = 0, checked = 0;
  // Later runs only redo what changed, so they are shorter than the first: the kills fall in
  // its first half, and rounds go on until enough of them landed inside a run and enough left a
  // catalog to check (on a loaded machine a run's start takes longer than the timing run said,
  // so more kills land before the schema exists).
  for (int round = 0; round < 40 && (kills < 8 || checked < 3); ++round) {
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(45)) break;
    const pid_t pid = spawn_quiet(index);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(1, std::max(2, run_ms / 2))(rng)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    kills += WIFSIGNALED(status) ? 1 : 0;
    SCOPED_TRACE("round " + std::to_string(round));
    // Readable between the kill and the next run (unless killed before the schema was made:
    // the schema is created in one transaction, so then the file has no tables at all).
    if (fs::exists(db) &&
        query_text(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'images'") == "1") {
      EXPECT_EQ(query_text(db, "PRAGMA integrity_check"), "ok");
      EXPECT_EQ(query_text(db, "SELECT count(*) = count(DISTINCT path) FROM images"), "1");
      auto c = Catalog::open(db, Catalog::Mode::kReadOnly);
      EXPECT_TRUE(c.ok()) << c.status().message();
      ++checked;
    } else if (fs::exists(db)) {
      EXPECT_EQ(query_text(db, "SELECT count(*) FROM sqlite_schema"), "0");
    }
    // The library changes under the indexer: rewritten, removed, renamed and new files.
    for (int k = 0; k < 24; ++k) {
      const int i = std::uniform_int_distribution<int>(0, kFiles - 1)(rng);
      const std::string p =
          lib + "/d" + std::to_string(i % 7) + "/img" + std::to_string(i) + ".png";
      if (!fs::exists(p)) continue;
      if (k < 18) {
        testing::write_file(p, testing::make_image(20, 18, next_seed++));
      } else if (k < 22) {
        fs::rename(p, p + ".moved.png");
      } else {
        fs::remove(p);
      }
    }
    for (int k = 0; k < 3; ++k) add_file(kFiles + round * 3 + k);
  }
  EXPECT_GE(kills, 5);
  EXPECT_GE(checked, 3);
  std::printf("%d kills in runs of about %d ms, %d catalogs checked\n", kills, run_ms, checked);

  auto r = testing::run_command(index);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(query_text(db, "PRAGMA integrity_check"), "ok");
  const std::string clean_db = tmp.file("clean.db");
  std::vector<std::string> clean = index;
  clean[4] = clean_db;
  r = testing::run_command(clean);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto got = contents(db);
  auto want = contents(clean_db);
  ASSERT_EQ(got.size(), want.size());
  size_t files_on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(lib)) files_on_disk += e.is_regular_file();
  EXPECT_EQ(got.size(), files_on_disk);
  for (const auto& [path, embedding] : want) {
    auto it = got.find(path);
    ASSERT_NE(it, got.end()) << path;
    ASSERT_EQ(it->second.size(), embedding.size());
    for (size_t i = 0; i < embedding.size(); ++i) EXPECT_NEAR(it->second[i], embedding[i], 1e-5);
  }
}

// Result rows of `search --json` (JSON Lines), -1 when the search failed.
int search_rows(const std::string& db) {
  auto r =
      testing::run_command({testing::cli_binary(), "search", "a photo", "--db", db, "--model",
                            search_model(), "--all", "-k", "100000", "--json", "--threads", "1"});
  if (r.exit_code != 0) {
    ADD_FAILURE() << "search during indexing failed: " << r.err;
    return -1;
  }
  return static_cast<int>(std::count(r.out.begin(), r.out.end(), '\n'));
}

TEST(IndexConcurrent, SearchWhileIndexingSeesAGrowingConsistentSnapshot) {
  testing::TempDir tmp;
  const std::string lib = tmp.file("lib");
  const std::string db = tmp.file("index.db");
  constexpr int kFiles = 240;
  auto add_file = [&](int i) {
    testing::write_file(lib + "/img" + std::to_string(i) + ".png",
                        testing::make_image(16 + i % 17, 16 + i % 13, i));
  };
  const std::vector<std::string> index = {
      testing::cli_binary(), "index",        lib, "--db",      db,  "--model",
      search_model(),        "--batch-size", "4", "--threads", "1", "--quiet"};
  // One image indexed first, so the catalog exists and search has something to open.
  fs::create_directories(lib);
  add_file(0);
  ASSERT_EQ(testing::run_command(index).exit_code, 0);
  for (int i = 1; i < kFiles; ++i) add_file(i);
  const pid_t pid = spawn_quiet(index);
  ASSERT_GT(pid, 0);
  int searches = 0, last = 0, status = 0;
  bool running = true;
  while (running) {
    running = waitpid(pid, &status, WNOHANG) == 0;
    const int rows = search_rows(db);
    ASSERT_GE(rows, last) << "a later search saw fewer images";
    last = rows;
    ++searches;
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(search_rows(db), kFiles);
  EXPECT_GE(searches, 2);
  std::printf("%d searches while indexing\n", searches);
}

}  // namespace
}  // namespace clipsearch
