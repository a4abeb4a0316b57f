// Annotations: what the zero-shot features add to a catalog — labels from classification,
// albums from themes, and users' clicks for recommendations. They live in their own tables of
// the catalog's SQLite file (docs/FORMATS.md, "Annotations"), written through a connection of
// their own, so they never touch the images table or its generation counter.
//
// Rows refer to images by id. An image that leaves the catalog leaves its annotations dangling;
// readers join with `images`, so dangling rows are never returned, and prune() deletes them.
// One Annotations object is one SQLite connection: use it from one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "clipsearch/status.h"

struct sqlite3;

namespace clipsearch {

struct ImageLabel {
  int64_t image_id = 0;
  std::string label;
  float probability = 0;
};

struct AlbumMember {
  int64_t image_id = 0;
  float score = 0;
};

struct ClickCount {
  int64_t image_id = 0;
  int64_t clicks = 0;
};

class Annotations {
 public:
  // Opens the catalog file at `path` (which must exist: `clipsearch index` creates it) and
  // creates the annotation tables when missing.
  static Result<std::unique_ptr<Annotations>> open(const std::string& path);
  ~Annotations();
  Annotations(const Annotations&) = delete;
  Annotations& operator=(const Annotations&) = delete;

  // --- labels (classification) ---
  // Replaces the labels stored for these images, in one transaction.
  Status put_labels(const std::vector<ImageLabel>& labels);
  // Ids of ok images carrying `label` with at least `min_probability`, ascending.
  Result<std::vector<int64_t>> images_with_label(const std::string& label,
                                                 float min_probability = 0);
  Result<std::vector<ImageLabel>> labels_of(int64_t image_id);

  // --- albums ---
  // Records that `image_ids` were classified against the themes with this fingerprint, and
  // which albums they joined (members: album name and member), in one transaction.
  Status put_album_run(const std::string& themes_fingerprint, const std::vector<int64_t>& image_ids,
                       const std::vector<std::pair<std::string, AlbumMember>>& members);
  // The ok images not yet classified against this theme fingerprint, ascending.
  Result<std::vector<int64_t>> images_without_album_run(const std::string& themes_fingerprint);
  // An album's members, best score first; a theme fingerprint change starts albums afresh.
  Result<std::vector<AlbumMember>> album(const std::string& name);
  // The albums of the theme file in use (members or not), and any other album with members.
  Result<std::vector<std::string>> album_names();
  // Forgets every album when any was made with other themes (or another model): albums are
  // always those of one theme file. Records the theme file's album names. Returns whether it
  // forgot.
  Result<bool> use_album_themes(const std::string& themes_fingerprint,
                                const std::vector<std::string>& names);

  // --- clicks ---
  Status add_click(const std::string& user, int64_t image_id, int64_t at_ns);
  // The user's clicked images, oldest first, at most `limit` of the most recent (0: all).
  Result<std::vector<int64_t>> clicks_of(const std::string& user, int64_t limit = 0);
  // The most clicked ok images over all users, most first (ties: most recent click first).
  Result<std::vector<ClickCount>> most_clicked(int64_t limit);

  // Deletes annotation rows of images that are no longer in the catalog.
  Status prune();

 private:
  Annotations(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  Status exec(const char* sql);
  Status error(const char* what) const;

  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace clipsearch
