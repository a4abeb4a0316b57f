// The public API in process: a Library indexes generated pictures with a random-weight model
// (made by the reference), searches them with Query, scores texts, finds duplicates, and answers
// every misuse with an error code.
#include "clipsearch/library.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "index/catalog.h"
#include "testing/test_images.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;

// The search fixture's model has a tokenizer vocabulary (text queries need one).
std::string model() { return testing::reference_dir() + "/search/model"; }
std::string other_model() { return testing::reference_dir() + "/clip_models/tiny_quick_gelu"; }

class LibraryApi : public ::testing::Test {
 protected:
  void SetUp() override {
    photos_ = tmp_.file("photos");
    db_ = tmp_.file("catalog/index.db");
    for (int i = 0; i < 6; ++i) {
      const std::string name = std::string("p") + char('0' + i) + ".png";
      put(name, testing::make_image(40 + 5 * i, 36, 100 + i));
    }
    put("beach/b0.jpg", testing::make_image(64, 48, 7, "jpeg"));
    put("beach/b1.jpg", testing::make_image(48, 64, 8, "jpeg"));
  }
  void put(const std::string& name, const std::string& bytes) {
    const fs::path p = fs::path(photos_) / name;
    fs::create_directories(p.parent_path());
    testing::write_file(p.string(), bytes);
  }
  std::unique_ptr<Library> open(LibraryOptions options = {}) {
    if (options.model.empty()) options.model = model();
    auto library = Library::open(db_, options);
    EXPECT_TRUE(library.ok()) << library.status().message();
    return library.ok() ? std::move(library).value() : nullptr;
  }
  std::unique_ptr<Library> indexed() {
    auto library = open();
    auto report = library->index({photos_});
    EXPECT_TRUE(report.ok()) << report.status().message();
    return library;
  }
  testing::TempDir tmp_;
  std::string photos_, db_;
};

TEST_F(LibraryApi, IndexesIncrementallyAndReportsStatus) {
  auto library = open();
  std::vector<IndexingProgress> progress;
  IndexingOptions options;
  options.batch_size = 3;
  options.on_progress = [&](const IndexingProgress& p) { progress.push_back(p); };
  auto first = library->index({photos_}, options);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->embedded, 8);
  EXPECT_EQ(first->images, 8);
  EXPECT_EQ(first->failed, 0);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().done, 8);
  EXPECT_EQ(progress.back().total, 8);

  auto again = library->index({});  // the stored folders
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->unchanged, 8);
  EXPECT_EQ(again->embedded, 0);
  EXPECT_GT(again->generation, 0);

  auto status = library->status();
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_EQ(status->images, 8);
  ASSERT_TRUE(status->model.has_value());
  EXPECT_EQ(status->model->fingerprint.size(), 64u);
  EXPECT_EQ(status->folders, std::vector<std::string>{photos_});
}

TEST_F(LibraryApi, ANegativeBatchSizeIsRefusedByName) {
  auto library = open();
  IndexingOptions options;
  options.batch_size = -4;
  for (auto run : {+[](Library&l, const IndexingOptions&o) { return l.index({}, o).status(); },
                   +[](Library&l, const IndexingOptions&o) { return l.reindex("", o).status(); }}) {
    const Status refused = run(*library, options);
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(refused.message().find("batch size -4: expected 0 (the device's default) or more"),
              std::string::npos)
        << refused.message();
  }
}

// open() checks an existing catalog with a connection it keeps: status() reads through it, the
// first search takes it over; index() and reindex() close it first, else the -wal file would stay
// beside the catalog and reindex could not swap the new catalog in.
TEST_F(LibraryApi, TheConnectionOpenCheckedWithIsHandedOnOrClosed) {
  indexed();
  {
    auto library = open();
    auto status = library->status();
    ASSERT_TRUE(status.ok()) << status.status().message();
    EXPECT_EQ(status->images, 8);
    auto page = library->search(Query().text("a beach"), 3);
    ASSERT_TRUE(page.ok()) << page.status().message();
    EXPECT_EQ(page->hits.size(), 3u);
  }
  {
    auto library = open();
    auto page = library->search(Query().text("a beach"), 3);
    ASSERT_TRUE(page.ok()) << page.status().message();
    EXPECT_EQ(page->hits.size(), 3u);
  }
  {
    auto library = open();
    auto report = library->index({});
    ASSERT_TRUE(report.ok()) << report.status().message();
    EXPECT_EQ(report->unchanged, 8);
    EXPECT_FALSE(fs::exists(db_ + "-wal"));
  }
  auto library = open();
  auto report = library->reindex("");
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->embedded, 8);
  auto page = library->search(Query().text("a beach"), 3);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_EQ(page->hits.size(), 3u);
}

