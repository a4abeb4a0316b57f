#include "indexer/crawler.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "image/decode.h"
#include "image/video_decode.h"

namespace clipsearch {
namespace {

using DevIno = std::pair<dev_t, ino_t>;

int64_t mtime_of(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

bool looks_like_image(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  uint8_t head[64];
  const ssize_t n = ::read(fd, head, sizeof head);
  ::close(fd);
  if (n <= 0) return false;
  const auto size = static_cast<size_t>(n);
  // Videos are indexed too (image/video_decode.h).
  return image_sniff_format(head, size) != ImageFormat::kUnknown ||
         video_sniff_format(head, size) != VideoFormat::kUnknown;
}

struct Walk {
  const CrawlOptions& options;
  RootScan& scan;
  std::set<DevIno> dirs_on_path;  // folders being walked (loop detection)
  std::set<DevIno> files_seen;    // files already listed (one name per file)

  // Lists `dir` (absolute path `abs`, `rel` relative to the root, empty for the root itself).
  // Returns false when the folder cannot be read.
  bool list(const std::string& abs, std::vector<std::string>* names, int* err) {
    DIR* d = ::opendir(abs.c_str());
    if (!d) {
      *err = errno;
      return false;
    }
    errno = 0;
    while (dirent* e = ::readdir(d)) {
      const char* n = e->d_name;
      if (std::strcmp(n, ".") != 0 && std::strcmp(n, "..") != 0) names->push_back(n);
      errno = 0;
    }
    *err = errno;
    ::closedir(d);
    if (*err != 0) return false;
    std::sort(names->begin(), names->end());
    return true;
  }

  void walk(const std::string& abs, const std::string& rel, const std::vector<std::string>& names) {
    for (const std::string& name : names) {
      if (name[0] == '.') {
        ++scan.skipped_hidden;
        continue;
      }
      const std::string child_rel = rel.empty() ? name : rel + "/" + name;
      const std::string child = abs == "/" ? "/" + name : abs + "/" + name;
      if (path_excluded(options.excludes, child_rel)) {
        ++scan.skipped_excluded;
        continue;
      }
      struct stat st;
      if (::stat(child.c_str(), &st) != 0) {  // follows links; a dangling one fails
        struct stat lst;
        if (::lstat(child.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
          ++scan.skipped_links;
        } else {
          scan.unreadable_dirs.push_back(child);  // vanished or unreadable: keep its entries
        }
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        const DevIno key{st.st_dev, st.st_ino};
        if (dirs_on_path.count(key)) {
          ++scan.skipped_links;  // a link back into the walk: a loop
          continue;
        }
        std::vector<std::string> sub;
        int err = 0;
        if (!list(child, &sub, &err)) {
          scan.unreadable_dirs.push_back(child);
          continue;
        }
        dirs_on_path.insert(key);
        walk(child, child_rel, sub);
        dirs_on_path.erase(key);
      } else if (S_ISREG(st.st_mode)) {
        add_file(child, st);
      }
    }
  }

  void add_file(const std::string& path, const struct stat& st) {
    if (!files_seen.insert({st.st_dev, st.st_ino}).second) {
      ++scan.skipped_links;
      return;
    }
    if (options.sniff && !looks_like_image(path)) {
      ++scan.skipped_not_image;
      return;
    }
    scan.files.push_back({path, static_cast<int64_t>(st.st_size), mtime_of(st)});
  }
};

}  // namespace

bool path_excluded(const std::vector<std::string>& globs, const std::string& relative) {
  const size_t slash = relative.rfind('/');
  const char* name = relative.c_str() + (slash == std::string::npos ? 0 : slash + 1);
  for (const auto& g : globs) {
    if (::fnmatch(g.c_str(), relative.c_str(), FNM_PATHNAME) == 0) return true;
    if (::fnmatch(g.c_str(), name, 0) == 0) return true;
  }
  return false;
}

RootScan crawl_root(const std::string& root, const CrawlOptions& options) {
  RootScan scan;
  scan.root = absolute_path(root);
  const std::string& abs = scan.root;
  struct stat st;
  if (::stat(abs.c_str(), &st) != 0) {
    const int e = errno;
    if (e == ENOENT) {
      scan.state = RootState::kMissing;
      scan.message = "does not exist (a drive not mounted?)";
    } else {
      scan.state = RootState::kUnreadable;
      scan.message = std::string("cannot be read: ") + std::strerror(e);
    }
    return scan;
  }
  Walk walk{options, scan, {}, {}};
  if (S_ISREG(st.st_mode)) {
    const int fd = ::open(abs.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
      scan.state = RootState::kUnreadable;
      scan.message = std::string("cannot be read: ") + std::strerror(errno);
      return scan;
    }
    ::close(fd);
    walk.add_file(abs, st);
    return scan;
  }
  if (!S_ISDIR(st.st_mode)) {
    scan.state = RootState::kUnreadable;
    scan.message = "is neither a folder nor a regular file";
    return scan;
  }
  std::vector<std::string> names;
  int err = 0;
  if (!walk.list(abs, &names, &err)) {
    scan.state = RootState::kUnreadable;
    scan.message = std::string("cannot be listed: ") + std::strerror(err);
    return scan;
  }
  if (names.empty()) {
    scan.state = RootState::kEmpty;
    scan.message = "is an empty folder (a drive not mounted?)";
    return scan;
  }
  walk.dirs_on_path.insert({st.st_dev, st.st_ino});
  walk.walk(abs, "", names);
  std::sort(scan.files.begin(), scan.files.end(),
            [](const CrawledFile& a, const CrawledFile& b) { return a.path < b.path; });
  return scan;
}

}  // namespace clipsearch
