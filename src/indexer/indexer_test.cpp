// Incremental indexing on a random-weight model: new, changed, touched, moved, copied, deleted
// and unchanged files (an unchanged library is neither read nor decoded), failures recorded,
// bad roots keeping their entries, paths as bytes, EXIF dates, and embeddings equal to the
// model's on the same file.
#include "indexer/indexer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>

#include "clipsearch/image_file.h"
#include "clipsearch/threads.h"
#include "image/color_signature.h"
#include "image/decode.h"
#include "indexer/model_identity.h"
#include "testing/test_images.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;

std::string model_dir() { return testing::reference_dir() + "/clip_models/open_clip_gelu"; }

class IndexerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_num_threads(2);
    auto m = Model::load(model_dir());
    ASSERT_TRUE(m.ok()) << m.status().message();
    model_ = std::move(m).value();
    auto pc = preprocess_config_load(model_dir());
    ASSERT_TRUE(pc.ok()) << pc.status().message();
    config_ = *pc;
    lib_ = tmp_.path() / "lib";
    fs::create_directories(lib_);
    auto c = Catalog::open(tmp_.file("index.db"), Catalog::Mode::kReadWrite);
    ASSERT_TRUE(c.ok()) << c.status().message();
    catalog_ = std::move(c).value();
    auto id = model_identity(*model_, "open_clip_gelu", DecodeOptions{});
    ASSERT_TRUE(id.ok()) << id.status().message();
    ASSERT_TRUE(catalog_->bind_model(*id).ok());
  }

  void put(const std::string& rel, const std::string& bytes) {
    fs::create_directories((lib_ / rel).parent_path());
    testing::write_file((lib_ / rel).string(), bytes);
  }
  std::string path(const std::string& rel) const { return (lib_ / rel).string(); }

  IndexStats index(std::vector<std::string> roots = {}, int batch_size = 4) {
    IndexOptions o;
    if (roots.empty()) roots = {lib_.string()};
    for (const auto& r : roots) o.roots.push_back({0, r, {}});
    o.batch_size = batch_size;
    o.workers = 2;
    auto s = index_library(*catalog_, *model_, config_, o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? *s : IndexStats{};
  }

  std::optional<ImageRecord> row(const std::string& rel) {
    auto r = catalog_->find_by_path(path(rel));
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::nullopt;
  }

  testing::TempDir tmp_;
  fs::path lib_;
  std::unique_ptr<Model> model_;
  PreprocessConfig config_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(IndexerTest, IncrementalRuns) {
  for (int i = 0; i < 6; ++i)
    put("img" + std::to_string(i) + ".png", testing::make_image(40, 30, i));
  put("sub/photo.jpg", testing::make_image(50, 64, 99, "jpeg"));
  put("notes.txt", "not an image");
  put(".hidden/h.png", testing::make_image(8, 8, 5));
  IndexStats s = index();
  EXPECT_EQ(s.embedded, 7);
  EXPECT_EQ(s.decoded, 7);
  EXPECT_EQ(s.not_images, 1);
  EXPECT_EQ(s.failed, 0);
  EXPECT_GE(s.batches, 2);  // batch size 4
  EXPECT_EQ(catalog_->stats()->images, 7);
  const int64_t gen1 = *catalog_->generation();
  EXPECT_GT(gen1, 0);
  auto r = row("sub/photo.jpg");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->width, 50);
  EXPECT_EQ(r->height, 64);
  EXPECT_EQ(r->format, "jpeg");
  EXPECT_EQ(r->hash.size(), 32u);

  // Nothing changed: no file is read, nothing decoded, nothing written.
  s = index();
  EXPECT_EQ(s.unchanged, 7);
  EXPECT_EQ(s.decoded, 0);
  EXPECT_EQ(s.bytes_read, 0);
  EXPECT_EQ(s.embedded + s.moved + s.reused + s.removed, 0);
  EXPECT_EQ(*catalog_->generation(), gen1);

  // Changed content, a touch, a rename, a copy and a deletion.
  const int64_t moved_id = row("img2.png")->id;
  const std::vector<float> moved_embedding = *catalog_->get_embedding(moved_id);
  put("img0.png", testing::make_image(40, 30, 1000));
  const auto t = fs::last_write_time(path("img1.png"));
  fs::last_write_time(path("img1.png"), t + std::chrono::seconds(5));
  fs::create_directories(lib_ / "renamed");
  fs::rename(path("img2.png"), path("renamed/img2-moved.png"));
  fs::copy_file(path("img3.png"), path("copy-of-3.png"));
  fs::remove(path("img4.png"));
  s = index();
  EXPECT_EQ(s.embedded, 1);  // img0 only
  EXPECT_EQ(s.decoded, 1);
  EXPECT_EQ(s.touched, 1);
  EXPECT_EQ(s.moved, 1);
  EXPECT_EQ(s.reused, 1);
  EXPECT_EQ(s.removed, 1);
  EXPECT_GT(*catalog_->generation(), gen1);
  EXPECT_FALSE(row("img2.png").has_value());
  EXPECT_FALSE(row("img4.png").has_value());
  auto moved = row("renamed/img2-moved.png");
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->id, moved_id);  // the row moved with the file
  EXPECT_EQ(*catalog_->get_embedding(moved_id), moved_embedding);
  EXPECT_EQ(*catalog_->get_embedding(row("copy-of-3.png")->id),
            *catalog_->get_embedding(row("img3.png")->id));
  EXPECT_EQ(catalog_->stats()->images, 7);
  s = index();
  EXPECT_EQ(s.decoded, 0);
  EXPECT_EQ(s.unchanged, 7);
}

