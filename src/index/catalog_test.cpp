// The catalog: schema, transactions and the generation counter, paths as bytes, the search-side
// API (embeddings in id order, rows by id, filters), the model identity check and the lock.
#include "index/catalog.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>

#include "testing/test_util.h"

namespace clipsearch {
namespace {

constexpr int64_t kDim = 4;

ModelIdentity test_model(const std::string& name = "tiny", const std::string& fp = "ab12") {
  return {name, fp, kDim, "decode=exact exif=apply sixteen_bit=scale alpha=drop"};
}

std::unique_ptr<Catalog> open_bound(const std::string& path) {
  auto c = Catalog::open(path, Catalog::Mode::kReadWrite);
  EXPECT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE((*c)->bind_model(test_model()).ok());
  return std::move(c).value();
}

ImageRecord record(const std::string& path, int64_t size = 100, int64_t date = 0,
                   const std::string& format = "png") {
  ImageRecord r;
  r.path = path;
  r.root_id = 1;
  r.size = size;
  r.mtime_ns = 1700000000LL * 1000000000;
  r.hash = std::string(32, static_cast<char>(path.size()));
  r.width = 10;
  r.height = 20;
  r.format = format;
  r.date_taken_ns = date;
  return r;
}

std::vector<float> vec(float v) { return {v, v + 1, v + 2, v + 3}; }

// The id that shared caches key answers by: random per catalog, stable across opens, and given
// to a catalog made before ids existed at its next read-write open.
TEST(Catalog, HasAStableRandomId) {
  testing::TempDir tmp;
  auto id_of = [](const std::string& db, Catalog::Mode mode) {
    auto c = Catalog::open(db, mode);
    EXPECT_TRUE(c.ok()) << c.status().message();
    auto id = (*c)->catalog_id();
    EXPECT_TRUE(id.ok());
    return id->value_or("");
  };
  const std::string a = id_of(tmp.file("a.db"), Catalog::Mode::kReadWrite);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_EQ(id_of(tmp.file("a.db"), Catalog::Mode::kReadOnly), a);
  EXPECT_EQ(id_of(tmp.file("a.db"), Catalog::Mode::kReadWrite), a);
  EXPECT_NE(id_of(tmp.file("b.db"), Catalog::Mode::kReadWrite), a);

  sqlite3* raw = nullptr;  // an older catalog: no id
  ASSERT_EQ(sqlite3_open(tmp.file("a.db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(raw, "DELETE FROM meta WHERE key = 'catalog_id'", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(raw);
  EXPECT_EQ(id_of(tmp.file("a.db"), Catalog::Mode::kReadOnly), "");
  const std::string given = id_of(tmp.file("a.db"), Catalog::Mode::kReadWrite);
  EXPECT_EQ(given.size(), 32u);
  EXPECT_NE(given, a);
}

// An `index` killed after SQLite made the file but before the schema's commit leaves a database
// with no tables (empty, or a header in WAL mode): it reads as no catalog, not as a foreign file,
// and the next read-write open writes the schema.
TEST(Catalog, ADatabaseWithNoTablesReadsAsNoCatalogYet) {
  testing::TempDir tmp;
  const std::string empty = tmp.file("empty.db");
  testing::write_file(empty, "");
  const std::string header = tmp.file("header.db");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(header.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  for (const std::string& db : {empty, header}) {
    SCOPED_TRACE(db);
    auto read = Catalog::open(db, Catalog::Mode::kReadOnly);
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
    EXPECT_NE(read.status().message().find(db + ": the catalog was never written"),
              std::string::npos)
        << read.status().message();
    auto write = Catalog::open(db, Catalog::Mode::kReadWrite);
    ASSERT_TRUE(write.ok()) << write.status().message();
    write->reset();
    EXPECT_TRUE(Catalog::open(db, Catalog::Mode::kReadOnly).ok());
  }
  const std::string foreign = tmp.file("foreign.db");
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  auto read = Catalog::open(foreign, Catalog::Mode::kReadOnly);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("not a clipsearch catalog"), std::string::npos);
}

TEST(Catalog, CreatesSchemaAndCountsGenerations) {
  testing::TempDir tmp;
  const std::string db = tmp.file("sub/dir/index.db");  // folders are created
  auto c = open_bound(db);
  EXPECT_EQ(*c->generation(), 0);
  ASSERT_TRUE(c->begin_write().ok());
  auto id = c->put_image(record("/lib/a.png"), vec(1).data());
  ASSERT_TRUE(id.ok()) << id.status().message();
  ASSERT_TRUE(c->commit().ok());
  EXPECT_EQ(*c->generation(), 1);
  // A transaction that changes nothing leaves the generation alone.
  ASSERT_TRUE(c->begin_write().ok());
  ASSERT_TRUE(c->commit().ok());
  EXPECT_EQ(*c->generation(), 1);
  // Rolled back: nothing written, generation unchanged.
  ASSERT_TRUE(c->begin_write().ok());
  ASSERT_TRUE(c->put_image(record("/lib/b.png"), vec(2).data()).ok());
  c->rollback();
  EXPECT_EQ(*c->generation(), 1);
  EXPECT_FALSE(c->find_by_path("/lib/b.png")->has_value());
  c.reset();

  auto ro = Catalog::open(db, Catalog::Mode::kReadOnly);
  ASSERT_TRUE(ro.ok()) << ro.status().message();
  auto found = (*ro)->find_by_path("/lib/a.png");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->width, 10);
  EXPECT_EQ((*found)->format, "png");
  EXPECT_EQ(*(*ro)->get_embedding(*id), vec(1));
  auto stats = (*ro)->stats();
  EXPECT_EQ(stats->images, 1);
  EXPECT_EQ(stats->generation, 1);
}

TEST(Catalog, OnePathOneRowAndIdsNeverReused) {
  testing::TempDir tmp;
  auto c = open_bound(tmp.file("index.db"));
  ASSERT_TRUE(c->begin_write().ok());
  const int64_t a = *c->put_image(record("/lib/a.png"), vec(1).data());
  const int64_t b = *c->put_image(record("/lib/b.png"), vec(2).data());
  const int64_t a2 = *c->put_image(record("/lib/a.png", 555), vec(3).data());  // same path
  ASSERT_TRUE(c->commit().ok());
  EXPECT_EQ(a, a2);
  EXPECT_EQ((*c->find_by_path("/lib/a.png"))->size, 555);
  EXPECT_EQ(c->stats()->images, 2);
  ASSERT_TRUE(c->begin_write().ok());
  ASSERT_TRUE(c->remove_image(b).ok());
  const int64_t d = *c->put_image(record("/lib/d.png"), vec(4).data());
  ASSERT_TRUE(c->commit().ok());
  EXPECT_GT(d, b);  // AUTOINCREMENT: the removed id is not handed out again
}

TEST(Catalog, PathsAreBytes) {
  testing::TempDir tmp;
  auto c = open_bound(tmp.file("index.db"));
  const std::vector<std::string> paths = {"/lib/100%/a.png",        "/lib/1000/x.png",
                                          "/lib/a_b/c.png",         "/lib/axb/c.png",
                                          "/lib/back\\slash/c.png", "/lib/backXslash/c.png",
                                          "/lib/new\nline.png",     "/lib/\xFF\xFEnot-utf8.png",
                                          "/lib/quote'\"s.png",     "/lib/a b/space.png"};
  ASSERT_TRUE(c->begin_write().ok());
  std::vector<int64_t> ids;
  for (size_t i = 0; i < paths.size(); ++i) {
    ids.push_back(*c->put_image(record(paths[i]), vec(static_cast<float>(i)).data()));
  }
  ASSERT_TRUE(c->commit().ok());
  auto rows = c->get_images(ids);
  ASSERT_EQ(rows->size(), paths.size());
  for (size_t i = 0; i < paths.size(); ++i) EXPECT_EQ((*rows)[i].path, paths[i]);

  auto under = [&](const std::string& folder) {
    ImageFilter f;
    f.folders = {folder};
    std::vector<std::string> out;
    for (const auto& r : *c->get_images(*c->filter_ids(f))) out.push_back(r.path);
    return out;
  };
  EXPECT_EQ(under("/lib/100%"), std::vector<std::string>{"/lib/100%/a.png"});
  EXPECT_EQ(under("/lib/a_b"), std::vector<std::string>{"/lib/a_b/c.png"});
  EXPECT_EQ(under("/lib/back\\slash/"), std::vector<std::string>{"/lib/back\\slash/c.png"});
  EXPECT_EQ(under("/lib/a"), std::vector<std::string>{});  // "/lib/a b" is not under "/lib/a"
  EXPECT_EQ(under("/lib").size(), paths.size());
  EXPECT_EQ(under("/").size(), paths.size());
}

TEST(Catalog, SearchSideApi) {
  testing::TempDir tmp;
  auto c = open_bound(tmp.file("index.db"));
  ASSERT_TRUE(c->begin_write().ok());
  const int64_t a = *c->put_image(record("/p/a.png", 10, 1000, "png"), vec(1).data());
  const int64_t b = *c->put_image(record("/p/b.jpg", 20, 2000, "jpeg"), vec(2).data());
  ImageRecord bad = record("/p/bad.jpg", 30, 3000, "jpeg");
  bad.status = ImageStatus::kError;
  bad.error = "truncated";
  ASSERT_TRUE(c->put_image(bad, nullptr).ok());
  const int64_t d = *c->put_image(record("/q/d.png", 40, 4000, "png"), vec(4).data());
  ASSERT_TRUE(c->commit().ok());

  std::vector<int64_t> seen;
  ASSERT_TRUE(c->for_each_embedding([&](int64_t id, const float* e) {
                 seen.push_back(id);
                 EXPECT_EQ(e[1], e[0] + 1);
                 return true;
               }).ok());
  EXPECT_EQ(seen, (std::vector<int64_t>{a, b, d}));  // ok rows only, id order
  auto snap = c->read_snapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->ids, seen);
  EXPECT_EQ(snap->dim, kDim);
  EXPECT_EQ(snap->generation, 1);
  EXPECT_EQ(snap->vectors.size(), 3 * kDim);
  EXPECT_EQ(snap->vectors[kDim], 2.0f);
  auto unknown = c->get_embedding(999);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound) << unknown.status().message();

  // Rows by id keep the order asked for and leave out unknown ids.
  auto rows = c->get_images({d, 999, a});
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].path, "/q/d.png");
  EXPECT_EQ((*rows)[1].date_taken_ns, 1000);