// One Library that has searched and recorded clicks (its searcher and annotations connections
// open) re-embeds its own catalog in place: it closes them for the swap.
TEST_F(LibraryApi, ReindexInPlaceAfterSearchesAndClicks) {
  indexed();
  auto library = open();
  auto page = library->search(Query().text("a beach"), 3);
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_TRUE(library->record_click("ann", page->hits[0].image.id).ok());
  auto report = library->reindex("");
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->embedded, 8);
  auto again = library->search(Query().text("a beach"), 3);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->hits.size(), 3u);
}

// LibraryOptions::batching: concurrent searches by text and by picture share forward passes and
// score as one search at a time does (a batch may take another GEMM path: last bits may differ).
TEST_F(LibraryApi, BatchedConcurrentQueriesScoreAsSingleOnes) {
  indexed();
  const std::vector<std::string> texts = {"a beach", "a dog", "red", "blue sky", "a cat", "snow"};
  const std::string picture = testing::make_image(50, 40, 3, "png");
  auto direct = open();
  std::vector<SearchResults> expected;
  for (const std::string& t : texts) expected.push_back(*direct->search(Query().text(t), 8));
  expected.push_back(*direct->search(Query().picture_bytes(picture), 8));
  LibraryOptions options;
  QueryBatching batching;
  batching.max_batch = 8;
  batching.max_wait = std::chrono::milliseconds(50);
  std::mutex m;
  size_t largest = 0;
  batching.on_batch = [&](Tower, size_t n) {
    std::lock_guard<std::mutex> lock(m);
    largest = std::max(largest, n);
  };
  options.batching = batching;
  auto batched = open(options);
  ASSERT_TRUE(batched->load_model().ok());
  std::vector<Result<SearchResults>> got(expected.size(), Status::error("not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < expected.size(); ++i) {
    threads.emplace_back([&, i] {
      got[i] = i < texts.size() ? batched->search(Query().text(texts[i]), 8)
                                : batched->search(Query().picture_bytes(picture), 8);
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_TRUE(got[i].ok()) << got[i].status().message();
    ASSERT_EQ(got[i]->hits.size(), expected[i].hits.size());
    for (size_t h = 0; h < expected[i].hits.size(); ++h) {
      EXPECT_EQ(got[i]->hits[h].image.id, expected[i].hits[h].image.id);
      EXPECT_NEAR(got[i]->hits[h].score, expected[i].hits[h].score, 1e-5);
    }
  }
  EXPECT_GT(largest, 1u) << "no two texts shared a forward pass";
  EXPECT_EQ(batched->usage().texts_embedded, static_cast<int64_t>(texts.size()));
}

TEST_F(LibraryApi, BrokenFilesAreReportedNotFatal) {
  put("broken.png", "\x89PNG\r\n\x1a\n and then nothing");
  auto library = open();
  auto report = library->index({photos_});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->embedded, 8);
  EXPECT_EQ(report->failed, 1);
  ASSERT_EQ(report->failures.size(), 1u);
  EXPECT_NE(report->failures[0].path.find("broken.png"), std::string::npos);
  EXPECT_FALSE(report->failures[0].message.empty());
}

TEST_F(LibraryApi, TextSearchScoresAreTheSimilarityOfEachImage) {
  auto library = indexed();
  auto page = library->search(Query().text("a dog on a summer beach"), 8);
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->hits.size(), 8u);
  EXPECT_EQ(page->candidates, 8);
  for (size_t i = 1; i < page->hits.size(); ++i) {
    const ScoredImage& a = page->hits[i - 1];
    const ScoredImage& b = page->hits[i];
    EXPECT_TRUE(a.score > b.score || (a.score == b.score && a.image.id < b.image.id));
  }
  EXPECT_EQ(page->best_score, page->hits[0].score);
  // One text alone: the query vector is that text's embedding, so each score is the cosine the
  // similarity feature gives the same image and text, to the bit (one scoring kernel).
  for (const ScoredImage& hit : page->hits) {
    auto sim = library->similarity(hit.image.id, {"a dog on a summer beach"});
    ASSERT_TRUE(sim.ok()) << sim.status().message();
    EXPECT_EQ((*sim)[0].cosine, hit.score) << hit.image.path;
    EXPECT_FLOAT_EQ((*sim)[0].probability, 1.0f);
  }
}

TEST_F(LibraryApi, PagesConcatenateToTheWholeRanking) {
  auto library = indexed();
  const Query q = Query().text("red").negative("blue");
  auto all = library->search(q, 8);
  ASSERT_TRUE(all.ok()) << all.status().message();
  std::vector<int64_t> paged;
  for (int64_t offset = 0; offset < 8; offset += 3) {
    auto page = library->search(q, 3, offset);
    ASSERT_TRUE(page.ok()) << page.status().message();
    for (const ScoredImage& h : page->hits) paged.push_back(h.image.id);
  }
  std::vector<int64_t> whole;
  for (const ScoredImage& h : all->hits) whole.push_back(h.image.id);
  EXPECT_EQ(paged, whole);
}

TEST_F(LibraryApi, FiltersAndExamples) {
  auto library = indexed();
  auto beach = library->search(Query().text("sand").folder(photos_ + "/beach"), 10);
  ASSERT_TRUE(beach.ok()) << beach.status().message();
  ASSERT_EQ(beach->hits.size(), 2u);
  for (const ScoredImage& h : beach->hits) EXPECT_EQ(h.image.format, "jpeg");
  auto jpegs = library->search(Query().text("sand").format("jpg"), 10);
  ASSERT_TRUE(jpegs.ok());
  EXPECT_EQ(jpegs->hits.size(), 2u);

  // More like an indexed image: left out of its own results, by id or by path alike.
  const int64_t id = beach->hits[0].image.id;
  auto like = library->search(Query().like(id), 10);
  auto like_path = library->search(Query().like_path(beach->hits[0].image.path), 10);
  ASSERT_TRUE(like.ok()) << like.status().message();
  ASSERT_TRUE(like_path.ok()) << like_path.status().message();
  EXPECT_EQ(like->hits.size(), 7u);
  for (size_t i = 0; i < like->hits.size(); ++i) {
    EXPECT_NE(like->hits[i].image.id, id);
    EXPECT_EQ(like->hits[i].image.id, like_path->hits[i].image.id);
    EXPECT_EQ(like->hits[i].score, like_path->hits[i].score);
  }
  auto cut = library->search(Query().like(id).min_score(like->hits[2].score), 10);
  ASSERT_TRUE(cut.ok());
  EXPECT_GE(cut->hits.size(), 3u);
  for (const ScoredImage& h : cut->hits) EXPECT_GE(h.score, like->hits[2].score);
}

// What the page's filters list: the folders (with the images under each, sub-folders included)
// and the cameras EXIF names, each narrowing a search; a cutoff says how many it keeps.
TEST_F(LibraryApi, FoldersCamerasAndTheCutoffsCount) {
  put("cams/canon.jpg", testing::make_camera_jpeg(40, 30, 1, "Canon", "Canon EOS R5"));
  put("cams/phone.jpg", testing::make_camera_jpeg(40, 30, 2, "Apple", "iPhone 12"));
  auto library = indexed();
  auto folders = library->folders();
  ASSERT_TRUE(folders.ok()) << folders.status().message();
  ASSERT_EQ(folders->size(), 3u);
  EXPECT_EQ((*folders)[0].path, photos_);
  EXPECT_EQ((*folders)[0].images, 10);
  EXPECT_EQ((*folders)[1].path, photos_ + "/beach");
  EXPECT_EQ((*folders)[1].images, 2);
  EXPECT_EQ((*folders)[2].path, photos_ + "/cams");
  auto cameras = library->cameras();
  ASSERT_TRUE(cameras.ok()) << cameras.status().message();
  ASSERT_EQ(cameras->size(), 2u);
  EXPECT_EQ((*cameras)[0].camera, "Apple iPhone 12");
  EXPECT_EQ((*cameras)[1].camera, "Canon EOS R5");
  EXPECT_EQ((*cameras)[1].images, 1);
  auto canon = library->search(Query().text("a photo").camera("Canon EOS R5"), 10);
  ASSERT_TRUE(canon.ok()) << canon.status().message();
  ASSERT_EQ(canon->hits.size(), 1u);
  EXPECT_EQ(canon->hits[0].image.camera, "Canon EOS R5");
  // The cutoff between the 4th and 5th score keeps 4, whatever the page size.
  auto all = library->search(Query().text("a photo"), 10);
  ASSERT_TRUE(all.ok());
  EXPECT_FALSE(all->above_min_score.has_value());
  const float cutoff = (all->hits[3].score + all->hits[4].score) / 2;
  auto page = library->search(Query().text("a photo").min_score(cutoff), 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->hits.size(), 2u);
  EXPECT_EQ(page->above_min_score, std::optional<int64_t>(4));
}

TEST_F(LibraryApi, ColourWeightZeroIsPlainSearch) {
  auto library = indexed();
  auto plain = library->search(Query().text("a red car"), 8);
  auto zero = library->search(Query().text("a red car").color("red").color_weight(0), 8);
  ASSERT_TRUE(plain.ok() && zero.ok());
  ASSERT_EQ(plain->hits.size(), zero->hits.size());
  for (size_t i = 0; i < plain->hits.size(); ++i) {
    EXPECT_EQ(plain->hits[i].image.id, zero->hits[i].image.id);
    EXPECT_EQ(plain->hits[i].score, zero->hits[i].score);
  }
  auto colour = library->search(Query().text("a red car").color("red").color_weight(1), 8);
  ASSERT_TRUE(colour.ok()) << colour.status().message();
  EXPECT_EQ(colour->hits.size(), 8u);
}

TEST_F(LibraryApi, DuplicatesFindsACopy) {
  fs::copy_file(fs::path(photos_) / "p2.png", fs::path(photos_) / "copy-of-p2.png");
  auto library = indexed();
  auto groups = library->duplicates(0.999f);
  ASSERT_TRUE(groups.ok()) << groups.status().message();
  ASSERT_EQ(groups->size(), 1u);
  std::set<std::string> names;
  for (const ImageInfo& i : (*groups)[0].images) names.insert(fs::path(i.path).filename());
  EXPECT_EQ(names, (std::set<std::string>{"copy-of-p2.png", "p2.png"}));
}

// Issue 19: the n^2 scan reads the rows without the searcher's lock (a search made while it
// runs, from its progress hook, is answered), reports its progress, and stops when cancelled.
TEST_F(LibraryApi, DuplicatesScanLetsSearchesRunAndStopsWhenCancelled) {
  fs::copy_file(fs::path(photos_) / "p2.png", fs::path(photos_) / "copy-of-p2.png");
  auto library = indexed();
  DuplicatesOptions options;
  options.min_similarity = 0.999f;
  std::vector<std::pair<int64_t, int64_t>> progress;
  int64_t searched = -1;
  options.on_progress = [&](int64_t done, int64_t total) {
    progress.emplace_back(done, total);
    if (done == 0) {
      auto page = library->search(Query().text("a red square"), 3);
      ASSERT_TRUE(page.ok()) << page.status().message();
      searched = static_cast<int64_t>(page->hits.size());
    }
  };
  auto groups = library->duplicates(options);
  ASSERT_TRUE(groups.ok()) << groups.status().message();
  EXPECT_EQ(searched, 3);
  EXPECT_EQ(progress, (std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {1, 1}}));
  auto plain = library->duplicates(0.999f);
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(groups->size(), plain->size());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].images.size(), (*plain)[0].images.size());

  options.on_progress = nullptr;
  options.cancelled = [] { return true; };
  auto cancelled = library->duplicates(options);
  EXPECT_EQ(cancelled.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(cancelled.status().message().find("cancelled"), std::string::npos);
}