// The packed signature of a file, computed here from the decoded pixels.
std::vector<float> expected_color(const std::string& file) {
  auto rgb = image_decode_file(file);
  EXPECT_TRUE(rgb.ok()) << rgb.status().message();
  const auto packed = color_signature(rgb.ok() ? *rgb : RgbImage{}).pack();
  return std::vector<float>(packed.begin(), packed.end());
}

// "c<i>.png", built without `"literal" + std::string` (GCC 12's -Wrestrict false positive).
std::string colour_file(int i) {
  std::string name = "c";
  name += std::to_string(i);
  name += ".png";
  return name;
}

TEST_F(IndexerTest, ColourSignaturesAreComputedCarriedAndFilledIn) {
  for (int i = 0; i < 4; ++i) put(colour_file(i), testing::make_image(30, 20, i));
  index();
  for (int i = 0; i < 4; ++i) {
    const std::string rel = colour_file(i);
    EXPECT_EQ(catalog_->get_color(row(rel)->id)->value(), expected_color(path(rel))) << rel;
  }
  // A copy and a move carry the colour; a touched file keeps its own.
  fs::copy_file(path("c0.png"), path("copy.png"));
  fs::rename(path("c1.png"), path("moved.png"));
  fs::last_write_time(path("c2.png"), fs::last_write_time(path("c2.png")) + std::chrono::hours(1));
  IndexStats s = index();
  EXPECT_EQ(s.reused + s.moved + s.touched, 3);
  EXPECT_EQ(s.decoded, 0);
  EXPECT_EQ(catalog_->get_color(row("copy.png")->id)->value(), expected_color(path("c0.png")));
  EXPECT_EQ(catalog_->get_color(row("moved.png")->id)->value(), expected_color(path("moved.png")));
  EXPECT_EQ(catalog_->get_color(row("c2.png")->id)->value(), expected_color(path("c2.png")));

  // Rows without a signature (as a catalog from before colours has them) get one on the next
  // run, without being embedded again; then nothing is left to do.
  const std::vector<float> embedding = *catalog_->get_embedding(row("c3.png")->id);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(tmp_.file("index.db").c_str(), &db), SQLITE_OK);
  const std::string forget =
      "UPDATE images SET color = NULL WHERE id IN (" + std::to_string(row("c0.png")->id) + ", " +
      std::to_string(row("c3.png")->id) + ", " + std::to_string(row("copy.png")->id) + ")";
  EXPECT_EQ(sqlite3_exec(db, forget.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_FALSE(catalog_->get_color(row("c3.png")->id)->has_value());
  s = index();
  EXPECT_EQ(s.colored, 3);
  EXPECT_EQ(s.embedded, 0);
  EXPECT_EQ(s.unchanged, 5);
  EXPECT_EQ(catalog_->get_color(row("c3.png")->id)->value(), expected_color(path("c3.png")));
  EXPECT_EQ(catalog_->get_color(row("copy.png")->id)->value(), expected_color(path("c0.png")));
  EXPECT_EQ(*catalog_->get_embedding(row("c3.png")->id), embedding);
  s = index();
  EXPECT_EQ(s.colored + s.decoded + s.bytes_read, 0);
}

TEST_F(IndexerTest, EmbeddingsEqualTheModelsOnTheSameFile) {
  for (int i = 0; i < 5; ++i) {
    std::string name = "x";
    name += std::to_string(i);
    name += ".png";
    put(name, testing::make_image(33 + i, 47, i));
  }
  put("y.jpg", testing::make_image(64, 40, 7, "jpeg"));
  index({}, 3);
  for (const std::string rel : {"x0.png", "x3.png", "y.jpg"}) {
    auto t = image_preprocess_file(path(rel), config_);
    ASSERT_TRUE(t.ok());
    std::vector<float> want(static_cast<size_t>(model_->info().embed_dim));
    ASSERT_TRUE(model_->encode_images(t->data.data(), 1, want.data()).ok());
    auto got = catalog_->get_embedding(row(rel)->id);
    ASSERT_EQ(got->size(), want.size());
    double norm = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR((*got)[i], want[i], 1e-5) << rel;
      norm += double((*got)[i]) * (*got)[i];
    }
    EXPECT_NEAR(norm, 1.0, 1e-5);  // stored L2-normalized
  }
}