  ImageFilter f;
  f.date_min_ns = 1500;
  f.date_max_ns = 4000;
  EXPECT_EQ(*c->filter_ids(f), (std::vector<int64_t>{b, d}));
  f = {};
  f.size_max = 20;
  EXPECT_EQ(*c->filter_ids(f), (std::vector<int64_t>{a, b}));
  f = {};
  f.formats = {"jpeg"};
  EXPECT_EQ(*c->filter_ids(f), (std::vector<int64_t>{b}));
  f = {};
  f.folders = {"/q", "/p"};
  f.formats = {"png"};
  EXPECT_EQ(*c->filter_ids(f), (std::vector<int64_t>{a, d}));
  auto failures = c->failures(10);
  ASSERT_EQ(failures->size(), 1u);
  EXPECT_EQ((*failures)[0].second, "truncated");
  EXPECT_EQ(c->stats()->errors, 1);
}

TEST(Catalog, AnotherModelIsAClearError) {
  testing::TempDir tmp;
  const std::string db = tmp.file("index.db");
  open_bound(db).reset();
  auto c = Catalog::open(db, Catalog::Mode::kReadWrite);
  ASSERT_TRUE(c.ok());
  Status st = (*c)->bind_model(test_model("ViT-L-14", "ffee"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'tiny'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("'ViT-L-14'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("clipsearch reindex --model ViT-L-14"), std::string::npos);
  EXPECT_FALSE((*c)->check_model(test_model("x", "ffee")).ok());
  EXPECT_TRUE((*c)->check_model(test_model("renamed", "ab12")).ok());  // fingerprint decides
  ModelIdentity other_pipeline = test_model();
  other_pipeline.pipeline = "decode=fast";
  EXPECT_EQ((*c)->bind_model(other_pipeline).code(), StatusCode::kInvalidArgument);
}

// The precision is stored with the model and checked like its fingerprint; a catalog made before
// precisions were recorded (no `precision` key) is f32.
TEST(Catalog, AnotherPrecisionIsAClearError) {
  testing::TempDir tmp;
  const std::string db = tmp.file("index.db");
  {
    auto c = Catalog::open(db, Catalog::Mode::kReadWrite);
    ASSERT_TRUE(c.ok());
    ModelIdentity int8 = test_model();
    int8.precision = "int8";
    ASSERT_TRUE((*c)->bind_model(int8).ok());
    EXPECT_EQ((*c)->model()->value().precision, "int8");
    EXPECT_TRUE((*c)->check_model(int8).ok());
    Status st = (*c)->check_model(test_model());
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("embedded at precision int8, not f32"), std::string::npos)
        << st.message();
    EXPECT_NE(st.message().find("reindex --precision f32"), std::string::npos) << st.message();
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(raw, "DELETE FROM meta WHERE key = 'precision'", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(raw);
  auto c = Catalog::open(db, Catalog::Mode::kReadOnly);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->model()->value().precision, "f32");
  EXPECT_TRUE((*c)->check_model(test_model()).ok());
}

// A reader opened on a catalog with no model yet (a Library opened before the first index
// finished) sees the model and reads its embeddings once another connection stored them.
TEST(Catalog, AReaderSeesAModelBoundAfterItOpened) {
  testing::TempDir tmp;
  const std::string db = tmp.file("index.db");
  ASSERT_TRUE(Catalog::open(db, Catalog::Mode::kReadWrite).ok());
  auto reader = Catalog::open(db, Catalog::Mode::kReadOnly);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_FALSE((*reader)->model()->has_value());
  {
    auto writer = open_bound(db);
    ASSERT_TRUE(writer->begin_write().ok());
    ASSERT_TRUE(writer->put_image(record("/p/a.png"), vec(1).data()).ok());
    ASSERT_TRUE(writer->commit().ok());
  }
  auto model = (*reader)->model();
  ASSERT_TRUE(model.ok() && model->has_value());
  EXPECT_EQ((*model)->embed_dim, kDim);
  auto snap = (*reader)->read_snapshot();
  ASSERT_TRUE(snap.ok()) << snap.status().message();
  EXPECT_EQ(snap->dim, kDim);
  EXPECT_EQ(snap->vectors, vec(1));
}

TEST(Catalog, RefusesFilesThatAreNotCatalogs) {
  testing::TempDir tmp;
  testing::write_file(tmp.file("junk.db"), std::string(4096, 'x'));
  auto c = Catalog::open(tmp.file("junk.db"), Catalog::Mode::kReadWrite);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("junk.db"), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().code(), StatusCode::kCorruption);
  auto missing = Catalog::open(tmp.file("none.db"), Catalog::Mode::kReadOnly);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("clipsearch index"), std::string::npos);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  // Another SQLite database is not a catalog either.
  sqlite3* db = nullptr;
  sqlite3_open(tmp.file("other.db").c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto other = Catalog::open(tmp.file("other.db"), Catalog::Mode::kReadOnly);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kCorruption) << other.status().message();
}

TEST(Catalog, ColourSignaturesAndTheVersionOneMigration) {
  testing::TempDir tmp;
  const std::string path = tmp.file("index.db");
  {
    auto c = open_bound(path);
    ASSERT_TRUE(c->has_colors());
    ASSERT_TRUE(c->begin_write().ok());
    const std::vector<float> color = {50, 10, -20, 1};
    const std::vector<float> none;
    const int64_t a = *c->put_image(record("/p/a.png"), vec(1).data(), &color);
    const int64_t b = *c->put_image(record("/p/b.png"), vec(2).data(), &none);
    const int64_t n = *c->put_image(record("/p/n.png"), vec(3).data());
    ASSERT_TRUE(c->commit().ok());
    EXPECT_EQ(c->get_color(a)->value(), color);
    EXPECT_EQ(c->get_color(b)->value(), none);   // computed: no colour
    EXPECT_FALSE(c->get_color(n)->has_value());  // not computed yet
    std::vector<int64_t> seen;
    ASSERT_TRUE(c->for_each_color([&](int64_t id, const float*, size_t k) {
                   seen.push_back(id);
                   EXPECT_EQ(k, 4u);
                 }).ok());
    EXPECT_EQ(seen, std::vector<int64_t>{a});
  }
  // Back to version 1 as an older clipsearch wrote it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "ALTER TABLE images DROP COLUMN color; "
                         "ALTER TABLE images DROP COLUMN duration_ms; DROP TABLE frames; "
                         "ALTER TABLE images DROP COLUMN camera; "
                         "UPDATE meta SET value = 1 WHERE key = 'schema_version'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  {
    auto ro = Catalog::open(path, Catalog::Mode::kReadOnly);
    ASSERT_TRUE(ro.ok()) << ro.status().message();
    EXPECT_FALSE((*ro)->has_colors());
    EXPECT_EQ((*ro)->read_snapshot()->ids.size(), 3u);
    EXPECT_FALSE((*ro)->get_color(1)->has_value());
  }
  auto rw = Catalog::open(path, Catalog::Mode::kReadWrite);
  ASSERT_TRUE(rw.ok()) << rw.status().message();
  EXPECT_TRUE((*rw)->has_colors());
  int without = 0;
  ASSERT_TRUE(
      (*rw)
          ->for_each_file_under("/p", [&](const FileState& f) { without += f.has_color ? 0 : 1; })
          .ok());
  EXPECT_EQ(without, 3);
  auto ro = Catalog::open(path, Catalog::Mode::kReadOnly);
  ASSERT_TRUE(ro.ok());
  EXPECT_TRUE((*ro)->has_colors());
  // A version this build does not know stays refused.
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "UPDATE meta SET value = 99 WHERE key = 'schema_version'", nullptr, nullptr,
               nullptr);
  sqlite3_close(db);
  auto future = Catalog::open(path, Catalog::Mode::kReadOnly);
  ASSERT_FALSE(future.ok());
  EXPECT_NE(future.status().message().find("schema version 99"), std::string::npos);
  EXPECT_EQ(future.status().code(), StatusCode::kUnsupported);
}