TEST_F(LibraryApi, ClassifyRanksEveryLabel) {
  auto library = indexed();
  auto labels = library->classify(1, {"cat", "dog", "car"}, {"a photo of a {}.", "a {}"});
  ASSERT_TRUE(labels.ok()) << labels.status().message();
  ASSERT_EQ(labels->size(), 3u);
  float total = 0;
  for (const TextScore& s : *labels) total += s.probability;
  EXPECT_NEAR(total, 1.0f, 1e-5);
  EXPECT_GE((*labels)[0].probability, (*labels)[1].probability);
  auto bad = library->classify(1, {"cat"}, {"no placeholder"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().message();
}

TEST_F(LibraryApi, StoredLabelsFilterSearches) {
  auto library = indexed();
  auto rows = library->classify_all({"cat", "dog", "car"}, {}, 1, /*store=*/true);
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 8u);
  std::set<int64_t> with_first_label;
  for (const ImageLabels& row : *rows) {
    ASSERT_EQ(row.labels.size(), 1u);
    // Each stored label is that image's best, as classify() ranks them one image at a time.
    auto one = library->classify(row.image.id, {"cat", "dog", "car"});
    ASSERT_TRUE(one.ok()) << one.status().message();
    EXPECT_EQ((*one)[0].text, row.labels[0].text);
    EXPECT_EQ((*one)[0].probability, row.labels[0].probability);
    if (row.labels[0].text == (*rows)[0].labels[0].text) with_first_label.insert(row.image.id);
  }
  auto tagged = library->search(Query().text("anything").tag((*rows)[0].labels[0].text), 10);
  ASSERT_TRUE(tagged.ok()) << tagged.status().message();
  std::set<int64_t> found;
  for (const ScoredImage& h : tagged->hits) found.insert(h.image.id);
  EXPECT_EQ(found, with_first_label);
  EXPECT_EQ(library->classify_all({"cat"}, {}, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LibraryApi, AlbumsAreKeptAndUpdatedIncrementally) {
  auto library = indexed();
  // Random weights score arbitrarily: threshold -1 puts every image in every album.
  const std::string themes = tmp_.file("themes.json");
  testing::write_file(themes, R"({"threshold": -1, "themes": [
      {"name": "beach", "keywords": ["sand", "sea"]}, {"name": "city", "keywords": ["street"]}]})");
  auto first = library->update_albums(themes);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->classified, 8);
  EXPECT_EQ(first->albums, (std::vector<std::string>{"beach", "city"}));
  auto again = library->update_albums(themes);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->classified, 0);
  EXPECT_FALSE(again->restarted);
  auto beach = library->album("beach");
  ASSERT_TRUE(beach.ok()) << beach.status().message();
  ASSERT_EQ(beach->size(), 8u);
  for (size_t i = 1; i < beach->size(); ++i) EXPECT_GE((*beach)[i - 1].score, (*beach)[i].score);
  EXPECT_EQ(library->album("mountains").status().code(), StatusCode::kNotFound);
  auto exclusive = library->update_albums(themes, /*exclusive=*/true);
  ASSERT_TRUE(exclusive.ok()) << exclusive.status().message();
  EXPECT_TRUE(exclusive->restarted);
  auto city = library->album("city");
  beach = library->album("beach");
  ASSERT_TRUE(city.ok() && beach.ok());
  EXPECT_EQ(city->size() + beach->size(), 8u);  // each image in its best album only
  EXPECT_EQ(library->update_albums(tmp_.file("missing.json")).status().code(),
            StatusCode::kNotFound);
}