TEST_F(IndexerTest, FailuresAreRecordedAndDoNotStopTheRun) {
  put("good.png", testing::make_image(20, 20, 1));
  const std::string jpeg = testing::make_image(64, 64, 2, "jpeg");
  put("truncated.jpg", jpeg.substr(0, jpeg.size() / 3));
  put("corrupt.png", std::string("\x89PNG\r\n\x1A\n", 8) + std::string(100, 'z'));
  IndexStats s = index();
  EXPECT_EQ(s.embedded, 1);
  EXPECT_EQ(s.failed, 2);
  ASSERT_EQ(s.failures.size(), 2u);
  for (const auto& f : s.failures) {
    EXPECT_NE(f.message.find(f.path), std::string::npos) << f.message;  // names the file
  }
  auto bad = row("corrupt.png");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, ImageStatus::kError);
  EXPECT_FALSE(bad->error.empty());
  EXPECT_EQ(catalog_->stats()->errors, 2);
  // Unchanged failures are not retried; a fixed file is.
  s = index();
  EXPECT_EQ(s.failed, 0);
  EXPECT_EQ(s.decoded, 0);
  put("corrupt.png", testing::make_image(20, 20, 3));
  s = index();
  EXPECT_EQ(s.embedded, 1);
  EXPECT_EQ(catalog_->stats()->errors, 1);
}

TEST_F(IndexerTest, TooLargeFilesFail) {
  put("big.png", testing::make_image(64, 64, 1));
  IndexOptions o;
  o.roots = {{0, lib_.string(), {}}};
  o.max_file_bytes = 100;
  auto s = index_library(*catalog_, *model_, config_, o);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->failures.size(), 1u);
  EXPECT_NE(s->failures[0].message.find("larger than the limit"), std::string::npos);
}

TEST_F(IndexerTest, BadRootsKeepTheirEntries) {
  put("a.png", testing::make_image(20, 20, 1));
  put("b.png", testing::make_image(20, 20, 2));
  index();
  ASSERT_EQ(catalog_->stats()->images, 2);

  // Missing (an unmounted drive): reported, entries kept.
  fs::rename(lib_, tmp_.path() / "away");
  IndexStats s = index();
  ASSERT_EQ(s.skipped_roots.size(), 1u);
  EXPECT_EQ(s.skipped_roots[0].state, RootState::kMissing);
  EXPECT_EQ(s.skipped_roots[0].kept, 2);
  EXPECT_EQ(s.removed, 0);
  EXPECT_EQ(catalog_->stats()->images, 2);

  // Empty (a mount point with nothing mounted): the same.
  fs::create_directories(lib_);
  s = index();
  ASSERT_EQ(s.skipped_roots.size(), 1u);
  EXPECT_EQ(s.skipped_roots[0].state, RootState::kEmpty);
  EXPECT_EQ(catalog_->stats()->images, 2);

  // Not a folder any more (a path under a file): unreadable, the same.
  fs::remove(lib_);
  testing::write_file(lib_.string(), "a file where the folder was");
  s = index({(lib_ / "sub").string()});
  ASSERT_EQ(s.skipped_roots.size(), 1u);
  EXPECT_EQ(s.skipped_roots[0].state, RootState::kUnreadable);
  EXPECT_EQ(catalog_->stats()->images, 2);

  // Back, and readable with one file gone: now the removal happens.
  fs::remove(lib_);
  fs::rename(tmp_.path() / "away", lib_);
  fs::remove(path("b.png"));
  s = index({lib_.string()});
  EXPECT_TRUE(s.skipped_roots.empty());
  EXPECT_EQ(s.removed, 1);
  EXPECT_EQ(catalog_->stats()->images, 1);
}