// A video is one row (the item) with its duration, and its frames in the frames table: copied
// with a copy of the file, kept by a move, dropped with the row or a rewrite of the row.
TEST(Catalog, VideosAreOneRowWithFrames) {
  testing::TempDir tmp;
  const std::string path = tmp.file("index.db");
  auto c = open_bound(path);
  ASSERT_TRUE(c->begin_write().ok());
  ImageRecord v = record("/p/v.mp4", 5000, 0, "mp4");
  v.duration_ms = 4000;
  const int64_t photo = *c->put_image(record("/p/a.png"), vec(1).data());
  const int64_t video = *c->put_image(v, vec(2).data());
  std::vector<float> frames = vec(10);
  const std::vector<float> second = vec(20);
  frames.insert(frames.end(), second.begin(), second.end());
  ASSERT_TRUE(c->put_frames(video, {500, 1500}, frames.data()).ok());
  const int64_t copy = *c->put_image(record("/p/copy.mp4", 5000, 0, "mp4"), vec(2).data());
  ASSERT_TRUE(c->copy_frames(video, copy).ok());
  ASSERT_TRUE(c->commit().ok());

  EXPECT_EQ(c->get_images({video})->front().duration_ms, 4000);
  EXPECT_EQ(c->get_images({photo})->front().duration_ms, 0);
  auto all = c->read_frames();
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_EQ(all->image_ids, (std::vector<int64_t>{video, video, copy, copy}));
  EXPECT_EQ(all->times_ms, (std::vector<int64_t>{500, 1500, 500, 1500}));
  ASSERT_EQ(all->vectors.size(), 4u * kDim);
  EXPECT_EQ(all->vectors[kDim], 20.0f);
  auto counts = c->count_by_format();
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].format, "mp4");
  EXPECT_EQ((*counts)[0].items, 2);
  EXPECT_EQ((*counts)[0].frames, 4);
  EXPECT_EQ((*counts)[1].format, "png");
  EXPECT_EQ((*counts)[1].frames, 0);

  ASSERT_TRUE(c->begin_write().ok());
  ASSERT_TRUE(c->remove_image(copy).ok());
  ASSERT_TRUE(c->commit().ok());
  EXPECT_EQ(c->read_frames()->image_ids.size(), 2u);
  ASSERT_TRUE(c->begin_write().ok());
  ASSERT_TRUE(c->put_image(record("/p/v.mp4"), vec(3).data()).ok());  // now a photo
  ASSERT_TRUE(c->commit().ok());
  EXPECT_TRUE(c->read_frames()->image_ids.empty());
}