// Issue 20: an albums run as a background job sees its progress (themes, then images: total
// known from the first call, ending at total) and stops when cancelled, storing nothing.
TEST_F(LibraryApi, AlbumsRunReportsProgressAndStopsWhenCancelled) {
  auto library = indexed();
  const std::string themes = R"({"threshold": -1, "themes": [
      {"name": "beach", "keywords": ["sand"]}, {"name": "city", "keywords": ["street"]}]})";
  AlbumsOptions options;
  options.cancelled = [] { return true; };
  auto cancelled = library->update_albums_from_text(themes, "themes", options);
  EXPECT_EQ(cancelled.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(cancelled.status().message().find("albums: cancelled"), std::string::npos);
  std::vector<std::pair<int64_t, int64_t>> progress;
  int64_t polls = 0;
  options.on_progress = [&](int64_t done, int64_t total) { progress.emplace_back(done, total); };
  options.cancelled = [&] { return ++polls == 3; };  // after the themes, in the images
  auto stopped = library->update_albums_from_text(themes, "themes", options);
  EXPECT_EQ(stopped.status().code(), StatusCode::kUnavailable);
  auto empty = library->albums();  // the new themes' albums, nothing of the cancelled run in them
  ASSERT_TRUE(empty.ok());
  ASSERT_EQ(empty->size(), 2u);
  for (const AlbumSize& album : *empty) EXPECT_EQ(album.images, 0) << album.name;
  EXPECT_EQ(progress, (std::vector<std::pair<int64_t, int64_t>>{{1, 10}, {2, 10}, {2, 10}}));
  progress.clear();
  options.cancelled = nullptr;
  auto done = library->update_albums_from_text(themes, "themes", options);
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(done->classified, 8);
  // Two themes, then the first row and the end of the eight images.
  EXPECT_EQ(progress,
            (std::vector<std::pair<int64_t, int64_t>>{{1, 10}, {2, 10}, {2, 10}, {10, 10}}));
  auto beach = library->album("beach");
  ASSERT_TRUE(beach.ok()) << beach.status().message();
  EXPECT_EQ(beach->size(), 8u);
}