TEST_F(IndexerTest, AnUnmountedRootInsideAnotherKeepsItsEntries) {
  put("a.png", testing::make_image(20, 20, 1));
  put("usb/b.png", testing::make_image(20, 20, 2));
  put("usb/c.png", testing::make_image(20, 20, 3));
  index({lib_.string(), path("usb")});
  ASSERT_EQ(catalog_->stats()->images, 3);
  // The drive goes away; its mount point stays as an empty folder inside the other root.
  fs::rename(path("usb"), tmp_.path() / "usb-away");
  fs::create_directories(path("usb"));
  IndexOptions o;  // both stored roots
  auto s = index_library(*catalog_, *model_, config_, o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->skipped_roots.size(), 1u);
  EXPECT_EQ(s->skipped_roots[0].state, RootState::kEmpty);
  EXPECT_EQ(s->removed, 0);
  EXPECT_EQ(catalog_->stats()->images, 3);
}

TEST_F(IndexerTest, StoredRootsAreRescanned) {
  IndexOptions none;  // no roots given, and none stored yet
  auto nothing = index_library(*catalog_, *model_, config_, none);
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.status().code(), StatusCode::kInvalidArgument) << nothing.status().message();
  put("a.png", testing::make_image(20, 20, 1));
  index();
  put("b.png", testing::make_image(20, 20, 2));
  IndexOptions o;  // no roots: the catalog's
  auto s = index_library(*catalog_, *model_, config_, o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->embedded, 1);
}

TEST_F(IndexerTest, PathsAreBytes) {
  const std::vector<std::string> names = {
      "100%.png",   "a_b.png",       "back\\slash.png",         "quote'\"s.png",
      "sp ace.png", "new\nline.png", "\xFF\xFE-latin1-\xE9.png"};
  for (size_t i = 0; i < names.size(); ++i) put(names[i], testing::make_image(12, 12, i));
  IndexStats s = index();
  EXPECT_EQ(s.embedded, static_cast<int64_t>(names.size()));
  for (const auto& n : names) EXPECT_TRUE(row(n).has_value()) << n;
}

TEST_F(IndexerTest, DateTakenFromExifElseMtime) {
  put("exif.jpg", testing::make_image(16, 16, 1, "jpeg", "2019:05:01 10:20:30"));
  put("plain.png", testing::make_image(16, 16, 2));
  index();
  auto exif = row("exif.jpg");
  ASSERT_TRUE(exif.has_value());
  EXPECT_TRUE(exif->date_from_exif);
  EXPECT_EQ(exif->date_taken_ns, 1556706030LL * 1000000000);
  auto plain = row("plain.png");
  EXPECT_FALSE(plain->date_from_exif);
  EXPECT_EQ(plain->date_taken_ns, mtime_to_local_ns(plain->mtime_ns));
}

TEST_F(IndexerTest, CameraFromExifMakeAndModel) {
  put("canon.jpg", testing::make_camera_jpeg(16, 16, 1, "Canon", "Canon EOS R5"));
  put("phone.jpg", testing::make_camera_jpeg(16, 16, 2, "Apple", "iPhone 12"));
  put("plain.png", testing::make_image(16, 16, 3));
  index();
  EXPECT_EQ(row("canon.jpg")->camera, "Canon EOS R5");
  EXPECT_EQ(row("phone.jpg")->camera, "Apple iPhone 12");
  EXPECT_EQ(row("plain.png")->camera, "");
}

