#include "hub/cache.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/errno_status.h"

namespace clipsearch::hub {

namespace fs = std::filesystem;

std::string repo_folder(const std::string& repo) {
  // ref: huggingface_hub.file_download.repo_folder_name: "models--" + "--".join(id.split("/"))
  std::string out = "models--";
  for (char c : repo) {
    if (c == '/') {
      out += "--";
    } else {
      out += c;
    }
  }
  return out;
}

RepoCache::RepoCache(const std::string& cache_dir, const std::string& repo)
    : root(cache_dir + "/" + repo_folder(repo)),
      locks(cache_dir + "/.locks/" + repo_folder(repo)) {}

bool is_commit_hash(const std::string& revision) {
  if (revision.size() != 40) return false;
  for (char c : revision) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> cached_commit(const RepoCache& cache, const std::string& revision) {
  if (is_commit_hash(revision)) return revision;
  std::ifstream in(cache.ref(revision));
  std::string commit;
  if (!in || !std::getline(in, commit) || !is_commit_hash(commit)) {
    return Status::not_found("revision " + revision + " is not in the cache (no " +
                             cache.ref(revision) + ")");
  }
  return commit;
}

Status write_ref(const RepoCache& cache, const std::string& revision, const std::string& commit) {
  if (revision == commit) return Status();
  const fs::path path = cache.ref(revision);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const std::string tmp = path.string() + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << commit;
    if (!out.flush()) return Status::io_error(tmp + ": cannot write");
  }
  fs::rename(tmp, path, ec);
  if (ec) return errno_status(ec.value(), path.string() + ": " + ec.message());
  return Status();
}

Status link_snapshot(const RepoCache& cache, const std::string& commit, const std::string& file,
                     const std::string& etag) {
  const fs::path pointer = cache.pointer(commit, file);
  std::error_code ec;
  fs::create_directories(pointer.parent_path(), ec);
  if (ec) return errno_status(ec.value(), pointer.parent_path().string() + ": " + ec.message());
  // ref: huggingface_hub _create_symlink: relative to the pointer's folder.
  const fs::path target = fs::path(cache.blob(etag)).lexically_relative(pointer.parent_path());
  const fs::path tmp = pointer.string() + ".tmp" + std::to_string(getpid());
  fs::remove(tmp, ec);
  fs::create_symlink(target, tmp, ec);
  if (ec) {
    return errno_status(ec.value(),
                        pointer.string() + ": cannot create a symlink: " + ec.message());
  }
  fs::rename(tmp, pointer, ec);
  if (ec) return errno_status(ec.value(), pointer.string() + ": " + ec.message());
  return Status();
}

void mark_missing(const RepoCache& cache, const std::string& commit, const std::string& file) {
  const fs::path path = cache.no_exist(commit, file);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream touch(path, std::ios::app);
}

Status adopt_file(const RepoCache& cache, const std::string& commit, const std::string& file,
                  const std::string& source) {
  std::error_code ec;
  const fs::path from = fs::canonical(source, ec);
  if (ec) return errno_status(ec.value(), source + ": " + ec.message());
  // A snapshot file that is no link into blobs/ (huggingface_hub where symlinks are not
  // allowed) has no etag to go by: its content goes into the snapshot itself, as
  // huggingface_hub then stores it.
  const bool is_blob = from.parent_path().filename() == "blobs";
  const std::string etag = from.filename().string();
  const fs::path to = is_blob ? cache.blob(etag) : cache.pointer(commit, file);
  if (!is_blob || !fs::exists(to, ec)) {
    fs::create_directories(to.parent_path(), ec);
    if (ec) return errno_status(ec.value(), to.parent_path().string() + ": " + ec.message());
    const fs::path tmp = to.string() + ".tmp" + std::to_string(getpid());
    fs::remove(tmp, ec);
    bool linked = false;
    if (is_blob) {
      fs::create_hard_link(from, tmp, ec);
      linked = !ec;
    }
    if (!linked) {
      ec.clear();
      fs::copy_file(from, tmp, ec);
      if (ec) return errno_status(ec.value(), tmp.string() + ": cannot copy " + from.string());
    }
    fs::rename(tmp, to, ec);
    if (ec) return errno_status(ec.value(), to.string() + ": " + ec.message());
  }
  return is_blob ? link_snapshot(cache, commit, file, etag) : Status();
}

}  // namespace clipsearch::hub