// Issue 20: "taken" is the date taken (EXIF, else the file's modification time), "modified" the
// modification time alone; given both, an image must be in both ranges.
TEST_F(LibraryApi, TakenAndModifiedDatesFilterApart) {
  put("exif.jpg", testing::make_image(40, 30, 3, "jpeg", "2010:06:01 12:00:00"));
  // Every file modified in 2020, one in 2015; noon UTC, a day from any zone's midnight.
  const auto set_mtime = [&](const std::string& name, const char* day) {
    const int64_t seconds =
        parse_query_date(std::string(day) + "T12:00:00", false).value() / 1000000000;
    const timespec times[2] = {{seconds, 0}, {seconds, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, (fs::path(photos_) / name).c_str(), times, 0), 0) << name;
  };
  for (const auto& entry : fs::recursive_directory_iterator(photos_)) {
    if (entry.is_regular_file()) {
      set_mtime(fs::relative(entry.path(), photos_).string(), "2020-01-01");
    }
  }
  set_mtime("p1.png", "2015-06-01");
  auto library = indexed();
  const auto names = [&](const Query& q) {
    std::set<std::string> out;
    auto page = library->search(q, 20);
    EXPECT_TRUE(page.ok()) << page.status().message();
    if (page.ok()) {
      for (const ScoredImage& h : page->hits) out.insert(fs::path(h.image.path).filename());
    }
    return out;
  };
  const auto day = [](const char* text, bool end) { return parse_query_date(text, end).value(); };
  const Query x = Query().text("x");
  EXPECT_EQ(names(Query(x).taken_between(std::nullopt, day("2012-01-01", true))),
            std::set<std::string>{"exif.jpg"});
  EXPECT_EQ(names(Query(x).modified_between(std::nullopt, day("2016-01-01", true))),
            std::set<std::string>{"p1.png"});
  EXPECT_EQ(names(Query(x).date_between(DateField::kModified, day("2020-01-01", false),
                                        day("2020-01-01", true)))
                .size(),
            8u);  // every file but p1.png, the EXIF one too
  EXPECT_EQ(names(Query(x).taken_between(day("2015-06-01", false), day("2015-06-01", true))),
            std::set<std::string>{"p1.png"});  // no EXIF: taken is when it was modified
  EXPECT_TRUE(names(Query(x)
                        .taken_between(std::nullopt, day("2012-01-01", true))
                        .modified_between(std::nullopt, day("2016-01-01", true)))
                  .empty());
  EXPECT_EQ(parse_date_field("modified").value(), DateField::kModified);
  EXPECT_EQ(parse_date_field("taken").value(), DateField::kTaken);
  EXPECT_EQ(parse_date_field("created").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LibraryApi, RecommendationsFollowClicks) {
  auto library = indexed();
  auto nobody = library->recommend("ann", 5);
  ASSERT_TRUE(nobody.ok()) << nobody.status().message();
  EXPECT_TRUE(nobody->popular);
  EXPECT_TRUE(nobody->images.empty());  // nothing clicked by anyone yet

  ASSERT_TRUE(library->record_click("bob", 2).ok());
  ASSERT_TRUE(library->record_click("bob", 5).ok());
  ASSERT_TRUE(library->record_click("bob", 5).ok());
  EXPECT_EQ(library->record_click("bob", 987654).code(), StatusCode::kNotFound);
  auto bob = library->recommend("bob", 4);
  ASSERT_TRUE(bob.ok()) << bob.status().message();
  EXPECT_FALSE(bob->popular);
  ASSERT_EQ(bob->images.size(), 4u);
  for (const ScoredImage& s : bob->images) {
    EXPECT_NE(s.image.id, 2);
    EXPECT_NE(s.image.id, 5);
  }
  // A user without clicks gets the most clicked images, by count.
  auto ann = library->recommend("ann", 5);
  ASSERT_TRUE(ann.ok());
  EXPECT_TRUE(ann->popular);
  ASSERT_EQ(ann->images.size(), 2u);
  EXPECT_EQ(ann->images[0].image.id, 5);
  EXPECT_EQ(ann->images[0].score, 2.0f);
  EXPECT_EQ(library->recommend("bob", -1).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LibraryApi, MisuseHasCodes) {
  {
    auto empty = open();
    auto before = empty->search(Query().text("x"), 5);
    EXPECT_FALSE(before.ok());
  }
  auto library = indexed();
  EXPECT_EQ(library->image(987654).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(library->search(Query().like(987654), 5).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(library->search(Query().like_path(photos_ + "/nope.png"), 5).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(library->search(Query().text("x").picture_file(photos_ + "/p1.png").image_weight(2), 5)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(library->search(Query().text("   "), 5).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(library->search(Query(), 5).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(library->search(Query().text("x"), -1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(library->search(Query().text("x").color("not-a-colour"), 5).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      library->similarity(QueryPicture{photos_ + "/missing.png", "", ""}, {"x"}).status().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(library->similarity(1, {}).status().code(), StatusCode::kInvalidArgument);

  // A second indexer of the same catalog is refused while the first holds it.
  {
    auto held = CatalogLock::acquire(db_);
    ASSERT_TRUE(held.ok()) << held.status().message();
    auto second = Library::open(db_, {});
    ASSERT_TRUE(second.ok());
    EXPECT_EQ((*second)->index({photos_}).status().code(), StatusCode::kBusy);
  }

  // Another model than the catalog's: refused, not mixed.
  LibraryOptions other;
  other.model = other_model();
  auto mismatched = Library::open(db_, other);
  ASSERT_TRUE(mismatched.ok());
  auto refused = (*mismatched)->search(Query().text("x"), 5);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("model"), std::string::npos)
      << refused.status().message();

  // A file that is no catalog.
  testing::write_file(tmp_.file("not-a-catalog.db"), "hello, I am not SQLite");
  EXPECT_FALSE(Library::open(tmp_.file("not-a-catalog.db")).ok());
}

TEST_F(LibraryApi, NegativeThreadCountIsRefused) {
  ModelOptions options;
  options.threads = -1;
  EXPECT_EQ(Model::load(model(), options).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace clipsearch