// image_file_prepare (clipsearch/image_file.h), what clipsearch.distributed runs on a file's
// bytes, gives the facts, colour, pixels and failure messages the indexer stores.
TEST_F(IndexerTest, ImageFilePrepareGivesWhatTheIndexerStores) {
  put("canon.jpg", testing::make_camera_jpeg(40, 24, 1, "Canon", "Canon EOS R5"));
  put("dated.jpg", testing::make_image(30, 50, 2, "jpeg", "2019:05:01 10:20:30"));
  put("plain.png", testing::make_image(33, 47, 3));
  const std::string jpeg = testing::make_image(64, 64, 4, "jpeg");
  put("truncated.jpg", jpeg.substr(0, jpeg.size() / 3));
  put("corrupt.png", std::string("\x89PNG\r\n\x1A\n", 8) + std::string(100, 'z'));
  put("notes.txt", "not a picture");
  const IndexStats stats = index();
  ASSERT_EQ(stats.failures.size(), 2u);
  auto prepare = [&](const std::string& rel, int64_t limit = int64_t{1} << 30) {
    const std::string bytes = testing::read_file(path(rel));
    struct stat st;
    EXPECT_EQ(::stat(path(rel).c_str(), &st), 0);
    const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    return image_file_prepare(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                              path(rel), mtime_ns, config_, DecodeOptions{}, limit);
  };
  for (const std::string rel : {"canon.jpg", "dated.jpg", "plain.png"}) {
    const PreparedImageFile p = prepare(rel);
    ASSERT_EQ(p.outcome, ImageFileOutcome::kImage) << p.error;
    const ImageRecord r = *row(rel);
    EXPECT_EQ(p.facts.format, r.format) << rel;
    EXPECT_EQ(p.facts.width, r.width) << rel;
    EXPECT_EQ(p.facts.height, r.height) << rel;
    EXPECT_EQ(p.facts.camera, r.camera) << rel;
    EXPECT_EQ(p.facts.taken_ns, r.date_taken_ns) << rel;
    EXPECT_EQ(p.facts.taken_from_exif, r.date_from_exif) << rel;
    EXPECT_EQ(p.color, catalog_->get_color(r.id)->value()) << rel;
    EXPECT_EQ(p.pixels.data, image_preprocess_file(path(rel), config_)->data) << rel;
  }
  EXPECT_EQ(prepare("canon.jpg").facts.camera, "Canon EOS R5");
  EXPECT_TRUE(prepare("dated.jpg").facts.taken_from_exif);
  for (const IndexFailure& f : stats.failures) {
    const PreparedImageFile p = prepare(fs::path(f.path).filename().string());
    EXPECT_EQ(p.outcome, ImageFileOutcome::kFailed);
    EXPECT_EQ(p.error, f.message);
  }
  EXPECT_EQ(prepare("notes.txt").outcome, ImageFileOutcome::kNotImage);
  const PreparedImageFile big = prepare("plain.png", 100);
  EXPECT_EQ(big.outcome, ImageFileOutcome::kFailed);
  EXPECT_NE(big.error.find("larger than the limit of 100"), std::string::npos) << big.error;
}

TEST(CameraName, MakeAndModelAsOneName) {
  EXPECT_EQ(camera_name("Canon", "Canon EOS R5"), "Canon EOS R5");
  EXPECT_EQ(camera_name("NIKON CORPORATION", "NIKON D750"), "NIKON D750");
  EXPECT_EQ(camera_name("Apple", "iPhone 12"), "Apple iPhone 12");
  EXPECT_EQ(camera_name(" SONY ", "ILCE-7M3 "), "SONY ILCE-7M3");
  EXPECT_EQ(camera_name("", "X100V"), "X100V");
  EXPECT_EQ(camera_name("FUJIFILM", ""), "FUJIFILM");
  EXPECT_EQ(camera_name("", ""), "");
}

TEST(ExifDate, Parses) {
  int64_t ns = 0;
  EXPECT_TRUE(exif_date_to_ns("1970:01:02 00:00:01", &ns));
  EXPECT_EQ(ns, 86401LL * 1000000000);
  EXPECT_FALSE(exif_date_to_ns("0000:00:00 00:00:00", &ns));
  EXPECT_FALSE(exif_date_to_ns("", &ns));
  EXPECT_FALSE(exif_date_to_ns("2019-05-01", &ns));
}

}  // namespace
}  // namespace clipsearch
