// End to end: `clipsearch index`, `status` and `reindex` on a random-weight model. Stored
// embeddings equal `clipsearch embed --image` of the same file; exit codes; paths that are not
// UTF-8 printed by the path_json rule; another model or precision refused; a second indexer
// refused; a full disk reported without damage.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/path_json.h"
#include "index/catalog.h"
#include "testing/test_images.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string model(const std::string& name = "open_clip_gelu") {
  return testing::reference_dir() + "/clip_models/" + name;
}

testing::CommandResult cli(std::vector<std::string> args) {
  if (args[0] != "status") {
    args.push_back("--threads");
    args.push_back("2");
  }
  args.insert(args.begin(), testing::cli_binary());
  return testing::run_command(args);
}

class IndexCli : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = (tmp_.path() / "lib").string();
    db_ = tmp_.file("catalog/index.db");
    fs::create_directories(lib_);
  }
  std::string put(const std::string& name, const std::string& bytes) {
    const std::string p = lib_ + "/" + name;
    fs::create_directories(fs::path(p).parent_path());
    testing::write_file(p, bytes);
    return p;
  }
  testing::TempDir tmp_;
  std::string lib_, db_;
};

TEST_F(IndexCli, StoredEmbeddingsEqualEmbedImage) {
  std::vector<std::string> files;
  for (int i = 0; i < 5; ++i) {
    files.push_back(put("p" + std::to_string(i) + ".png", testing::make_image(30 + 7 * i, 41, i)));
  }
  files.push_back(put("sub/j.jpg", testing::make_image(64, 48, 9, "jpeg")));
  auto r = cli(
      {"index", lib_, "--db", db_, "--model", model(), "--progress", "json", "--batch-size", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json summary = json::parse(r.out);
  EXPECT_EQ(summary["embedded"], 6);
  EXPECT_EQ(summary["images"], 6);
  EXPECT_NE(r.err.find("\"event\": \"progress\""), std::string::npos) << r.err;

  auto catalog = Catalog::open(db_, Catalog::Mode::kReadOnly);
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    auto e = cli({"embed", "--model", model(), "--image", f});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    auto want = json::parse(e.out)["embedding"].get<std::vector<float>>();
    auto row = (*catalog)->find_by_path(f);
    ASSERT_TRUE(row.ok() && row->has_value());
    auto got = (*catalog)->get_embedding((*row)->id);
    ASSERT_EQ(got->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR((*got)[i], want[i], 1e-5);
  }

  // Again without PATH or --model: the catalog's roots and model; nothing to do.
  r = cli({"index", "--db", db_, "--progress", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  summary = json::parse(r.out);
  EXPECT_EQ(summary["unchanged"], 6);
  EXPECT_EQ(summary["decoded"], 0);

  r = cli({"status", "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json status = json::parse(r.out);
  EXPECT_EQ(status["images"], 6);
  EXPECT_EQ(status["embed_dim"], 16);
  EXPECT_EQ(status["roots"][0], lib_);
  r = cli({"status", "--db", db_});
  EXPECT_NE(r.out.find("images:     6"), std::string::npos) << r.out;
  r = cli({"index", lib_, "--db", db_, "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST_F(IndexCli, FailuresGiveExitThreeAndPathsAreEscaped) {
  put("ok.png", testing::make_image(20, 20, 1));
  const std::string weird = "bad \xFF\"quote\"\n100%_\\.png";
  put(weird, std::string("\x89PNG\r\n\x1A\n", 8) + "garbage");
  put("fine \xE9t\xE9 %_.png", testing::make_image(20, 20, 2));
  auto r = cli({"index", lib_, "--db", db_, "--model", model(), "--progress", "lines"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  const std::string escaped = path_json(lib_ + "/" + weird);
  EXPECT_NE(escaped.find("\\udcff"), std::string::npos);
  EXPECT_NE(r.err.find("1 files failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(escaped), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("1 failed"), std::string::npos) << r.out;

  r = cli({"status", "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0);
  const size_t at = r.out.find("\"path\": ");
  ASSERT_NE(at, std::string::npos);
  std::string bytes;
  ASSERT_TRUE(path_from_json(escaped, &bytes));
  EXPECT_EQ(bytes, lib_ + "/" + weird);
  EXPECT_EQ(r.out.compare(at + 8, escaped.size(), escaped), 0) << r.out;

  auto catalog = Catalog::open(db_, Catalog::Mode::kReadOnly);
  ASSERT_TRUE(catalog.ok());
  EXPECT_TRUE((*catalog)->find_by_path(lib_ + "/fine \xE9t\xE9 %_.png")->has_value());
  EXPECT_EQ((*catalog)->stats()->images, 2);
}

TEST_F(IndexCli, BadRootIsReportedAndKept) {
  put("a.png", testing::make_image(20, 20, 1));
  ASSERT_EQ(cli({"index", lib_, "--db", db_, "--model", model()}).exit_code, 0);
  fs::rename(lib_, lib_ + ".unmounted");
  auto r = cli({"index", "--db", db_});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 catalogued files are kept"), std::string::npos) << r.err;
  auto catalog = Catalog::open(db_, Catalog::Mode::kReadOnly);
  EXPECT_EQ((*catalog)->stats()->images, 1);
}

TEST_F(IndexCli, AnotherModelIsRefusedAndReindexSwitches) {
  put("a.png", testing::make_image(20, 20, 1));
  put("b.png", testing::make_image(24, 20, 2));
  ASSERT_EQ(cli({"index", lib_, "--db", db_, "--model", model()}).exit_code, 0);
  auto r = cli({"index", lib_, "--db", db_, "--model", model("open_clip_small")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("open_clip_gelu"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("open_clip_small"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("clipsearch reindex"), std::string::npos) << r.err;

  // Into another file first: the original is untouched.
  r = cli({"reindex", "--db", db_, "--model", model("open_clip_small"), "--output",
           tmp_.file("other.db"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = cli({"status", "--db", db_, "--json"});
  EXPECT_EQ(json::parse(r.out)["embed_dim"], 16);
  r = cli({"status", "--db", tmp_.file("other.db"), "--json"});
  EXPECT_EQ(json::parse(r.out)["embed_dim"], 40);
  EXPECT_EQ(json::parse(r.out)["images"], 2);

  // In place.
  r = cli({"reindex", "--db", db_, "--model", model("open_clip_small"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = cli({"status", "--db", db_, "--json"});
  json s = json::parse(r.out);
  EXPECT_EQ(s["embed_dim"], 40);
  EXPECT_EQ(s["images"], 2);
  EXPECT_FALSE(fs::exists(db_ + ".reindex"));
  EXPECT_EQ(cli({"index", "--db", db_}).exit_code, 0);  // the new model is the catalog's now
}

// `--store f16`: kept in the catalog, its file written by index, shown by status with its
// recall, carried over by reindex, turned off by `--store f32`; an unknown store is refused.
TEST_F(IndexCli, CompactStoreIsKeptShownAndCarriedOver) {
  put("a.png", testing::make_image(20, 20, 1));
  put("b.png", testing::make_image(24, 20, 2));
  auto r = cli({"index", lib_, "--db", db_, "--model", model(), "--store", "f16", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(db_ + ".f16"));
  r = cli({"status", "--db", db_, "--json"});
  json s = json::parse(r.out);
  EXPECT_EQ(s["vector_store"], "f16");
  EXPECT_EQ(s["vector_store_recall_at_10"], 1.0);  // two rows: the F32 scan answers
  const auto f16_bytes = static_cast<int64_t>(fs::file_size(db_ + ".f16"));
  EXPECT_EQ(s["vector_store_bytes"], f16_bytes);
  r = cli({"status", "--db", db_});
  EXPECT_NE(r.out.find("store:      f16, " + std::to_string(f16_bytes) +
                       " bytes (recall@10 against f32 exact: 1.000)"),
            std::string::npos)
      << r.out;

  r = cli({"index", "--db", db_, "--store", "int8"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--store"), std::string::npos) << r.err;

  r = cli({"reindex", "--db", db_, "--model", model("open_clip_small"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(cli({"status", "--db", db_, "--json"}).out)["vector_store"], "f16");

  r = cli({"index", "--db", db_, "--store", "f32", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  s = json::parse(cli({"status", "--db", db_, "--json"}).out);
  EXPECT_EQ(s["vector_store"], "f32");
  EXPECT_FALSE(s.contains("vector_store_recall_at_10"));
  EXPECT_EQ(s["vector_store_bytes"], static_cast<int64_t>(fs::file_size(db_ + ".vectors")));
  EXPECT_FALSE(fs::exists(db_ + ".f16"));
}

// A catalog records the precision it was embedded at: another precision is refused (indexing and
// searching), naming both; `reindex --precision` converts it with its own model.
TEST_F(IndexCli, AnotherPrecisionIsRefusedAndReindexConverts) {
  const std::string picture = put("a.png", testing::make_image(20, 20, 1));
  put("b.png", testing::make_image(24, 20, 2));
  ASSERT_EQ(cli({"index", lib_, "--db", db_, "--model", model(), "--quiet"}).exit_code, 0);
  auto r = cli({"status", "--db", db_, "--json"});
  EXPECT_EQ(json::parse(r.out)["precision"], "f32");
  const std::string fingerprint = json::parse(r.out)["fingerprint"];

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"index", "--db", db_, "--precision", "int8"},
        std::vector<std::string>{"search", "--db", db_, "--precision", "int8", "--image",
                                 picture}}) {
    r = cli(args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_NE(r.err.find("embedded at precision f32, not int8"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--precision f32"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("clipsearch reindex --precision int8"), std::string::npos) << r.err;
  }

  r = cli({"reindex", "--db", db_, "--precision", "int8", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = cli({"status", "--db", db_, "--json"});
  json s = json::parse(r.out);
  EXPECT_EQ(s["precision"], "int8");
  EXPECT_EQ(s["fingerprint"], fingerprint);  // the same model
  EXPECT_EQ(s["images"], 2);
  r = cli({"status", "--db", db_});
  EXPECT_NE(r.out.find("precision int8"), std::string::npos) << r.out;

  r = cli({"search", "--db", db_, "--image", picture});  // f32 by default: refused now
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("embedded at precision int8, not f32"), std::string::npos) << r.err;
  r = cli({"search", "--db", db_, "--precision", "int8", "--image", picture, "--all", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("a.png"), std::string::npos) << r.out;
  EXPECT_EQ(cli({"index", "--db", db_, "--precision", "int8", "--quiet"}).exit_code, 0);
}

TEST_F(IndexCli, ASecondIndexerIsRefused) {
  put("a.png", testing::make_image(20, 20, 1));
  auto lock = CatalogLock::acquire(db_);  // as a running `clipsearch index` holds it
  ASSERT_TRUE(lock.ok());
  auto r = cli({"index", lib_, "--db", db_, "--model", model()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("another clipsearch is indexing"), std::string::npos) << r.err;
}

std::string integrity(const std::string& db) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return "open";
  sqlite3_stmt* s = nullptr;
  std::string out = "prepare";
  if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

TEST_F(IndexCli, AFullDiskIsAClearErrorAndDamagesNothing) {
  for (int i = 0; i < 150; ++i) {
    std::string name = "f";
    name += std::to_string(i);
    name += ".png";
    put(name, testing::make_image(12, 12, i));
  }
  // Files this process's children write may not grow past 96 KiB; SIGXFSZ ignored, so a write
  // past it fails with EFBIG as on a full disk.
  struct rlimit old;
  getrlimit(RLIMIT_FSIZE, &old);
  struct rlimit small = old;
  small.rlim_cur = 96 * 1024;
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  setrlimit(RLIMIT_FSIZE, &small);
  auto r = cli({"index", lib_, "--db", db_, "--model", model(), "--batch-size", "8"});
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_handler);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("disk"), std::string::npos) << r.err;
  EXPECT_EQ(integrity(db_), "ok");
  auto partial = Catalog::open(db_, Catalog::Mode::kReadOnly);
  ASSERT_TRUE(partial.ok()) << partial.status().message();
  EXPECT_LT((*partial)->stats()->images, 150);
  partial->reset();
  r = cli({"index", lib_, "--db", db_, "--progress", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["images"], 150);
}

}  // namespace
}  // namespace clipsearch