// Version 2 (before videos): read as it is read-only, migrated when opened for writing.
TEST(Catalog, TheVersionTwoMigration) {
  testing::TempDir tmp;
  const std::string path = tmp.file("index.db");
  {
    auto c = open_bound(path);
    ASSERT_TRUE(c->begin_write().ok());
    ASSERT_TRUE(c->put_image(record("/p/a.png"), vec(1).data()).ok());
    ASSERT_TRUE(c->commit().ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "ALTER TABLE images DROP COLUMN duration_ms; DROP TABLE frames; "
                         "ALTER TABLE images DROP COLUMN camera; "
                         "UPDATE meta SET value = 2 WHERE key = 'schema_version'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  {
    auto ro = Catalog::open(path, Catalog::Mode::kReadOnly);
    ASSERT_TRUE(ro.ok()) << ro.status().message();
    EXPECT_TRUE((*ro)->has_colors());
    EXPECT_EQ((*ro)->get_images({1})->front().path, "/p/a.png");
    EXPECT_TRUE((*ro)->read_frames()->image_ids.empty());
    EXPECT_EQ((*ro)->count_by_format()->size(), 1u);
  }
  auto rw = Catalog::open(path, Catalog::Mode::kReadWrite);
  ASSERT_TRUE(rw.ok()) << rw.status().message();
  EXPECT_EQ((*rw)->find_by_path("/p/a.png")->value().duration_ms, 0);
  ASSERT_TRUE((*rw)->begin_write().ok());
  ASSERT_TRUE((*rw)->put_frames(1, {0}, vec(4).data()).ok());
  ASSERT_TRUE((*rw)->commit().ok());
  EXPECT_EQ((*rw)->read_frames()->image_ids.size(), 1u);
}

ImageRecord camera_record(const std::string& path, int64_t size, const std::string& camera) {
  ImageRecord r = record(path, size, 0, "jpeg");
  r.camera = camera;
  return r;
}

// Version 3 (before cameras): read as it is read-only (no camera, none to filter by), migrated
// when opened for writing; old rows have no camera until their file is read again.
TEST(Catalog, TheVersionThreeMigrationAndCameras) {
  testing::TempDir tmp;
  const std::string path = tmp.file("index.db");
  {
    auto c = open_bound(path);
    ASSERT_TRUE(c->begin_write().ok());
    ASSERT_TRUE(c->put_image(camera_record("/p/a.jpg", 100, "Canon EOS R5"), vec(1).data()).ok());
    ASSERT_TRUE(c->commit().ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "ALTER TABLE images DROP COLUMN camera; "
                         "UPDATE meta SET value = 3 WHERE key = 'schema_version'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ImageFilter by_camera;
  by_camera.cameras = {"Canon EOS R5"};
  {
    auto ro = Catalog::open(path, Catalog::Mode::kReadOnly);
    ASSERT_TRUE(ro.ok()) << ro.status().message();
    EXPECT_EQ((*ro)->get_images({1})->front().camera, "");
    EXPECT_EQ((*ro)->get_images({1})->front().path, "/p/a.jpg");
    EXPECT_TRUE((*ro)->count_by_camera()->empty());
    EXPECT_TRUE((*ro)->filter_ids(by_camera)->empty());
  }
  auto rw = Catalog::open(path, Catalog::Mode::kReadWrite);
  ASSERT_TRUE(rw.ok()) << rw.status().message();
  Catalog& c = **rw;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* version = nullptr;
  sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &version,
                     nullptr);
  ASSERT_EQ(sqlite3_step(version), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(version, 0), 4);
  sqlite3_finalize(version);
  sqlite3_close(db);
  EXPECT_EQ(c.find_by_path("/p/a.jpg")->value().camera, "");  // not read since
  ASSERT_TRUE(c.begin_write().ok());
  const int64_t b_id = *c.put_image(camera_record("/p/b.jpg", 200, "Canon EOS R5"), vec(2).data());
  ASSERT_TRUE(c.put_image(camera_record("/p/d.jpg", 300, "Apple iPhone 12"), vec(3).data()).ok());
  ASSERT_TRUE(c.commit().ok());
  auto cameras = c.count_by_camera();
  ASSERT_TRUE(cameras.ok()) << cameras.status().message();
  ASSERT_EQ(cameras->size(), 2u);
  EXPECT_EQ((*cameras)[0].value, "Apple iPhone 12");
  EXPECT_EQ((*cameras)[1].value, "Canon EOS R5");
  EXPECT_EQ((*cameras)[1].items, 1);
  EXPECT_EQ(*c.filter_ids(by_camera), std::vector<int64_t>{b_id});
  auto folders = c.count_by_folder();
  ASSERT_TRUE(folders.ok());
  ASSERT_EQ(folders->size(), 1u);
  EXPECT_EQ((*folders)[0].value, "/p");
  EXPECT_EQ((*folders)[0].items, 3);
}

TEST(Catalog, RootsKeepTheirExcludes) {
  testing::TempDir tmp;
  auto c = open_bound(tmp.file("index.db"));
  ASSERT_TRUE(c->begin_write().ok());
  const int64_t r = *c->add_root("/photos\xFF", {"*.tmp", "raw/*"});
  EXPECT_EQ(*c->add_root("/photos\xFF", {"*.x"}), r);
  ASSERT_TRUE(c->commit().ok());
  auto roots = c->roots();
  ASSERT_EQ(roots->size(), 1u);
  EXPECT_EQ((*roots)[0].path, "/photos\xFF");
  EXPECT_EQ((*roots)[0].excludes, std::vector<std::string>{"*.x"});
}

TEST(CatalogLock, OneHolderAndReleasedWhenTheProcessDies) {
  testing::TempDir tmp;
  const std::string db = tmp.file("index.db");
  {
    auto first = CatalogLock::acquire(db);
    ASSERT_TRUE(first.ok()) << first.status().message();
    auto second = CatalogLock::acquire(db);
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.status().message().find("another clipsearch is indexing"), std::string::npos);
    EXPECT_EQ(second.status().code(), StatusCode::kBusy);
  }
  EXPECT_TRUE(CatalogLock::acquire(db).ok());
  // A child takes the lock and dies without releasing it: the kernel drops it.
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    auto held = CatalogLock::acquire(db);
    char c = held.ok() ? 'y' : 'n';
    (void)!write(pipefd[1], &c, 1);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(pipefd[0], &c, 1), 1);
  EXPECT_EQ(c, 'y');
  EXPECT_EQ(CatalogLock::acquire(db).status().code(), StatusCode::kBusy);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  EXPECT_TRUE(CatalogLock::acquire(db).ok());
}

TEST(Catalog, DefaultPathFollowsXdg) {
  const char* old = getenv("XDG_DATA_HOME");
  const char* old_home = getenv("HOME");
  std::string saved = old ? old : "", saved_home = old_home ? old_home : "";
  setenv("XDG_DATA_HOME", "/data/x", 1);
  EXPECT_EQ(catalog_default_path(), "/data/x/clipsearch/index.db");
  unsetenv("XDG_DATA_HOME");
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(catalog_default_path(), "/home/u/.local/share/clipsearch/index.db");
  if (old) setenv("XDG_DATA_HOME", saved.c_str(), 1);
  if (old_home) setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace clipsearch
